// The robot triggers' pure logic: the tidy item, the filters, de-duplication, the callback signature,
// the reconnect delay and the silence limit.
import { createHmac } from 'crypto';
import type { IDataObject } from 'n8n-workflow';
import {
	reconnectDelay,
	silenceLimit,
	streamUrlOf,
} from '../../nodes/DingTalkRobotTrigger/streamClient';
import {
	attachmentsOf,
	callbackSignatureProblem,
	parseRobotMessage,
	refusalOf,
	robotMessageItem,
	tidyRobotMessage,
	withTrustedReplyAddress,
	type ReceivedRobotMessage,
} from '../../nodes/shared/robotMessage';
import { sessionWebhookProblem } from '../../nodes/shared/addresses';
import { SEEN_IN_MEMORY, SEEN_SAVED, SeenMessages } from '../../nodes/shared/seenMessages';
import { streamAckOf } from '../../nodes/shared/wire';

const base = {
	msgId: 'msgA==',
	createAt: 1_700_000_000_000,
	conversationId: 'cidGroup==',
	conversationType: '2',
	conversationTitle: 'Team',
	senderStaffId: 'staff1',
	senderNick: 'Alice',
	senderUnionId: 'unionAlice',
	robotCode: 'robot1',
	isInAtList: true,
	sessionWebhook: 'https://oapi.example/robot/sendBySession?session=1',
};
const message = (extra: object): ReceivedRobotMessage =>
	({ ...base, ...extra }) as unknown as ReceivedRobotMessage;

describe('tidyRobotMessage', () => {
	it('gives one tidy item for a text message, with the raw message', () => {
		const raw = message({ msgtype: 'text', text: { content: ' hello ' } });
		expect(tidyRobotMessage(raw)).toEqual({
			messageType: 'text',
			text: 'hello',
			sender: { staffId: 'staff1', nick: 'Alice', unionId: 'unionAlice' },
			conversation: { id: 'cidGroup==', type: 'group', title: 'Team' },
			robotCode: 'robot1',
			messageId: 'msgA==',
			createdAt: '2023-11-14T22:13:20.000Z',
			raw,
		});
	});

	it('gives a file its download code and name, a voice clip its recognised text, a rich text every picture', () => {
		const file = tidyRobotMessage(
			message({
				msgtype: 'file',
				conversationType: '1',
				content: { downloadCode: 'dl1', fileName: 'a.pdf' },
			}),
		);
		expect(file).toMatchObject({ downloadCode: 'dl1', fileName: 'a.pdf', text: '' });
		expect(file.conversation).toMatchObject({ type: 'oneToOne' });
		const audio = tidyRobotMessage(
			message({ msgtype: 'audio', content: { downloadCode: 'dl2', recognition: 'hi' } }),
		);
		expect(audio).toMatchObject({ downloadCode: 'dl2', fileName: null, text: 'hi' });
		const rich = tidyRobotMessage(
			message({
				msgtype: 'richText',
				content: {
					richText: [
						{ text: 'two ' },
						{ type: 'picture', downloadCode: 'p1' },
						{ text: 'pictures' },
						{ type: 'picture', downloadCode: 'p2' },
					],
				},
			}),
		);
		expect(rich).toMatchObject({ text: 'two pictures', downloadCodes: ['p1', 'p2'] });
		expect(rich.downloadCode).toBeUndefined();
	});

	it('leaves the union ID out when DingTalk does not send it', () => {
		const { senderUnionId, ...withoutUnion } = base;
		expect(senderUnionId).toBeDefined();
		const item = tidyRobotMessage({ ...withoutUnion, msgtype: 'text' } as ReceivedRobotMessage);
		expect(item.sender).toEqual({ staffId: 'staff1', nick: 'Alice' });
	});
});

describe('parseRobotMessage', () => {
	it('reads a frame data string or a callback body, and refuses what is not a message', () => {
		expect(parseRobotMessage(JSON.stringify(message({ msgtype: 'text' })))?.msgId).toBe('msgA==');
		expect(parseRobotMessage(message({ msgtype: 'text' }))?.msgId).toBe('msgA==');
		expect(parseRobotMessage('not json')).toBeUndefined();
		expect(parseRobotMessage({ msgtype: 'text' })).toBeUndefined();
		expect(parseRobotMessage([])).toBeUndefined();
	});
});

describe('refusalOf', () => {
	const all = {
		messageTypes: [],
		chatType: 'all' as const,
		onlyWhenMentioned: false,
		senderStaffIds: [],
		conversationIds: [],
	};
	const group = message({ msgtype: 'text', conversationType: '2', isInAtList: false });
	const oneToOne = message({ msgtype: 'file', conversationType: '1', isInAtList: undefined });
	it.each([
		['every message with no filter', all, group, undefined],
		['a type not chosen', { ...all, messageTypes: ['file'] }, group, 'its type is filtered out'],
		['a type chosen', { ...all, messageTypes: ['file'] }, oneToOne, undefined],
		[
			'a group message for one-to-one only',
			{ ...all, chatType: 'oneToOne' as const },
			group,
			'its chat type is filtered out',
		],
		[
			'a one-to-one message for groups only',
			{ ...all, chatType: 'group' as const },
			oneToOne,
			'its chat type is filtered out',
		],
		[
			'a group message without @ when a mention is needed',
			{ ...all, onlyWhenMentioned: true },
			group,
			'it does not @-mention the robot',
		],
		[
			'a group message with @ when a mention is needed',
			{ ...all, onlyWhenMentioned: true },
			{ ...group, isInAtList: true },
			undefined,
		],
		[
			'a one-to-one message when a mention is needed',
			{ ...all, onlyWhenMentioned: true },
			oneToOne,
			undefined,
		],
		['an allowed sender', { ...all, senderStaffIds: ['x', 'staff1'] }, group, undefined],
		[
			'a sender not allowed',
			{ ...all, senderStaffIds: ['someoneElse'] },
			group,
			'its sender is not among the allowed senders',
		],
		[
			'a message without a staff ID when senders are listed',
			{ ...all, senderStaffIds: ['staff1'] },
			message({ msgtype: 'text', senderStaffId: undefined }),
			'its sender is not among the allowed senders',
		],
		['an allowed chat', { ...all, conversationIds: ['cidGroup=='] }, group, undefined],
		[
			'a chat not allowed',
			{ ...all, conversationIds: ['cidOther=='] },
			group,
			'its chat is not among the allowed chats',
		],
		[
			"the robot's own message, whatever the filters",
			all,
			message({ msgtype: 'text', senderId: '$:robot', chatbotUserId: '$:robot' }),
			"it is the robot's own message",
		],
		[
			"someone else's message names the robot too",
			all,
			message({ msgtype: 'text', senderId: '$:alice', chatbotUserId: '$:robot' }),
			undefined,
		],
	])('%s', (_name, filters, input, expected) => {
		expect(refusalOf(input, filters)).toBe(expected);
	});
});

describe('the reply address (sessionWebhook)', () => {
	it.each([
		['https://oapi.dingtalk.com/robot/sendBySession?session=ab12', [], undefined],
		['https://oapi.dingtalk.io/robot/sendBySession?session=ab12', [], undefined],
		['http://oapi.dingtalk.com/robot/sendBySession?session=ab12', [], 'not to DingTalk'],
		['https://oapi.dingtalk.com:8443/robot/sendBySession', [], 'not to DingTalk'],
		['https://oapi.dingtalk.com.evil.example/robot/sendBySession', [], 'not to DingTalk'],
		['https://user:pw@oapi.dingtalk.com/robot/sendBySession', [], 'user name or password'],
		['https://evil.example/collect', [], 'not to DingTalk'],
		['http://127.0.0.1:3900/robot/sendBySession?session=1', [], 'not to DingTalk'],
		['http://127.0.0.1:3900/robot/sendBySession?session=1', ['127.0.0.1:3900'], undefined],
		['not a url', [], 'not a URL'],
	])('%s with own hosts %j', (url, ownHosts, problem) => {
		const found = sessionWebhookProblem(url, ownHosts);
		if (problem === undefined) expect(found).toBeUndefined();
		else expect(found).toContain(problem);
	});

	it("a foreign one is left out of the message, with its expiry, and reported; DingTalk's is kept", () => {
		const reasons: string[] = [];
		const foreign = message({
			msgtype: 'text',
			sessionWebhook: 'https://evil.example/collect',
			sessionWebhookExpiredTime: 1,
		});
		const kept = withTrustedReplyAddress(foreign, [], (reason) => reasons.push(reason));
		expect(kept).not.toHaveProperty('sessionWebhook');
		expect(kept).not.toHaveProperty('sessionWebhookExpiredTime');
		expect(tidyRobotMessage(kept).raw).not.toHaveProperty('sessionWebhook');
		expect(kept.msgId).toBe(foreign.msgId);
		expect(reasons).toEqual(['it points to https://evil.example, not to DingTalk']);
		const dingTalk = message({
			msgtype: 'text',
			sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=1',
		});
		expect(withTrustedReplyAddress(dingTalk, [], () => reasons.push('no'))).toBe(dingTalk);
		expect(reasons).toHaveLength(1);
	});
});

describe('robotMessageItem', () => {
	it('downloads each attachment with the message robot code and puts a rich text picture per field', async () => {
		const asked: object[] = [];
		const item = await robotMessageItem(
			message({
				msgtype: 'richText',
				robotCode: '',
				content: {
					richText: [
						{ type: 'picture', downloadCode: 'p1' },
						{ type: 'picture', downloadCode: 'p2' },
					],
				},
			}),
			{
				binaryField: 'pic',
				defaultRobotCode: 'fallbackRobot',
				download: async (file) => {
					asked.push(file);
					return { json: { fileName: 'x.png' }, binary: { data: 'AA==', mimeType: 'image/png' } };
				},
			},
		);
		expect(asked).toEqual([
			{ downloadCode: 'p1', fileName: '', robotCode: 'fallbackRobot' },
			{ downloadCode: 'p2', fileName: '', robotCode: 'fallbackRobot' },
		]);
		expect(Object.keys(item.binary ?? {})).toEqual(['pic_0', 'pic_1']);
	});

	it('keeps the item and says why when a download fails', async () => {
		const item = await robotMessageItem(
			message({ msgtype: 'file', content: { downloadCode: 'dl', fileName: 'a.pdf' } }),
			{
				binaryField: 'data',
				defaultRobotCode: 'r',
				download: async () => {
					throw Object.assign(new Error('DingTalk: the download code is wrong or has expired'), {
						description: 'What to do: download it soon after the message',
					});
				},
			},
		);
		expect(item.binary).toBeUndefined();
		expect(item.json.downloadError).toBe(
			'DingTalk: the download code is wrong or has expired\nWhat to do: download it soon after the message',
		);
	});

	it('a text message has nothing to download', () => {
		expect(attachmentsOf(message({ msgtype: 'text' }))).toEqual([]);
	});
});

describe('SeenMessages', () => {
	it('knows a message once remembered, and hands a message on once while its first copy is handled', async () => {
		const seen = new SeenMessages();
		let release!: (taken: boolean) => void;
		let starts = 0;
		const start = () => {
			starts++;
			return new Promise<boolean>((resolve) => (release = resolve));
		};
		const first = seen.once('a', () => 1000, start);
		const copy = seen.once('a', () => 1001, start);
		expect(starts).toBe(1);
		release(true);
		expect(await first).toBe(true);
		expect(await copy).toBe(true);
		expect(seen.has('a', 1002)).toBe(true);
		expect(await seen.once('a', () => 1003, start)).toBe(true);
		expect(starts).toBe(1);
	});

	it('a message n8n did not take is not remembered: the next copy starts again', async () => {
		const seen = new SeenMessages();
		expect(
			await seen.once(
				'b',
				() => 1,
				async () => false,
			),
		).toBe(false);
		expect(seen.has('b', 2)).toBe(false);
		expect(
			await seen.once(
				'b',
				() => 3,
				async () => true,
			),
		).toBe(true);
		expect(seen.has('b', 4)).toBe(true);
	});

	it("keeps a day of IDs in memory, at most 5,000, and saves the last hour's, at most 1,000", () => {
		const store: IDataObject = {};
		const seen = new SeenMessages(store);
		for (let i = 0; i < 6000; i++) seen.remember(`m${i}`, i);
		expect(seen.size).toEqual({ inMemory: SEEN_IN_MEMORY.atMost, saved: SEEN_SAVED.atMost });
		expect(seen.has('m999', 6000)).toBe(false);
		expect(seen.has('m1000', 6000)).toBe(true);
		const saved = Object.keys(store.seenMessages as object);
		expect(saved).toHaveLength(1000);
		expect(saved[0]).toBe('message:m5000');
		// An hour later only the newest is saved; a day later none is known.
		seen.remember('late', 6000 + SEEN_SAVED.forMs);
		expect(Object.keys(store.seenMessages as object)).toEqual(['message:late']);
		expect(seen.has('m5999', 5999 + SEEN_IN_MEMORY.forMs)).toBe(false);
	});

	it('survives a restart through the store, dropping the frame IDs an older version kept', () => {
		const store: IDataObject = {
			seenMessages: { 'frame:f1': 5, 'message:b': 20, 'message:a': 10 },
		};
		const restarted = new SeenMessages(store);
		expect(restarted.has('a', 30)).toBe(true);
		expect(restarted.has('b', 30)).toBe(true);
		expect(restarted.has('f1', 30)).toBe(false);
		expect(store.seenMessages).toEqual({ 'message:a': 10, 'message:b': 20 });
	});

	it('costs the same per message however many are kept: the saved map is changed in place, never rebuilt', () => {
		const store: IDataObject = {};
		const seen = new SeenMessages(store);
		for (let i = 0; i < 1000; i++) seen.remember(`warm${i}`, i);
		let changes = 0;
		const counted = new Proxy(store.seenMessages as Record<string, number>, {
			set: (target, key, value) => {
				changes++;
				return Reflect.set(target, key, value);
			},
			deleteProperty: (target, key) => {
				changes++;
				return Reflect.deleteProperty(target, key);
			},
		});
		store.seenMessages = counted;
		for (let i = 0; i < 3000; i++) seen.remember(`m${i}`, 1000 + i);
		// One ID added and one dropped per message, however many are kept.
		expect(changes).toBe(2 * 3000);
		expect(store.seenMessages).toBe(counted);
		expect(Object.keys(counted)).toHaveLength(SEEN_SAVED.atMost);
	});
});

describe('callbackSignatureProblem', () => {
	const secret = 'app-secret-0123';
	const now = 1_700_000_000_000;
	const signOf = (timestamp: string, key = secret) =>
		createHmac('sha256', key).update(`${timestamp}\n${key}`).digest('base64');
	it("accepts DingTalk's signature within the hour", () => {
		const ts = String(now - 59 * 60 * 1000);
		expect(callbackSignatureProblem(ts, signOf(ts), secret, now)).toBeUndefined();
	});
	it.each([
		['a forged signature', String(now), signOf(String(now), 'other-secret'), /does not match/],
		[
			'a stale timestamp',
			String(now - 61 * 60 * 1000),
			signOf(String(now - 61 * 60 * 1000)),
			/more than an hour/,
		],
		[
			'a timestamp in the future',
			String(now + 61 * 60 * 1000),
			signOf(String(now + 61 * 60 * 1000)),
			/more than an hour/,
		],
		['no timestamp', undefined, 'x', /timestamp header/],
		['no signature', String(now), undefined, /sign header/],
		['a signature of another length', String(now), 'abc', /does not match/],
	])('refuses %s', (_name, timestamp, sign, reason) => {
		expect(callbackSignatureProblem(timestamp, sign, secret, now)).toMatch(reason);
	});
});

describe('Stream details', () => {
	it('acknowledges a ping with its own data and a callback with its message ID', () => {
		const ping = {
			type: 'SYSTEM',
			headers: { topic: 'ping', messageId: 'p1' },
			data: '{"opaque":"o"}',
		};
		expect(JSON.parse(streamAckOf(ping))).toEqual({
			code: 200,
			headers: { topic: 'ping', messageId: 'p1' },
			message: 'OK',
			data: '{"opaque":"o"}',
		});
		const callback = {
			type: 'CALLBACK',
			headers: { topic: '/v1.0/im/bot/messages/get', messageId: 'm1' },
		};
		expect(JSON.parse(streamAckOf(callback))).toEqual({
			code: 200,
			headers: { messageId: 'm1', contentType: 'application/json' },
			message: 'OK',
			data: '{"response":null}',
		});
	});

	it('waits half to all of 1 s × 2^n before reconnecting, at most a minute', () => {
		expect(reconnectDelay(0, () => 0)).toBe(500);
		expect(reconnectDelay(0, () => 1)).toBe(1000);
		expect(reconnectDelay(3, () => 0)).toBe(4000);
		expect(reconnectDelay(3, () => 0.5)).toBe(6000);
		expect(reconnectDelay(20, () => 1)).toBe(60_000);
		expect(reconnectDelay(20, () => 0)).toBe(30_000);
	});

	it('calls a connection silent after three ping intervals, or two minutes before pings show one', () => {
		expect(silenceLimit([])).toBe(120_000);
		expect(silenceLimit([10_000, 12_000])).toBe(36_000);
		expect(silenceLimit([200])).toBe(3000);
	});

	it('puts the ticket, URL-encoded, into the endpoint', () => {
		expect(streamUrlOf('wss://gw.example/connect', 'a b+c')).toBe(
			'wss://gw.example/connect?ticket=a%20b%2Bc',
		);
		expect(streamUrlOf('wss://gw.example/connect?x=1', 't')).toBe(
			'wss://gw.example/connect?x=1&ticket=t',
		);
	});
});
