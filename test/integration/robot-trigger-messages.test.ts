/* eslint-disable @n8n/community-nodes/no-restricted-globals */
// The DingTalk Robot Trigger's messages in a real n8n-core TriggerContext, against the sandbox's Stream
// gateway: de-duplication, filters, acknowledgements, attachments. Its connection: robot-trigger.test.ts.
import type { IDataObject } from 'n8n-workflow';
import {
	HANDOFF_PATIENCE_MS,
	startRobotStream,
} from '../../nodes/DingTalkRobotTrigger/DingTalkRobotTrigger.node';
import { SYSTEM_CLOCK } from '../../nodes/shared/clock';
import { ATTACHMENT_DOWNLOADS_AT_ONCE } from '../../nodes/shared/robotMessage';
import {
	DEMO,
	emittedIds,
	sandbox,
	start,
	until,
	useRobotSandbox,
	wait,
} from './robot-trigger-harness';

useRobotSandbox();

describe('DingTalk Robot Trigger (Stream mode): messages', () => {
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
			sleep: async (ms: number, signal?: AbortSignal) =>
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
});
