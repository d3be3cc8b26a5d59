'use strict';
// The robot triggers end to end: the packed package in a real, running n8n (`n8n start` with the
// workflows active), the DingTalk sandbox playing the people who message the robot. Line 2 (n8n 2.41.1,
// Node 24) runs the Stream trigger through drops, disconnect notices, silence, deactivation and a restart;
// line 1 (n8n 1.123.81, Node 20) proves the Stream trigger's clear message and the webhook trigger.
const crypto = require('node:crypto');
const fs = require('node:fs');
const { N8nInstance, executionDone, until, peakRssDuring } = require('./n8n');
const { createSandbox, DEMO } = require('../sandbox/server');
const W = require('./workflows');

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const OPEN_PATH = '/v1.0/gateway/connections/open';
const TRIGGER = 'Robot';

/** Extra sandbox apps, one per Stream workflow: DingTalk hands each message to one connection of an app. */
const APPS = {
	file: { appKey: DEMO.app.appKey, appSecret: DEMO.app.appSecret },
	load: { appKey: 'dingstreamloadkey', appSecret: 'stream-load-secret-0123456789' },
	filters: { appKey: 'dingstreamfilterkey', appSecret: 'stream-filter-secret-0123456789' },
	deactivate: { appKey: 'dingstreamstopkey', appSecret: 'stream-stop-secret-0123456789' },
	burst: { appKey: 'dingstreamburstkey', appSecret: 'stream-burst-secret-0123456789' },
};
const MiB = 1024 * 1024;
// A burst of 50 file messages of 4 MiB each, after a warm-up of 10 (n8n's heap grows to its working size
// first, whatever ran before). Each download is held 300 ms at the file host, so downloads that were not
// bounded would overlap there. n8n must never hold the whole burst: its resident memory grows by less than
// the burst's 200 MiB. The benchmark (npm run bench, section triggers) measures the growth; CONTRIBUTING.md,
// "Benchmarks", has the figures.
const BURST = { warmUp: 10, messages: 50, bytes: 4 * MiB, downloadMs: 300, ackWithinMs: 30_000 };

function defineRobotTriggerSuite(line) {
	jest.setTimeout(20 * 60 * 1000);
	describe(`DingTalk robot triggers in a running n8n ${line}.x`, () => {
		let sandbox;
		let urls;
		let n8n;
		let editor;
		let rest;
		const printed = { stdout: '', stderr: '' };
		const webhookId = crypto.randomUUID();
		const ids = {
			file: `robotFile${line}`,
			load: `robotLoad${line}`,
			filters: `robotFilters${line}`,
			deactivate: `robotStop${line}`,
			burst: `robotBurst${line}`,
			webhook: `robotWebhook${line}`,
		};
		const timings = {};

		const credentialOf = (app) =>
			W.sandboxCredential(urls, {
				id: `robot-${app.appKey}`,
				data: { clientId: app.appKey, clientSecret: app.appSecret },
			});
		const streamWorkflow = (id, app, parameters, after = []) =>
			W.chain(id, `robot trigger ${id}`, [
				W.robotTrigger(TRIGGER, parameters, { credentialId: `robot-${app.appKey}` }),
				...after,
			]);
		const triggerItem = (execution) =>
			execution.data?.resultData?.runData?.[TRIGGER]?.[0]?.data?.main?.[0]?.[0];
		/** The message of every execution of a workflow, once at least `count` have finished. */
		const startedIds = async (workflowId, count = 0) => {
			let executions = [];
			await until(
				async () => {
					executions = await n8n.executionsOf(workflowId);
					return executions.length >= count && executions.every(executionDone);
				},
				`${count} finished executions`,
				{ timeoutMs: 300_000 },
			);
			return executions.map((execution) => triggerItem(execution)?.json?.messageId);
		};
		/** The app's one open connection that is not silent (a silent one stays open until n8n notices). */
		const liveConnection = (appKey) =>
			until(
				() => sandbox.robot.openConnections(appKey).filter((c) => !c.silent).length === 1,
				`a live connection of ${appKey}`,
			);

		/** Starts n8n (logged in as its owner); what it prints collects in `printed` across restarts. */
		async function startN8n() {
			const started = Date.now();
			editor = await n8n.serve({ capture: printed, untilAccessible: true });
			timings.startMs = Date.now() - started;
			rest = n8n.rest;
		}

		beforeAll(async () => {
			const started = Date.now();
			sandbox = createSandbox();
			urls = await sandbox.start();
			sandbox.robot.configure({
				pingIntervalMs: 1000,
				redeliverAfterMs: 5000,
				disconnectGraceMs: 2000,
			});
			for (const app of Object.values(APPS)) sandbox.robot.addApp(app);
			// n8n 1.x keeps binary data in memory by default; a 100 MiB attachment goes to disk, as in 2.x.
			n8n = new N8nInstance({
				line,
				name: `robot-${process.pid}`,
				env: line === 1 ? { N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' } : {},
			});
			await n8n.setup();
			await n8n.importCredentials(Object.values(APPS).map(credentialOf));
			const keepTheFile = [W.sha256Of('Hash', 'data')];
			await n8n.importWorkflow([
				streamWorkflow(
					ids.file,
					APPS.file,
					{ downloadAttachment: true, options: { addSenderUnionId: true } },
					keepTheFile,
				),
				streamWorkflow(ids.load, APPS.load, {}),
				streamWorkflow(ids.filters, APPS.filters, {
					messageTypes: ['text', 'picture'],
					chatType: 'group',
					onlyWhenMentioned: true,
				}),
				streamWorkflow(ids.deactivate, APPS.deactivate, {}),
				streamWorkflow(ids.burst, APPS.burst, { downloadAttachment: true }),
				W.chain(ids.webhook, 'robot webhook trigger', [
					W.robotWebhookTrigger(
						TRIGGER,
						{ downloadAttachment: true, chatType: 'oneToOne', options: { addSenderUnionId: true } },
						{ webhookId, credentialId: `robot-${APPS.file.appKey}` },
					),
					W.sha256Of('Hash', 'data'),
				]),
			]);
			// 1.x: active when n8n starts (its Stream trigger fails to activate there, and says so); 2.x:
			// activated in the running n8n, as the editor's toggle does (the restarts below activate them
			// at start).
			if (line === 1) for (const id of [ids.file, ids.webhook]) await n8n.publish(id);
			await startN8n();
			if (line === 2) for (const id of Object.values(ids)) await n8n.publish(id);
			await webhookRegistered();
			timings.setupMs = Date.now() - started;
		});

		afterAll(async () => {
			if (n8n) await n8n.stopServing();
			// n8n's own output, for a failed run.
			if (n8n) fs.writeFileSync(`${n8n.userFolder}.log`, `${printed.stdout}\n${printed.stderr}`);
			if (sandbox) await sandbox.stop();
			process.stderr.write(
				`[robot e2e] n8n ${n8n && n8n.version}: setup ${timings.setupMs} ms, n8n start until "Editor is now accessible" ${timings.startMs} ms\n`,
			);
		});

		const webhookUrl = () => `${editor.url}/webhook/${webhookId}/webhook`;
		// n8n activates workflows after "Editor is now accessible": until then the URL answers 404.
		const webhookRegistered = () =>
			until(async () => {
				const { message } = sandbox.robot.buildMessage({ type: 'text' });
				const answer = await sandbox.robot.postCallback(webhookUrl(), message, { sign: 'probe' });
				return answer.status === 401;
			}, 'the webhook to be registered');

		test('webhook trigger: a correctly signed file message starts one execution with the file; a forged signature, a stale timestamp and no signature get 401 and start nothing', async () => {
			// Without the sender's union ID: the trigger looks it up (Add Sender's Union ID).
			const { message, attachments } = sandbox.robot.buildMessage({
				type: 'file',
				fileName: 'Signed contract.pdf',
				withUnionId: false,
			});
			const signed = await sandbox.robot.postCallback(webhookUrl(), message, {
				secret: APPS.file.appSecret,
			});
			expect(signed.status).toBe(200);
			const [execution] = await until(async () => {
				const done = await n8n.executionsOf(ids.webhook);
				return done.length === 1 && executionDone(done[0]) && done;
			}, 'the webhook execution');
			expect(execution.status).toBe('success');
			const item = triggerItem(execution);
			expect(item.json).toMatchObject({
				messageType: 'file',
				messageId: message.msgId,
				fileName: 'Signed contract.pdf',
				sender: { staffId: 'manager4220', unionId: DEMO.users.alice },
			});
			expect(message).not.toHaveProperty('senderUnionId');
			expect(item.binary.data).toMatchObject({
				fileName: 'Signed contract.pdf',
				mimeType: 'application/pdf',
			});
			const hash = execution.data.resultData.runData.Hash[0].data.main[0][0].json.sha256;
			expect(hash).toBe(attachments[0].sha256);

			const now = Date.now();
			const refused = [
				{ secret: 'not-the-app-secret-0000' },
				{
					secret: APPS.file.appSecret,
					timestamp: String(now - 61 * 60 * 1000),
				},
				{ secret: APPS.file.appSecret, sign: '' },
			];
			for (const signing of refused) {
				const answer = await sandbox.robot.postCallback(
					webhookUrl(),
					sandbox.robot.buildMessage({ type: 'text' }).message,
					signing,
				);
				expect(answer).toMatchObject({ status: 401, body: 'Unauthorized' });
			}
			// Filtered out (the node takes one-to-one chats only): answered, nothing started.
			const group = await sandbox.robot.postCallback(
				webhookUrl(),
				sandbox.robot.buildMessage({ type: 'text', chat: 'group' }).message,
				{ secret: APPS.file.appSecret },
			);
			expect(group.status).toBe(200);
			// The same message again (DingTalk retrying) starts nothing either.
			const again = await sandbox.robot.postCallback(webhookUrl(), message, {
				secret: APPS.file.appSecret,
			});
			expect(again.status).toBe(200);
			await wait(3000);
			expect(await n8n.executionsOf(ids.webhook)).toHaveLength(1);
		});

		test('webhook trigger: a captured signature with another body gets 401 and starts nothing; the same request again gets 200 and starts nothing; a foreign reply address is left out', async () => {
			const before = (await n8n.executionsOf(ids.webhook)).length;
			const { message } = sandbox.robot.buildMessage({
				type: 'file',
				fileName: 'First.pdf',
				sessionWebhook: 'https://collector.example/robot/sendBySession?session=1',
			});
			const timestamp = String(Date.now());
			const signing = { secret: APPS.file.appSecret, timestamp };
			expect((await sandbox.robot.postCallback(webhookUrl(), message, signing)).status).toBe(200);
			const forged = sandbox.robot.buildMessage({ type: 'file', fileName: 'Forged.pdf' }).message;
			expect(await sandbox.robot.postCallback(webhookUrl(), forged, signing)).toMatchObject({
				status: 401,
				body: 'Unauthorized',
			});
			expect((await sandbox.robot.postCallback(webhookUrl(), message, signing)).status).toBe(200);
			const started = await until(async () => {
				const done = await n8n.executionsOf(ids.webhook);
				return done.length === before + 1 && done.every(executionDone) && done;
			}, 'the first execution');
			await wait(3000);
			const executions = await n8n.executionsOf(ids.webhook);
			expect(executions).toHaveLength(before + 1);
			const item = triggerItem(started[started.length - 1]);
			expect(item.json).toMatchObject({ messageId: message.msgId, fileName: 'First.pdf' });
			expect(JSON.stringify(item.json)).not.toContain('collector.example');
		});

		test('webhook trigger: with a 100 MiB attachment DingTalk gets its 200 within a second; the execution then has the whole file', async () => {
			const before = (await n8n.executionsOf(ids.webhook)).length;
			const { message, attachments } = sandbox.robot.buildMessage({
				type: 'file',
				fileName: 'Big archive.pdf',
				size: 100 * MiB,
			});
			const answer = await sandbox.robot.postCallback(webhookUrl(), message, {
				secret: APPS.file.appSecret,
			});
			process.stderr.write(
				`[robot e2e] n8n ${n8n.version}: answer with a 100 MiB attachment after ${answer.ms} ms\n`,
			);
			expect(answer.status).toBe(200);
			expect(answer.ms).toBeLessThan(1000);
			const done = await until(
				async () => {
					const all = await n8n.executionsOf(ids.webhook);
					return all.length === before + 1 && all.every(executionDone) && all;
				},
				'the execution with the file',
				{ timeoutMs: 300_000 },
			);
			const execution = done[done.length - 1];
			expect(execution.status).toBe('success');
			expect(triggerItem(execution).json).toMatchObject({
				messageId: message.msgId,
				fileName: 'Big archive.pdf',
			});
			expect(execution.data.resultData.runData.Hash[0].data.main[0][0].json.sha256).toBe(
				attachments[0].sha256,
			);
		});

		if (line === 1) {
			test('the Stream trigger says it needs Node.js 22 and points to the webhook trigger, sending nothing', async () => {
				const text = `${printed.stdout}\n${printed.stderr}`;
				expect(text).toMatch(
					/The DingTalk Robot Trigger needs Node\.js 22 or later \(as in n8n 2\.x\), and this n8n runs on an older Node\.js without a built-in WebSocket: use the DingTalk Robot Webhook Trigger instead/,
				);
				expect(sandbox.requests.filter((entry) => entry.path === OPEN_PATH)).toHaveLength(0);
				expect(sandbox.robot.connections).toHaveLength(0);
				expect(await n8n.executionsOf(ids.file)).toHaveLength(0);
				// What the editor shows for the workflow: the activation error, with the way out.
				const error = await rest.get(`/rest/active-workflows/error/${ids.file}`);
				expect(JSON.stringify(error)).toMatch(
					/needs Node\.js 22 or later.*DingTalk Robot Webhook Trigger/,
				);
			});
		}

		if (line === 2) {
			test('a file sent to the robot starts exactly one execution whose binary is the bytes DingTalk served, under the real name', async () => {
				await until(
					() => sandbox.robot.openConnections(APPS.file.appKey).length === 1,
					'the connection',
				);
				const bytes = Buffer.concat([
					DEMO.files.reportPdf.bytes,
					Buffer.from(`% ${crypto.randomUUID()}\n`),
				]);
				const sent = await sandbox.robot.sendMessage({
					appKey: APPS.file.appKey,
					type: 'file',
					fileName: 'Quarterly report 2026.pdf',
					bytes,
					// the trigger adds it (Add Sender's Union ID)
					withUnionId: false,
				});
				const [execution] = await until(async () => {
					const done = await n8n.executionsOf(ids.file);
					return done.length === 1 && executionDone(done[0]) && done;
				}, 'the execution');
				expect(execution.status).toBe('success');
				const item = triggerItem(execution);
				expect(item.json).toMatchObject({
					messageType: 'file',
					messageId: sent.message.msgId,
					fileName: 'Quarterly report 2026.pdf',
					sender: { staffId: 'manager4220', nick: 'Alice', unionId: DEMO.users.alice },
					conversation: { type: 'oneToOne' },
				});
				expect(item.binary.data).toMatchObject({
					fileName: 'Quarterly report 2026.pdf',
					mimeType: 'application/pdf',
					fileExtension: 'pdf',
				});
				const hash = execution.data.resultData.runData.Hash[0].data.main[0][0].json.sha256;
				expect(hash).toBe(sha256(bytes));
				await wait(6000); // longer than the redelivery delay
				expect(await n8n.executionsOf(ids.file)).toHaveLength(1);
				expect(sandbox.robot.acks.filter((ack) => ack.msgId === sent.message.msgId)).toHaveLength(
					1,
				);
			});

			test('100 messages over 3 forced drops, a disconnect notice, a silent connection and an n8n restart (SIGTERM while messages arrive): each starts exactly one execution', async () => {
				const app = APPS.load.appKey;
				await until(() => sandbox.robot.openConnections(app).length === 1, 'the connection');
				const sent = [];
				const connectionsBefore = sandbox.robot.connections.filter((c) => c.appKey === app).length;
				let restarting;
				const disruptions = {
					15: () => sandbox.robot.dropConnections(app),
					30: () => sandbox.robot.announceDisconnect(app),
					45: async () => {
						// A silent connection is noticed by its missing pings: let it show their interval first.
						await until(
							() => sandbox.robot.openConnections(app).every((c) => c.pingReplies >= 3),
							'pings on the current connection',
						);
						sandbox.robot.silence(app);
					},
					60: () => sandbox.robot.dropConnections(app),
					// n8n stops gracefully while messages keep coming, and starts again.
					70: () => {
						restarting = (async () => {
							const stopped = Date.now();
							await n8n.stopServing();
							timings.restartStopMs = Date.now() - stopped;
							await startN8n();
							await webhookRegistered();
						})();
					},
					85: async () => {
						await restarting;
						await liveConnection(app);
						sandbox.robot.dropConnections(app);
					},
				};
				for (let index = 0; index < 100; index++) {
					if (disruptions[index]) {
						if (index !== 85) await liveConnection(app);
						await disruptions[index]();
					}
					const { message } = await sandbox.robot.sendMessage({
						appKey: app,
						text: `message ${index}`,
					});
					sent.push(message.msgId);
					await wait(30);
				}
				await startedIds(ids.load, 100);
				await until(() => sandbox.robot.pending(app).unacknowledged === 0, 'every acknowledgement');
				await wait(6000); // longer than the redelivery delay: anything sent again has arrived
				const started = await startedIds(ids.load);
				const counts = new Map();
				for (const id of started) counts.set(id, (counts.get(id) ?? 0) + 1);
				const lost = sent.filter((id) => !counts.has(id));
				const duplicated = [...counts.values()].filter((count) => count > 1).length;
				const connections = sandbox.robot.connections.filter((c) => c.appKey === app);
				const redelivered = sandbox.robot.deliveries.filter(
					(d) => sent.includes(d.msgId) && d.attempt > 1,
				).length;
				process.stderr.write(
					`[robot e2e] 100 messages: ${started.length} executions, lost ${lost.length}, duplicated ${duplicated}; ` +
						`${connections.length - connectionsBefore} reconnects, ${redelivered} frames delivered again, n8n stopped in ${timings.restartStopMs} ms\n`,
				);
				expect(lost).toEqual([]);
				expect(duplicated).toBe(0);
				expect(started).toHaveLength(100);
				// 3 drops, the notice, the silence and the restart: one new connection each.
				expect(connections.length - connectionsBefore).toBe(6);
			});

			test(`a burst of ${BURST.messages} file messages: every one starts with its file, no more downloads at once than the trigger's bound, and n8n never holds the whole burst`, async () => {
				// The bound (ATTACHMENT_DOWNLOADS_AT_ONCE), from the built package n8n runs.
				const bound = require('../../dist/nodes/shared/robotMessage').ATTACHMENT_DOWNLOADS_AT_ONCE;
				const app = APPS.burst.appKey;
				await liveConnection(app);
				// DingTalk sends an unacknowledged frame again after about a minute; the suite's 5 s (for the
				// restart test) is no measure of "in time" for 50 downloads on a busy machine: half a minute is.
				sandbox.robot.configure({ redeliverAfterMs: BURST.ackWithinMs });
				const sendFiles = async (count, prefix) =>
					await Promise.all(
						Array.from(
							{ length: count },
							async (_, index) =>
								(
									await sandbox.robot.sendMessage({
										appKey: app,
										type: 'file',
										fileName: `${prefix} ${index}.pdf`,
										size: BURST.bytes,
									})
								).message.msgId,
						),
					);
				const allAcknowledged = () =>
					until(() => sandbox.robot.pending(app).unacknowledged === 0, 'every acknowledgement');
				await sendFiles(BURST.warmUp, 'warm-up');
				await startedIds(ids.burst, BURST.warmUp);
				await allAcknowledged();
				await wait(2000);
				sandbox.failNext(
					{ path: '*', host: 'files' },
					{ delayMs: BURST.downloadMs },
					BURST.messages,
				);
				sandbox.takeMostFilesAtOnce();
				let sent;
				const { before, peak } = await peakRssDuring(editor.pid, async () => {
					sent = await sendFiles(BURST.messages, 'burst');
					await startedIds(ids.burst, BURST.warmUp + BURST.messages);
					await allAcknowledged();
				});
				const mostAtOnce = sandbox.takeMostFilesAtOnce();
				sandbox.robot.configure({ redeliverAfterMs: 5000 });
				const executions = (await n8n.executionsOf(ids.burst)).filter((execution) =>
					sent.includes(triggerItem(execution).json.messageId),
				);
				const slowestAck = Math.max(
					...sandbox.robot.acks
						.filter((ack) => sent.includes(ack.msgId))
						.map((ack) => ack.time - ack.deliveredAt),
				);
				process.stderr.write(
					`[robot e2e] burst of ${BURST.messages} x ${BURST.bytes / MiB} MiB: n8n grew by ${Math.round((peak - before) / MiB)} MB (${Math.round(before / MiB)} -> ${Math.round(peak / MiB)} MB); at most ${mostAtOnce} downloads at once; slowest acknowledgement ${slowestAck} ms after delivery\n`,
				);
				expect(executions.map((execution) => triggerItem(execution).json.messageId).sort()).toEqual(
					[...sent].sort(),
				);
				expect(executions.every((execution) => triggerItem(execution).binary?.data)).toBe(true);
				expect(
					sandbox.robot.deliveries.filter((d) => sent.includes(d.msgId) && d.attempt > 1),
				).toEqual([]);
				expect(mostAtOnce).toBeLessThanOrEqual(bound);
				expect(peak - before).toBeLessThan(BURST.messages * BURST.bytes);
			});

			test('filters: only @-mentioned group text and pictures start executions', async () => {
				const app = APPS.filters.appKey;
				await until(() => sandbox.robot.openConnections(app).length === 1, 'the connection');
				const send = async (spec) =>
					(await sandbox.robot.sendMessage({ appKey: app, ...spec })).message.msgId;
				const wanted = [await send({ chat: 'group', type: 'picture' })];
				await send({ chat: 'group', type: 'text', mentioned: false });
				await send({ chat: 'oneToOne', type: 'text' });
				await send({ chat: 'oneToOne', type: 'file' });
				await send({ chat: 'group', type: 'richText' });
				wanted.push(await send({ chat: 'group', type: 'text', text: 'please file this' }));
				await until(
					() =>
						sandbox.robot.acks.filter(
							(ack) => ack.connectionId === sandbox.robot.openConnections(app)[0]?.id,
						).length >= 6,
					'every acknowledgement',
				);
				await startedIds(ids.filters, 2);
				await wait(3000);
				expect((await startedIds(ids.filters)).sort()).toEqual([...wanted].sort());
			});

			test('deactivating the workflow closes its connection cleanly and nothing reconnects', async () => {
				const app = APPS.deactivate.appKey;
				const [open] = await until(() => {
					const live = sandbox.robot.openConnections(app);
					return live.length === 1 && live;
				}, 'the connection');
				// n8n was restarted before: that closed an earlier connection of this app.
				const connectionsOfApp = () => sandbox.robot.connections.filter((c) => c.appKey === app);
				const connectionsBefore = connectionsOfApp().length;
				await n8n.unpublish(ids.deactivate);
				await until(() => sandbox.robot.openConnections(app).length === 0, 'the close');
				expect(connectionsOfApp().find((c) => c.id === open.id)).toMatchObject({
					closedBy: 'client',
					closeCode: 1000,
				});
				const opens = () =>
					sandbox.requests.filter((entry) => entry.path === OPEN_PATH && entry.appKey === app)
						.length;
				const before = opens();
				await sandbox.robot.sendMessage({ appKey: app, text: 'nobody listens' });
				await wait(10_000); // far beyond the reconnect backoff and the silence limit
				expect(opens()).toBe(before);
				expect(connectionsOfApp()).toHaveLength(connectionsBefore);
				expect(sandbox.robot.pending(app).waiting).toBe(1);
				expect(await n8n.executionsOf(ids.deactivate)).toHaveLength(0);
			});

			test('stopping n8n closes every connection cleanly; after a restart a message DingTalk sends again starts nothing', async () => {
				const streamApps = [APPS.file, APPS.load, APPS.filters, APPS.burst].map(
					(app) => app.appKey,
				);
				const openBefore = streamApps.flatMap((app) => sandbox.robot.openConnections(app));
				expect(openBefore).toHaveLength(4);
				const stopped = Date.now();
				await n8n.stopServing();
				timings.stopMs = Date.now() - stopped;
				const after = sandbox.robot.connections.filter((c) =>
					openBefore.some((o) => o.id === c.id),
				);
				expect(after.map((c) => [c.closedBy, c.closeCode])).toEqual([
					['client', 1000],
					['client', 1000],
					['client', 1000],
					['client', 1000],
				]);
				await startN8n();
				await webhookRegistered();
				await until(
					() => streamApps.every((app) => sandbox.robot.openConnections(app).length === 1),
					'the connections after the restart',
				);
				const [first] = await startedIds(ids.load, 100);
				sandbox.robot.resend(first);
				sandbox.robot.resend(first, { newFrame: true });
				const fresh = await sandbox.robot.sendMessage({
					appKey: APPS.load.appKey,
					text: 'after restart',
				});
				await startedIds(ids.load, 101);
				await until(
					() => sandbox.robot.pending(APPS.load.appKey).unacknowledged === 0,
					'the acknowledgements',
				);
				await wait(6000);
				const started = await startedIds(ids.load);
				expect(started).toHaveLength(101);
				expect(started.filter((id) => id === first)).toHaveLength(1);
				expect(started).toContain(fresh.message.msgId);
			});
		}

		test("no app secret, access token, ticket or signed URL appears in n8n's output or in any item", async () => {
			const secrets = [
				...Object.values(APPS).map((app) => app.appSecret),
				...sandbox.issuedTokens(),
				...sandbox.robot.issuedTickets(),
			];
			if (line === 2) expect(sandbox.robot.issuedTickets().length).toBeGreaterThan(5);
			const items = [];
			for (const id of Object.values(ids))
				for (const execution of await n8n.executionsOf(id))
					items.push(JSON.stringify(execution.data));
			const text = `${printed.stdout}\n${printed.stderr}\n${items.join('\n')}`;
			for (const secret of secrets) expect(text).not.toContain(secret);
			expect(text).not.toContain('Signature=');
			expect(text).not.toContain('ticket=');
		});
	});
}

module.exports = { defineRobotTriggerSuite };
