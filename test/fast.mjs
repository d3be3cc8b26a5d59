// `npm run test:fast`: the contributor's loop. Lint, format and type checks in one lane, the unit,
// sandbox and integration tests in the other, side by side: the tests spend much of their time waiting
// on sockets, which the checks fill. Fails when either lane fails; prints each lane's output whole.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const CACHE = 'node_modules/.cache/test-fast';
const lanes = {
	checks: [
		// n8n's lint config (eslint.config.mjs), with a cache: a second run lints only what changed. Not
		// the n8n user folders under .e2e (n8n's built editor is kept outside them, but a folder made
		// before that change still holds it: thousands of files).
		[
			'eslint',
			['.', '--ignore-pattern', '.e2e/', '--cache', '--cache-location', `${CACHE}/eslint`],
		],
		['prettier', ['--check', '.', '--cache', '--log-level', 'warn']],
		// One type check of the nodes, the credential and the tests together (test/tsconfig.json extends
		// the package's strict settings), incremental: a second run checks only what changed.
		[
			'tsc',
			[
				'--noEmit',
				'-p',
				'test/tsconfig.json',
				'--incremental',
				'--tsBuildInfoFile',
				`${CACHE}/test.tsbuildinfo`,
			],
		],
	],
	tests: [['jest', ['-c', 'test/jest.fast.config.js', '--maxWorkers=3', ...process.argv.slice(2)]]],
};

function run(command, args) {
	return new Promise((resolve) => {
		// The package's own binaries, without npx's start-up.
		const child = spawn(`node_modules/.bin/${command}`, args, {
			env: { FORCE_COLOR: '1', ...process.env },
		});
		const output = [];
		child.stdout.on('data', (chunk) => output.push(chunk));
		child.stderr.on('data', (chunk) => output.push(chunk));
		child.on('close', (code) => resolve({ ok: code === 0, output: Buffer.concat(output) }));
	});
}

async function lane(name, steps) {
	const started = performance.now();
	for (const [command, args] of steps) {
		const stepStarted = performance.now();
		const { ok, output } = await run(command, args);
		const stepSeconds = ((performance.now() - stepStarted) / 1000).toFixed(1);
		process.stdout.write(
			`   ${name}: ${[command, ...args].slice(0, 3).join(' ')} … ${stepSeconds} s\n`,
		);
		if (!ok) {
			process.stdout.write(`\n── ${name}: ${[command, ...args].join(' ')} FAILED\n`);
			process.stdout.write(output);
			return false;
		}
		if (name === 'tests') process.stdout.write(output);
	}
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	process.stdout.write(`── ${name}: passed in ${seconds} s\n`);
	return true;
}

const started = performance.now();
const results = await Promise.all(Object.entries(lanes).map(([name, steps]) => lane(name, steps)));
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const ok = results.every(Boolean);
process.stdout.write(`\ntest:fast ${ok ? 'passed' : 'FAILED'} in ${seconds} s\n`);
process.exitCode = ok ? 0 : 1;
