/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports */
// The DingTalk Robot Trigger in a real n8n-core TriggerContext, against the sandbox's Stream gateway over
// HTTP and WebSocket. Jest runs on the machine's Node (20, no global WebSocket): the `ws` library stands
// in for Node's built-in one here; the end-to-end suite runs the real one in n8n 2.x on Node 24.
import { createHash } from 'crypto';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { IDataObject } from 'n8n-workflow';
import {
	HANDOFF_PATIENCE_MS,
	startRobotStream,
} from '../../nodes/DingTalkRobotTrigger/DingTalkRobotTrigger.node';
import { SYSTEM_CLOCK } from '../../nodes/DingTalkRobotTrigger/stream';
import { ATTACHMENT_DOWNLOADS_AT_ONCE } from '../../nodes/shared/robotMessage';
import { startRobotTrigger, StoredCredential, type RunningTrigger } from './n8n-context';

process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'dingtalk-trigger-'));
// Reconnects wait 1 to 2 s, and some tests wait for nothing to happen.
jest.setTimeout(60_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WebSocket: WsWebSocket } = require('ws');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSandbox, DEMO } = require('../sandbox/server');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sandboxCredential } = require('../e2e/workflows');

const OPEN_PATH = '/v1.0/gateway/connections/open';
// Values the sandbox does not know: a mistyped secret, and one the app got after rotating its own.
const WRONG_SECRET = ['not', 'the', 'secret', '0000'].join('-');
const ROTATED_SECRET = ['a', 'new', 'secret', '0000'].join('-');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const wait = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

interface Connection {
	id: string;
	appKey: string;
	closedAt: number | null;
	closeCode: number | null;
	closedBy: string | null;
	pingReplies: number;
	acks: number;
}
interface Sent {
	message: { msgId: string; [key: string]: unknown };
	attachments: Array<{ fileName: string; sha256: string; bytes: Buffer }>;
	frameId: string;
}
let sandbox: {
	start(): Promise<{ apiBaseUrl: string; legacyBaseUrl: string; fileBaseUrl: string }>;
	stop(): Promise<void>;
	robot: {
		configure(settings: object): void;
		connections: Connection[];
		openConnections(appKey?: string): Connection[];
		sendMessage(spec: object): Promise<Sent>;
		resend(msgId: string, options?: { newFrame?: boolean }): void;
		dropConnections(appKey?: string): number;
		silence(appKey?: string): number;
		announceDisconnect(appKey?: string): number;
		addApp(app: { appKey: string; appSecret: string }): void;
		issuedTickets(): string[];
		pending(appKey?: string): { waiting: number; unacknowledged: number };
		acks: Array<{ msgId: string; time: number; deliveredAt: number }>;
		deliveries: Array<{ msgId: string; attempt: number }>;
	};
	failNext(match: { path: string; host?: string }, response: object, times?: number): void;
	requests: Array<{ host: string; path: string; status: number | null; time: number }>;
};
let urls: { apiBaseUrl: string; legacyBaseUrl: string; fileBaseUrl: string };
const triggers: RunningTrigger[] = [];

beforeAll(() => {
	(global as unknown as { WebSocket: unknown }).WebSocket = WsWebSocket;
});
beforeEach(async () => {
	sandbox = createSandbox();
	urls = await sandbox.start();
	sandbox.robot.configure({ pingIntervalMs: 200, redeliverAfterMs: 1500, disconnectGraceMs: 500 });
});
afterEach(async () => {
	for (const trigger of triggers.splice(0)) await trigger.response.closeFunction?.();
	await sandbox.stop();
});

const credentialFor = (data: IDataObject = {}) =>
	new StoredCredential({
		...sandboxCredential(urls, { data }).data,
		accessToken: '',
		expiresAt: 0,
	});

async function start(
	parameters: IDataObject = {},
	options: Partial<Parameters<typeof startRobotTrigger>[0]> = {},
) {
	const trigger = await startRobotTrigger({ credential: credentialFor(), parameters, ...options });
	triggers.push(trigger);
	return trigger;
}

async function until(condition: () => boolean, what: string, ms = 15000) {
	const deadline = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await wait(25);
	}
}

const emittedIds = (trigger: RunningTrigger) =>
	trigger.emitted.map((entry) => entry.items[0].json.messageId as string);
const openCalls = () => sandbox.requests.filter((entry) => entry.path === OPEN_PATH);

describe('DingTalk Robot Trigger (Stream mode)', () => {
	it('connects on activation, answers pings, and starts one execution per message with its file as binary data', async () => {
		const trigger = await start({ downloadAttachment: true, binaryPropertyName: 'file' });
		expect(sandbox.robot.openConnections()).toHaveLength(1);
		const sent = await sandbox.robot.sendMessage({ type: 'file', fileName: 'Q3 report.pdf' });
		await until(() => trigger.emitted.length === 1, 'the message');
		const [{ items, deduplicationKey }] = trigger.emitted;
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({
			messageType: 'file',
			text: '',
			sender: { staffId: 'manager4220', nick: 'Alice', unionId: DEMO.users.alice },
			conversation: { type: 'oneToOne', title: null },
			robotCode: DEMO.app.robotCode,
			messageId: sent.message.msgId,
			downloadCode: sent.message.content && (sent.message.content as IDataObject).downloadCode,
			fileName: 'Q3 report.pdf',
			raw: sent.message,
		});
		expect(items[0].json.createdAt).toBe(new Date(sent.message.createAt as number).toISOString());
		const binary = items[0].binary!.file;
		expect(binary).toMatchObject({ fileName: 'Q3 report.pdf', mimeType: 'application/pdf' });
		expect(sha256(Buffer.from(binary.data, 'base64'))).toBe(sent.attachments[0].sha256);
		expect(deduplicationKey).toBe(`dingtalk-robot:wf:${sent.message.msgId}`);
		await until(() => sandbox.robot.connections[0].acks === 1, 'the acknowledgement');
		await until(() => sandbox.robot.connections[0].pingReplies >= 2, 'ping replies');
		expect(openCalls()).toHaveLength(1);
	});

	it('reconnects with a new ticket after a drop, a disconnect notice and silence, and starts every message exactly once', async () => {
		const trigger = await start();
		const sent: string[] = [];
		const send = async (count: number) => {
			for (let i = 0; i < count; i++)
				sent.push(
					(await sandbox.robot.sendMessage({ text: `message ${sent.length}` })).message.msgId,
				);
		};
		await send(5);
		await until(() => trigger.emitted.length === 5, 'the first messages');
		expect(sandbox.robot.dropConnections()).toBe(1);
		await send(5); // queued while there is no connection
		await until(() => sandbox.robot.openConnections().length === 1, 'a reconnect after the drop');
		sandbox.robot.announceDisconnect();
		await send(5);
		await until(
			() => sandbox.robot.connections.length === 3 && sandbox.robot.openConnections().length === 1,
			'a reconnect after the notice',
		);
		// The silent connection takes no frames: they wait until the trigger sees the silence and reconnects.
		await wait(700); // two pings show the interval
		expect(sandbox.robot.silence()).toBe(1);
		await send(5);
		await until(() => trigger.emitted.length === 20, 'every message', 20000);
		// DingTalk sends some again: the same frame, and the same message in a new frame.
		sandbox.robot.resend(sent[3]);
		sandbox.robot.resend(sent[12], { newFrame: true });
		await until(() => sandbox.robot.pending().unacknowledged === 0, 'the acknowledgements');
		await wait(300);
		expect(emittedIds(trigger).sort()).toEqual([...sent].sort());
		const connections = sandbox.robot.connections;
		expect(connections.length).toBe(4);
		expect(connections.slice(0, 3).every((c) => c.closedAt !== null)).toBe(true);
		expect(new Set(sandbox.robot.issuedTickets()).size).toBe(openCalls().length);
		expect(openCalls().length).toBe(4);
		expect(trigger.errors).toEqual([]);
	});

	it('closes cleanly when deactivated: the socket closes with a close frame and nothing reconnects', async () => {
		const trigger =
			triggers[
				triggers.push(await startRobotTrigger({ credential: credentialFor(), parameters: {} })) - 1
			];
		await trigger.response.closeFunction!();
		const [connection] = sandbox.robot.connections;
		expect(connection).toMatchObject({ closedBy: 'client', closeCode: 1000 });
		const calls = openCalls().length;
		await wait(3000);
		expect(openCalls().length).toBe(calls);
		expect(sandbox.robot.openConnections()).toHaveLength(0);
		const sent = await sandbox.robot.sendMessage({});
		await wait(300);
		expect(trigger.emitted).toHaveLength(0);
		expect(sandbox.robot.pending().waiting).toBe(1);
		expect(sent.message.msgId).toBeDefined();
	});

	it('remembers messages in the static data, so one sent again after a restart starts nothing', async () => {
		const staticData: IDataObject = {};
		const first = await start({}, { staticData });
		const sent = await sandbox.robot.sendMessage({});
		await until(() => first.emitted.length === 1, 'the message');
		await first.response.closeFunction!();
		const second = await start({}, { staticData });
		sandbox.robot.resend(sent.message.msgId);
		sandbox.robot.resend(sent.message.msgId, { newFrame: true });
		const other = await sandbox.robot.sendMessage({});
		await until(() => second.emitted.length === 1, 'the next message');
		await until(() => sandbox.robot.pending().unacknowledged === 0, 'the acknowledgements');
		expect(emittedIds(second)).toEqual([other.message.msgId]);
	});

	it('filters by message type, chat type and @-mention; filtered messages are acknowledged', async () => {
		const trigger = await start({
			messageTypes: ['text', 'picture'],
			chatType: 'group',
			onlyWhenMentioned: true,
		});
		const wanted = await sandbox.robot.sendMessage({ chat: 'group', type: 'picture' });
		await sandbox.robot.sendMessage({ chat: 'group', type: 'text', mentioned: false });
		await sandbox.robot.sendMessage({ chat: 'oneToOne', type: 'text' });
		await sandbox.robot.sendMessage({ chat: 'oneToOne', type: 'file' });
		await sandbox.robot.sendMessage({ chat: 'group', type: 'richText' });
		const alsoWanted = await sandbox.robot.sendMessage({ chat: 'group', type: 'text', text: 'hi' });
		await until(() => sandbox.robot.connections[0].acks === 6, 'every acknowledgement');
		expect(emittedIds(trigger)).toEqual([wanted.message.msgId, alsoWanted.message.msgId]);
		expect(trigger.emitted[1].items[0].json).toMatchObject({
			text: 'hi',
			conversation: { id: DEMO.group.openConversationId, type: 'group', title: 'Sandbox team' },
		});
	});

	it('acknowledges a frame only once n8n has taken the execution', async () => {
		const trigger = await start({}, { execution: () => undefined });
		const sent = await sandbox.robot.sendMessage({ text: 'hold on' });
		await until(() => trigger.emitted.length === 1, 'the message');
		await wait(500);
		expect(sandbox.robot.acks).toHaveLength(0);
		trigger.emitted[0].done!.resolve({} as never);
		await until(() => sandbox.robot.acks.length === 1, 'the acknowledgement');
		expect(sandbox.robot.acks[0].msgId).toBe(sent.message.msgId);
		expect(trigger.staticData.seenMessages).toHaveProperty(`message:${sent.message.msgId}`);
	});

	it('a message n8n could not store is neither acknowledged nor remembered: DingTalk sends it again and it starts then', async () => {
		let attempts = 0;
		const trigger = await start(
			{},
			{
				execution: (done) => {
					if (++attempts === 1) done.reject(new Error('the database is shutting down'));
					else done.resolve({} as never);
				},
			},
		);
		const sent = await sandbox.robot.sendMessage({ text: 'keep me' });
		await until(() => trigger.emitted.length === 1, 'the first delivery');
		await wait(300);
		expect(sandbox.robot.acks).toHaveLength(0);
		expect(trigger.staticData.seenMessages ?? {}).not.toHaveProperty(
			`message:${sent.message.msgId}`,
		);
		// The sandbox sends an unacknowledged frame again after 1.5 s.
		await until(() => trigger.emitted.length === 2, 'the delivery DingTalk sends again');
		await until(() => sandbox.robot.acks.length === 1, 'the acknowledgement');
		expect(emittedIds(trigger)).toEqual([sent.message.msgId, sent.message.msgId]);
		await wait(2000);
		expect(trigger.emitted).toHaveLength(2);
	});

	it('an execution n8n took but has not finished is acknowledged after the patience, not left to be sent again forever', async () => {
		// Only the patience is shortened, to 300 ms; the connection keeps its real timing.
		const clock = {
			...SYSTEM_CLOCK,
			sleep: async (ms: number, signal: AbortSignal) =>
				await SYSTEM_CLOCK.sleep(ms === HANDOFF_PATIENCE_MS ? 300 : ms, signal),
		};
		const trigger = await start(
			{},
			{
				execution: () => undefined,
				startWith: async (ctx) => await startRobotStream(ctx, { clock }),
			},
		);
		await sandbox.robot.sendMessage({ text: 'a long workflow' });
		await until(() => sandbox.robot.acks.length === 1, 'the acknowledgement');
		expect(trigger.emitted).toHaveLength(1);
	});

	it(`a burst of 50 file messages downloads at most ${ATTACHMENT_DOWNLOADS_AT_ONCE} files at once, and every frame is acknowledged before DingTalk would send it again`, async () => {
		sandbox.robot.configure({ redeliverAfterMs: 15_000 });
		const trigger = await start({ downloadAttachment: true });
		// Each download takes 300 ms at the file host.
		sandbox.failNext({ path: '*', host: 'files' }, { delayMs: 300 }, 50);
		const sent = await Promise.all(
			Array.from(
				{ length: 50 },
				async () => (await sandbox.robot.sendMessage({ type: 'file' })).message.msgId,
			),
		);
		await until(() => sandbox.robot.acks.length === 50, 'every acknowledgement', 30_000);
		expect(emittedIds(trigger).sort()).toEqual([...sent].sort());
		expect(trigger.emitted.every((entry) => entry.items[0].binary?.data)).toBe(true);
		// A download slot is busy for at least 300 ms: in any 250 ms at most one start per slot.
		const starts = sandbox.requests
			.filter((entry) => entry.host === 'files')
			.map((entry) => entry.time);
		expect(starts).toHaveLength(50);
		const mostWithin250 = Math.max(
			...starts.map((at) => starts.filter((other) => other >= at && other < at + 250).length),
		);
		expect(mostWithin250).toBeLessThanOrEqual(ATTACHMENT_DOWNLOADS_AT_ONCE);
		const slowest = Math.max(...sandbox.robot.acks.map((ack) => ack.time - ack.deliveredAt));
		process.stderr.write(
			`[robot integration] 50 file messages: slowest acknowledgement ${slowest} ms after delivery\n`,
		);
		expect(slowest).toBeLessThan(15_000);
		expect(sandbox.robot.deliveries.filter((delivery) => delivery.attempt > 1)).toEqual([]);
	});

	it("starts nothing for senders and chats not allowed, nor for the robot's own messages, and acknowledges them", async () => {
		const trigger = await start({
			options: { senderStaffIds: 'manager4220', conversationIds: DEMO.group.openConversationId },
		});
		const wanted = await sandbox.robot.sendMessage({ chat: 'group', sender: 'alice' });
		await sandbox.robot.sendMessage({ chat: 'group', sender: 'bob' });
		await sandbox.robot.sendMessage({
			chat: 'group',
			sender: 'alice',
			conversationId: 'cidOtherGroup==',
		});
		await sandbox.robot.sendMessage({ chat: 'group', fromRobot: true });
		await until(() => sandbox.robot.acks.length === 4, 'every acknowledgement');
		await wait(200);
		expect(emittedIds(trigger)).toEqual([wanted.message.msgId]);
	});

	it("adds the sender's union ID when the message lacks it: one directory look-up per sender", async () => {
		const trigger = await start({ options: { addSenderUnionId: true } });
		const lookups = () => sandbox.requests.filter((entry) => entry.path === '/topapi/v2/user/get');
		await sandbox.robot.sendMessage({ sender: 'carol', withUnionId: false });
		await sandbox.robot.sendMessage({ sender: 'carol', withUnionId: false });
		await until(() => trigger.emitted.length === 2, 'the messages');
		for (const entry of trigger.emitted)
			expect(entry.items[0].json.sender).toMatchObject({
				staffId: 'staffCarol03',
				unionId: 'unionCarol000003',
			});
		expect(lookups()).toHaveLength(1);
	});

	it("leaves a reply address that is not on DingTalk's or the credential's hosts out of the item", async () => {
		const trigger = await start();
		await sandbox.robot.sendMessage({
			sessionWebhook: 'https://collector.example/robot/sendBySession?session=1',
		});
		const own = await sandbox.robot.sendMessage({});
		await until(() => trigger.emitted.length === 2, 'the messages');
		const [foreign, kept] = trigger.emitted.map((entry) => entry.items[0].json.raw as IDataObject);
		expect(foreign).not.toHaveProperty('sessionWebhook');
		expect(kept.sessionWebhook).toBe(own.message.sessionWebhook);
	});

	it('brings every picture of a rich text, and names voice and video clips by their content', async () => {
		const trigger = await start({ downloadAttachment: true });
		await sandbox.robot.sendMessage({ type: 'richText' });
		await sandbox.robot.sendMessage({ type: 'audio' });
		await sandbox.robot.sendMessage({ type: 'video' });
		await until(() => trigger.emitted.length === 3, 'the messages');
		// Downloads run side by side: the rich text, with two, may come last.
		const byType = (type: string) =>
			trigger.emitted
				.map((entry) => entry.items[0])
				.find((item) => item.json.messageType === type)!;
		const [rich, audio, video] = ['richText', 'audio', 'video'].map(byType);
		expect(Object.keys(rich.binary!)).toEqual(['data_0', 'data_1']);
		expect(rich.json.downloadCodes).toHaveLength(2);
		expect(rich.binary!.data_0).toMatchObject({ mimeType: 'image/png' });
		expect(audio.binary!.data).toMatchObject({ mimeType: 'audio/amr', fileExtension: 'amr' });
		expect(audio.json).toMatchObject({ text: 'hello robot' });
		expect(video.binary!.data).toMatchObject({ mimeType: 'video/mp4', fileExtension: 'mp4' });
		expect(video.json.fileName).toMatch(/\.mp4$/);
	});

	it("fails activation with DingTalk's reason when the secret is wrong, and reports a revoked app with emitError", async () => {
		const wrong = startRobotTrigger({
			credential: credentialFor({ clientSecret: WRONG_SECRET }),
			parameters: {},
		});
		await expect(wrong).rejects.toThrow(/invalidClientIdOrSecret/);
		const trigger = await start();
		sandbox.robot.addApp({ appKey: DEMO.app.appKey, appSecret: ROTATED_SECRET });
		sandbox.robot.dropConnections();
		await until(() => trigger.errors.length === 1, 'emitError');
		expect(trigger.errors[0].message).toMatch(/invalidClientIdOrSecret/);
		expect(trigger.errors[0].message).not.toContain(DEMO.app.appSecret);
		const calls = openCalls().length;
		await wait(2500);
		expect(openCalls().length).toBe(calls);
	});

	it('"Listen for test event" connects only when asked and takes the next message', async () => {
		const trigger = await start({}, { mode: 'manual' });
		expect(sandbox.robot.connections).toHaveLength(0);
		await trigger.response.manualTriggerFunction!();
		await sandbox.robot.sendMessage({ text: 'test' });
		await until(() => trigger.emitted.length === 1, 'the message');
		expect(trigger.emitted[0].items[0].json.text).toBe('test');
	});

	it('says it needs Node.js 22 and points to the webhook trigger where Node has no WebSocket, sending nothing', async () => {
		const saved = (global as unknown as { WebSocket: unknown }).WebSocket;
		delete (global as unknown as { WebSocket?: unknown }).WebSocket;
		try {
			await expect(start()).rejects.toThrow(
				/needs Node\.js 22 or later.*without a built-in WebSocket: use the DingTalk Robot Webhook Trigger instead$/,
			);
			expect(sandbox.requests).toHaveLength(0);
		} finally {
			(global as unknown as { WebSocket: unknown }).WebSocket = saved;
		}
	});
});
