// `node test/mutation-check.mjs`: removes, one at a time, a rule the fast loop must guard, runs
// `npm run test:fast` (node test/fast.mjs) and expects it to FAIL; the source is restored after each.
// Exit code 0 only when every mutation was caught. See CONTRIBUTING.md, "Mutation check".
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const MUTATIONS = [
	{
		name: 'a send is repeated after a 5xx (the answer is read as a refusal, not as "maybe carried out")',
		file: 'nodes/shared/transport/retry.ts',
		from: "if (kind === 'maybeExecuted') return 'maybeCarriedOut';",
		to: "if (kind === 'maybeExecuted') return 'refused';",
	},
	{
		name: 'signed file addresses (and session replies) follow redirects',
		file: 'nodes/shared/transport/hostRequest.ts',
		from: '\t\t\tdisableFollowRedirect: true,\n',
		to: '',
	},
	{
		name: 'the Stream reconnect backoff has no cap',
		file: 'nodes/DingTalkRobotTrigger/streamClient.ts',
		from: 'Math.min(STREAM_RECONNECT_MAX_MS, STREAM_RECONNECT_BASE_MS * 2 ** failures)',
		to: 'STREAM_RECONNECT_BASE_MS * 2 ** failures',
	},
];

let allCaught = true;
for (const mutation of MUTATIONS) {
	const original = readFileSync(mutation.file, 'utf8');
	if (original.split(mutation.from).length !== 2) {
		throw new Error(
			`${mutation.file}: the text to mutate is not there exactly once: ${mutation.from}`,
		);
	}
	writeFileSync(mutation.file, original.replace(mutation.from, mutation.to));
	try {
		const started = Date.now();
		const run = spawnSync('node', ['test/fast.mjs'], {
			encoding: 'utf8',
			env: { ...process.env, FORCE_COLOR: '0' },
		});
		const seconds = ((Date.now() - started) / 1000).toFixed(0);
		const output = `${run.stdout}${run.stderr}`;
		const failedTests = [
			...new Set([...output.matchAll(/^\s*● (.+ › .+)$/gm)].map((match) => match[1])),
		];
		const failedSteps = [...output.matchAll(/^── (\w+): (.+) FAILED$/gm)].map((match) => match[1]);
		// Caught by a test, not by a check (a mutation may leave an unused import behind).
		const caught = run.status !== 0 && failedSteps.includes('tests');
		allCaught &&= caught;
		console.log(`${caught ? 'CAUGHT' : 'MISSED'} (${seconds} s): ${mutation.name}`);
		console.log(
			`  ${mutation.file}: ${JSON.stringify(mutation.from.trim())} -> ${JSON.stringify(mutation.to.trim())}`,
		);
		if (failedSteps.length) console.log(`  failed lanes: ${failedSteps.join(', ')}`);
		for (const test of failedTests) console.log(`  ✕ ${test}`);
	} finally {
		writeFileSync(mutation.file, original);
	}
}
process.exitCode = allCaught ? 0 : 1;
