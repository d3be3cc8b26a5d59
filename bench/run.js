'use strict';
// npm run bench: measures the package inside a real n8n against the DingTalk sandbox and prints the
// figures. Each figure comes from one `n8n execute` of a workflow (process start included) and the
// sandbox's request log; run it on an idle machine. BENCH_N8N_LINE=1 measures n8n 1.x instead.
// The robot triggers' section measures message-to-execution-start latency in a running n8n (`n8n start`).
// BENCH_ONLY=nodes or BENCH_ONLY=triggers runs one section.
const crypto = require('node:crypto');
const fs = require('node:fs');
const { createSandbox, DEMO, PATHS, peakPerSecond } = require('../test/sandbox/server');
const { N8nInstance, freePort } = require('../test/e2e/n8n');
const W = require('../test/e2e/workflows');

const MiB = 1024 * 1024;
const spaceGet = {
	resource: 'groupSpace',
	operation: 'get',
	openConversationId: DEMO.group.openConversationId,
	operatorUnionId: DEMO.users.alice,
};

function lookups(id, count, credentialId) {
	return W.chain(id, `${count} look-ups`, [
		W.trigger(),
		...W.itemsOf(Array.from({ length: count }, (_, i) => ({ i }))),
		W.dingTalk('DingTalk', spaceGet, { credentialId }),
	]);
}

/** Runs one workflow and reads the node's own run time and the sandbox's view of it. */
async function measure(n8n, sandbox, id, path) {
	sandbox.clearLog();
	const result = await n8n.execute(id);
	if (result.error) throw new Error(`${id}: ${result.error.message}`);
	const run = result.runData.DingTalk[0];
	const calls = sandbox.requests.filter((entry) => entry.path === path);
	return {
		items: result.lastNodeOutput.length,
		nodeMs: run.executionTime,
		processMs: result.durationMs,
		tokenFetches: sandbox.tokenFetches(),
		calls: calls.length,
		refused: calls.filter((entry) => entry.status !== 200 || (entry.errcode ?? 0) !== 0).length,
		peakPerSecond: peakPerSecond(calls),
	};
}

const TRIGGER_MESSAGES = 100;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition, what, ms = 240_000) {
	const deadline = Date.now() + ms;
	for (;;) {
		if (await condition()) return;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await wait(500);
	}
}

function percentile(values, p) {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Message-to-execution-start latency of both robot triggers in a running n8n: from the moment the sandbox
 * pushes the frame (Stream) or sends the signed POST (webhook) to the execution's start in n8n's database.
 * Messages go one every 100 ms, so the figure is latency, not a queue. The Stream trigger needs n8n 2.x.
 */
async function measureTriggers(line) {
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	sandbox.robot.configure({ pingIntervalMs: 10_000 });
	const n8n = new N8nInstance({ line, name: `bench-triggers-${process.pid}` });
	const webhookId = crypto.randomUUID();
	const rows = [];
	let editor;
	try {
		await n8n.setup();
		await n8n.importCredentials([W.sandboxCredential(urls)]);
		const workflows = [
			W.chain('benchWebhook', 'bench webhook trigger', [
				W.robotWebhookTrigger('Robot', {}, { webhookId }),
			]),
		];
		if (line === 2)
			workflows.push(W.chain('benchStream', 'bench stream trigger', [W.robotTrigger('Robot', {})]));
		await n8n.importWorkflow(workflows);
		for (const workflow of workflows) await n8n.publish(workflow.id);
		let printed = '';
		editor = await n8n.start({ port: await freePort(), stdio: 'pipe' });
		editor.stdout.on('data', (chunk) => (printed += chunk));
		editor.stderr.on('data', (chunk) => (printed += chunk));
		await until(() => /Editor is now accessible/.test(printed), 'n8n to start');
		const url = `${editor.url}/webhook/${webhookId}/webhook`;
		// n8n activates workflows after that line: until then the URL answers 404.
		await until(async () => {
			const { message } = sandbox.robot.buildMessage({});
			return (await sandbox.robot.postCallback(url, message, { sign: 'probe' })).status === 401;
		}, 'the webhook to be registered');

		const latencies = async (workflowId, sentAt) => {
			let executions = [];
			await until(async () => {
				executions = await n8n.executionsOf(workflowId);
				return (
					executions.length >= TRIGGER_MESSAGES &&
					executions.every((execution) => !['new', 'running'].includes(execution.status))
				);
			}, `${TRIGGER_MESSAGES} finished executions`);
			return executions.map((execution) => {
				const item = execution.data.resultData.runData.Robot[0].data.main[0][0];
				return (execution.startedMs ?? execution.createdMs) - sentAt.get(item.json.messageId);
			});
		};

		if (line === 2) {
			await until(() => sandbox.robot.openConnections().length === 1, 'the Stream connection');
			for (let index = 0; index < TRIGGER_MESSAGES; index++) {
				await sandbox.robot.sendMessage({ text: `bench ${index}` });
				await wait(100);
			}
			const pushedAt = new Map(sandbox.robot.deliveries.map((d) => [d.msgId, d.time]));
			rows.push(['DingTalk Robot Trigger (Stream)', await latencies('benchStream', pushedAt)]);
		}
		const postedAt = new Map();
		for (let index = 0; index < TRIGGER_MESSAGES; index++) {
			const { message } = sandbox.robot.buildMessage({ text: `bench ${index}` });
			postedAt.set(message.msgId, Date.now());
			const answer = await sandbox.robot.postCallback(url, message, { secret: DEMO.app.appSecret });
			if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}`);
			await wait(100);
		}
		rows.push(['DingTalk Robot Webhook Trigger', await latencies('benchWebhook', postedAt)]);
	} finally {
		if (editor) await editor.stop();
		await sandbox.stop();
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}
	return [
		'',
		`Robot triggers, message to execution start, n8n ${n8n.version} (\`n8n start\`), ${TRIGGER_MESSAGES} messages each, one every 100 ms`,
		'',
		'| trigger | messages | executions | median | p99 | max |',
		'|---|---|---|---|---|---|',
		...rows.map(
			([name, values]) =>
				`| ${name} | ${TRIGGER_MESSAGES} | ${values.length} | ${percentile(values, 50)} ms | ${percentile(values, 99)} ms | ${Math.max(...values)} ms |`,
		),
	];
}

async function main() {
	const line = Number(process.env.BENCH_N8N_LINE || 2);
	const only = process.env.BENCH_ONLY;
	if (only === 'triggers') {
		process.stdout.write(`${(await measureTriggers(line)).join('\n')}\n`);
		return;
	}
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	const n8n = new N8nInstance({ line, name: `bench-${process.pid}` });
	const rows = [];
	try {
		await n8n.setup();
		await n8n.importCredentials([
			W.sandboxCredential(urls),
			W.sandboxCredential(urls, { id: 'coldApp' }),
		]);
		const big = crypto.randomBytes(10 * MiB);
		// A 10 MiB "zip" (DingTalk checks the extension, the sandbox the size and type rules).
		const bigZip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), big.subarray(4)]);
		const bigCode = sandbox.issueDownloadCode({ fileName: 'archive.zip', bytes: bigZip });
		await n8n.importWorkflow([
			lookups('cold50', 50, 'coldApp'),
			lookups('warm50', 50),
			lookups('warm200', 200),
			W.chain('upload10', 'upload 10 MiB', [
				W.trigger(),
				W.jsonItem('File', {
					b64: bigZip.toString('base64'),
					fileName: 'archive.zip',
					mimeType: 'application/zip',
				}),
				W.toFile(),
				W.dingTalk('DingTalk', {
					resource: 'media',
					operation: 'upload',
					binaryPropertyName: 'data',
					mediaType: 'auto',
				}),
			]),
			W.chain('download10', 'download 10 MiB', [
				W.trigger(),
				W.dingTalk('DingTalk', {
					resource: 'robotFile',
					operation: 'download',
					downloadCode: bigCode,
					fileName: 'archive.zip',
				}),
				W.sha256Of('Hash'),
			]),
		]);
		const space = PATHS.spaceQuery;
		rows.push([
			'50 look-ups, no stored token (cold)',
			await measure(n8n, sandbox, 'cold50', space),
		]);
		await measure(n8n, sandbox, 'warm50', space); // stores the main credential's token
		rows.push(['50 look-ups, stored token (warm)', await measure(n8n, sandbox, 'warm50', space)]);
		rows.push(['200 look-ups, no server limit', await measure(n8n, sandbox, 'warm200', space)]);
		sandbox.setRateLimit({ enabled: true, perSecond: 20 });
		rows.push(['200 look-ups, server limit 20/s', await measure(n8n, sandbox, 'warm200', space)]);
		sandbox.setRateLimit({ enabled: true, perSecond: 10 });
		rows.push([
			'200 look-ups, server limit 10/s (retries)',
			await measure(n8n, sandbox, 'warm200', space),
		]);
		sandbox.setRateLimit({ enabled: false });
		rows.push(['media upload, 10 MiB', await measure(n8n, sandbox, 'upload10', PATHS.mediaUpload)]);
		const uploaded = [...sandbox.media.values()].pop();
		if (uploaded.sha256 !== crypto.createHash('sha256').update(bigZip).digest('hex'))
			throw new Error('upload bytes differ');
		rows.push([
			'robot file download, 10 MiB',
			await measure(n8n, sandbox, 'download10', PATHS.robotDownload),
		]);
	} finally {
		await sandbox.stop();
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}

	const lines = [
		`n8n ${n8n.version}, Node ${line === 2 ? '24' : process.versions.node.split('.')[0]}, ${new Date().toISOString().slice(0, 10)}`,
		'',
		'| scenario | items | node time | items/s | token fetches | calls | refused | peak calls in 1 s |',
		'|---|---|---|---|---|---|---|---|',
		...rows.map(
			([name, r]) =>
				`| ${name} | ${r.items} | ${r.nodeMs} ms | ${Math.round((r.items / r.nodeMs) * 1000)} | ${r.tokenFetches} | ${r.calls} | ${r.refused} | ${r.peakPerSecond} |`,
		),
	];
	if (only !== 'nodes') lines.push(...(await measureTriggers(line)));
	process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exitCode = 1;
});
