'use strict';
// Benchmark section "triggers": message-to-execution-start latency of both robot triggers in a running
// n8n (`n8n start`), 100 messages each, one every 100 ms. The Stream trigger needs n8n 2.x.
const crypto = require('node:crypto');
const fs = require('node:fs');
const { createSandbox, DEMO } = require('../test/sandbox/server');
const { N8nInstance, freePort, until } = require('../test/e2e/n8n');
const W = require('../test/e2e/workflows');

const TRIGGER_MESSAGES = 100;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const BENCH_WAIT = { timeoutMs: 240_000 };

function percentile(values, p) {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Message-to-execution-start latency of both robot triggers in a running n8n: from the moment the sandbox
 * pushes the frame (Stream) or sends the signed POST (webhook) to the execution's start in n8n's database.
 * Messages go one every 100 ms, so the figure is latency, not a queue. The Stream trigger needs n8n 2.x.
 */
async function run({ line }) {
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
		await until(() => /Editor is now accessible/.test(printed), 'n8n to start', BENCH_WAIT);
		const url = `${editor.url}/webhook/${webhookId}/webhook`;
		// n8n activates workflows after that line: until then the URL answers 404.
		await until(
			async () => {
				const { message } = sandbox.robot.buildMessage({});
				return (await sandbox.robot.postCallback(url, message, { sign: 'probe' })).status === 401;
			},
			'the webhook to be registered',
			BENCH_WAIT,
		);

		const latencies = async (workflowId, sentAt) => {
			let executions = [];
			await until(
				async () => {
					executions = await n8n.executionsOf(workflowId);
					return (
						executions.length >= TRIGGER_MESSAGES &&
						executions.every((execution) => !['new', 'running'].includes(execution.status))
					);
				},
				`${TRIGGER_MESSAGES} finished executions`,
				BENCH_WAIT,
			);
			return executions.map((execution) => {
				const item = execution.data.resultData.runData.Robot[0].data.main[0][0];
				return (execution.startedMs ?? execution.createdMs) - sentAt.get(item.json.messageId);
			});
		};

		if (line === 2) {
			await until(
				() => sandbox.robot.openConnections().length === 1,
				'the Stream connection',
				BENCH_WAIT,
			);
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

module.exports = { run };
