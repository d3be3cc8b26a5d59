'use strict';
// Benchmark section "triggers", in a running n8n (`n8n start`): message-to-execution-start latency of both
// robot triggers (100 messages each, one every 100 ms); the webhook trigger's answer time with a 100 MiB
// attachment (Download Attachment on: DingTalk must get its 200 within a second); and n8n's resident memory
// while the Stream trigger takes a burst of 50 file messages. The Stream trigger needs n8n 2.x.
const crypto = require('node:crypto');
const fs = require('node:fs');
const { createSandbox, DEMO } = require('../test/sandbox/server');
const { N8nInstance, freePort, until, peakRssDuring } = require('../test/e2e/n8n');
const W = require('../test/e2e/workflows');

const TRIGGER_MESSAGES = 100;
const MiB = 1024 * 1024;
const ATTACHMENT_BYTES = 100 * MiB;
const ATTACHMENT_RUNS = 3;
const BURST = { messages: 50, bytes: 4 * MiB };
// The burst comes from an app of its own: DingTalk hands each message to one connection of an app.
const BURST_APP = { appKey: 'dingbenchburstkey', appSecret: 'bench-burst-secret-0123456789' };
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const BENCH_WAIT = { timeoutMs: 240_000 };

const mb = (bytes) => `${(bytes / MiB).toFixed(0)} MB`;

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
	const fileWebhookId = crypto.randomUUID();
	const rows = [];
	const extra = [];
	let editor;
	try {
		await n8n.setup();
		sandbox.robot.addApp(BURST_APP);
		const burstCredential = 'bench-burst';
		await n8n.importCredentials([
			W.sandboxCredential(urls),
			W.sandboxCredential(urls, {
				id: burstCredential,
				data: { clientId: BURST_APP.appKey, clientSecret: BURST_APP.appSecret },
			}),
		]);
		const workflows = [
			W.chain('benchWebhook', 'bench webhook trigger', [
				W.robotWebhookTrigger('Robot', {}, { webhookId }),
			]),
			W.chain('benchWebhookFile', 'bench webhook trigger with attachment', [
				W.robotWebhookTrigger('Robot', { downloadAttachment: true }, { webhookId: fileWebhookId }),
			]),
		];
		if (line === 2)
			workflows.push(
				W.chain('benchStream', 'bench stream trigger', [W.robotTrigger('Robot', {})]),
				W.chain('benchBurst', 'bench stream trigger burst', [
					W.robotTrigger('Robot', { downloadAttachment: true }, { credentialId: burstCredential }),
				]),
			);
		await n8n.importWorkflow(workflows);
		for (const workflow of workflows) await n8n.publish(workflow.id);
		editor = await n8n.start({
			port: await freePort(),
			untilAccessible: true,
			readyTimeoutMs: BENCH_WAIT.timeoutMs,
		});
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

		// The answer DingTalk waits for, with a 100 MiB file to download.
		const fileUrl = `${editor.url}/webhook/${fileWebhookId}/webhook`;
		const answers = [];
		for (let run = 0; run < ATTACHMENT_RUNS; run++) {
			const { message, attachments } = sandbox.robot.buildMessage({
				type: 'file',
				fileName: 'big.pdf',
				size: ATTACHMENT_BYTES,
			});
			const sentAt = Date.now();
			const answer = await sandbox.robot.postCallback(fileUrl, message, {
				secret: DEMO.app.appSecret,
			});
			if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}`);
			let done;
			await until(
				async () => {
					done = (await n8n.executionsOf('benchWebhookFile')).find(
						(execution) =>
							execution.status === 'success' &&
							execution.data.resultData.runData.Robot[0].data.main[0][0].json.messageId ===
								message.msgId,
					);
					return done;
				},
				'the execution with the file',
				BENCH_WAIT,
			);
			const stored = done.data.resultData.runData.Robot[0].data.main[0][0];
			if (stored.json.fileName !== 'big.pdf' || !stored.binary?.data)
				throw new Error(`the execution has no file: ${JSON.stringify(stored.json).slice(0, 300)}`);
			answers.push({ ms: answer.ms, fileMs: done.stoppedMs - sentAt, sha: attachments[0].sha256 });
		}
		extra.push(
			'',
			`Webhook trigger with Download Attachment, a ${mb(ATTACHMENT_BYTES)} file, ${ATTACHMENT_RUNS} runs: the answer DingTalk gets, and the execution with the file`,
			'',
			'| run | answer to DingTalk | execution finished, file stored |',
			'|---|---|---|',
			...answers.map((a, index) => `| ${index + 1} | ${a.ms} ms | ${a.fileMs} ms |`),
		);

		if (line === 2) {
			await until(
				() => sandbox.robot.openConnections(BURST_APP.appKey).length === 1,
				'the burst connection',
				BENCH_WAIT,
			);
			await wait(2000);
			const started = Date.now();
			const burstAcks = () => sandbox.robot.acks.filter((ack) => sent.includes(ack.msgId));
			let sent = [];
			const { before, peak } = await peakRssDuring(editor.pid, async () => {
				sent = await Promise.all(
					Array.from(
						{ length: BURST.messages },
						async (_, index) =>
							(
								await sandbox.robot.sendMessage({
									appKey: BURST_APP.appKey,
									type: 'file',
									fileName: `burst ${index}.pdf`,
									size: BURST.bytes,
								})
							).message.msgId,
					),
				);
				await until(
					() => burstAcks().length >= BURST.messages,
					'every acknowledgement of the burst',
					BENCH_WAIT,
				);
			});
			const allAcked = Date.now() - started;
			const slowestAck = Math.max(...burstAcks().map((ack) => ack.time - ack.deliveredAt));
			const executions = await n8n.executionsOf('benchBurst');
			const withFile = executions.filter(
				(execution) => execution.data.resultData.runData.Robot[0].data.main[0][0].binary?.data,
			).length;
			extra.push(
				'',
				`Stream trigger, a burst of ${BURST.messages} file messages of ${mb(BURST.bytes)} each (Download Attachment, binary data mode filesystem): n8n's resident memory`,
				'',
				'| before | peak | growth | all acknowledged after | slowest acknowledgement after delivery | executions with the file |',
				'|---|---|---|---|---|---|',
				`| ${mb(before)} | ${mb(peak)} | ${mb(peak - before)} | ${allAcked} ms | ${slowestAck} ms | ${withFile} of ${BURST.messages} |`,
			);
		}
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
		...extra,
	];
}

module.exports = { run };
