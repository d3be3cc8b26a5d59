'use strict';
// `npm test`: the whole proof, arranged so that waiting overlaps with work. The two real n8n releases
// install in the background from the start, beside lint, the format check, the type check, the build,
// the scanner and the unit, sandbox and integration tests. Then the end-to-end files run line by line:
// those of n8n 2.x as soon as it is installed, two files at a time (each starts its own sandbox, n8n
// and ports); the measured robot file alone; those of n8n 1.x once its install, still going on beside
// the 2.x files, has ended. The timings are printed at the end (breakdown: CONTRIBUTING.md, "How long
// npm test takes").
//
// Environment: E2E_WORKERS (default 2) sets the end-to-end suite's jest workers.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { isInstalled, isPostgresInstalled } = require('./n8n-runtime');

const ROOT = path.resolve(__dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
// The end-to-end file that measures memory and timing: run after the others, with nothing beside it.
const MEASURED_ALONE = 'test/e2e/robot-triggers-n8n2.test.js';
const started = Date.now();
const timings = [];
const running = new Set(); // background jobs not finished yet

const seconds = (ms) => `${Math.round(ms / 1000)} s`;
const say = (text) => process.stderr.write(`[npm test] ${text}\n`);

/** Runs a command to its end; resolves to its exit code (a signal counts as 1). */
function run(cmd, args, { prefix, env } = {}) {
	const child = spawn(cmd, args, {
		cwd: ROOT,
		env: { ...process.env, ...env },
		stdio: prefix ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
	});
	if (prefix) {
		for (const stream of [child.stdout, child.stderr]) {
			let rest = '';
			stream.setEncoding('utf8');
			stream.on('data', (chunk) => {
				const lines = (rest + chunk).split('\n');
				rest = lines.pop();
				for (const line of lines) process.stderr.write(`${prefix} ${line}\n`);
			});
			stream.on('end', () => rest && process.stderr.write(`${prefix} ${rest}\n`));
		}
	}
	return new Promise((resolve) => {
		child.on('error', (error) => {
			say(`${cmd} could not start: ${error.message}`);
			resolve(1);
		});
		child.on('close', (code) => resolve(code ?? 1));
	});
}

/** A step that must pass; its time is recorded. */
async function step(name, cmd, args, options) {
	const t = Date.now();
	say(`${name} ...`);
	const code = await run(cmd, args, options);
	timings.push([name, Date.now() - t]);
	if (code !== 0) {
		say(`${name} failed (exit ${code})`);
		report();
		// An install cut off halfway would have to start over: let it finish (Ctrl-C stops it).
		if (running.size) {
			say('letting the installs in the background finish first (Ctrl-C stops them) ...');
			await Promise.all(running);
		}
		process.exit(code);
	}
}

/** A background job: its promise resolves to { code, ms } and its time is recorded when it ends. */
function background(name, args, prefix) {
	const t = Date.now();
	const job = run(process.execPath, [path.join(__dirname, 'n8n-runtime.js'), ...args], {
		prefix,
	}).then((code) => {
		timings.push([`${name} (background)`, Date.now() - t]);
		running.delete(job);
		return { name, code };
	});
	running.add(job);
	return job;
}

function report() {
	say(`timings (total ${seconds(Date.now() - started)}):`);
	for (const [name, ms] of timings) say(`  ${name.padEnd(58)} ${seconds(ms).padStart(6)}`);
}

/**
 * The end-to-end step of one n8n line: the files of that line (`*-n8n<line>.test.js`; `ignore` leaves out the
 * other line's) and those that run in the lines E2E_N8N_LINES names (the harness, the examples).
 */
function endToEnd(line, ignore) {
	const workers = process.env.E2E_WORKERS || '2';
	return [
		`jest: end-to-end in n8n ${line}.x (${workers} workers)`,
		process.execPath,
		[JEST, '--selectProjects', 'e2e', `--maxWorkers=${workers}`, ...ignore],
		{ env: { E2E_N8N_LINES: String(line) } },
	];
}

/** Resolves once `ready()` holds (checked every 2 s), or to the job's result when it ended first. */
async function readyOrEnded(job, ready) {
	let ended;
	job.then((result) => (ended = result));
	while (!ready()) {
		if (ended) return ended;
		await new Promise((resolve) => setTimeout(resolve, 2000));
	}
	return undefined;
}

async function main() {
	// What the end-to-end suite needs, installed once into .runtime/ (nothing to do when it is there):
	// n8n 2.x first, the line most suites use, then PostgreSQL for queue mode, then n8n 1.x, which the
	// 1.x suites wait for (they find its install lock) while the others already run. Redis is best
	// effort: without it the queue-mode test says what to install.
	const install = background(
		'install n8n 2.x (and Node 24), embedded PostgreSQL, n8n 1.x',
		['2', 'postgres', '1'],
		'[install]',
	);
	const redis = background('redis-server for the queue-mode test', ['redis'], '[redis]');

	await step('lint', NPM, ['run', '--silent', 'lint']);
	await step('format check', NPM, ['run', '--silent', 'format:check']);
	await step('type check', NPM, ['run', '--silent', 'typecheck']);
	await step('build', NPM, ['run', '--silent', 'build']);
	await step('scanner', NPM, ['run', '--silent', 'scan']);
	// The fast loop's jest config: each file transpiled on its own (the type check above covers the
	// types), 3 workers since much of the tests' time is spent waiting on sockets. 45 s instead of 110 s
	// with ts-jest's full type service and one worker, measured idle.
	await step('jest: unit, sandbox, integration', process.execPath, [
		JEST,
		'-c',
		'test/jest.fast.config.js',
		'--maxWorkers=3',
	]);

	const failedInstall = (result) => {
		say(`${result.name} failed (exit ${result.code}); the reason is above, under its prefix`);
		report();
		process.exit(1);
	};
	let t = Date.now();
	say('waiting for n8n 2.x and PostgreSQL ...');
	const failed = await readyOrEnded(install, () => isInstalled('2') && isPostgresInstalled());
	if (failed && failed.code !== 0) failedInstall(failed);
	timings.push(['waiting for n8n 2.x and PostgreSQL after the tests above', Date.now() - t]);
	if ((await redis).code !== 0)
		say('redis-server could not be installed: the queue-mode test will fail');

	await step(...endToEnd(2, ['--testPathIgnorePatterns', 'n8n1\\.test\\.js$', MEASURED_ALONE]));
	// Its burst test measures n8n's memory and how soon frames are acknowledged: with another n8n
	// busy beside it on two cores, both measure the neighbour (seen: 187 MB instead of 0 to 78 MB).
	// Only the 1.x install may still run beside it.
	await step(
		`jest: end-to-end, alone: ${MEASURED_ALONE}`,
		process.execPath,
		[JEST, MEASURED_ALONE, '--selectProjects', 'e2e', '--runInBand'],
		{ env: { E2E_N8N_LINES: '2' } },
	);

	t = Date.now();
	say('waiting for n8n 1.x ...');
	const installed = await install;
	if (installed.code !== 0) failedInstall(installed);
	timings.push(['waiting for n8n 1.x after the tests above', Date.now() - t]);
	await step(...endToEnd(1, ['--testPathIgnorePatterns', 'n8n2\\.test\\.js$']));
	report();
}

main().catch((error) => {
	say(error.stack);
	process.exit(1);
});
