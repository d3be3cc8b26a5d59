/* eslint-disable @n8n/community-nodes/no-restricted-globals */
// The DingTalk Robot Trigger's connection in a real n8n-core TriggerContext, against the sandbox's Stream
// gateway: activation, reconnects, closing, refusals, manual mode. Its messages: robot-trigger-messages.
import type { IDataObject } from 'n8n-workflow';
import {
	DEMO,
	emittedIds,
	openCalls,
	ROTATED_SECRET,
	sandbox,
	sha256,
	start,
	triggers,
	until,
	useRobotSandbox,
	wait,
	WRONG_SECRET,
	credentialFor,
} from './robot-trigger-harness';
import { startRobotTrigger } from './n8n-context';

useRobotSandbox();

describe('DingTalk Robot Trigger (Stream mode): the connection', () => {
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
