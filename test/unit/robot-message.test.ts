// The robot triggers' pure logic: the tidy item, the filters, de-duplication, the callback signature,
// the reconnect delay and the silence limit.
import { createHmac } from 'crypto';
import type { IDataObject } from 'n8n-workflow';
import { reconnectDelay, silenceLimit, streamUrlOf } from '../../nodes/DingTalkRobotTrigger/stream';
import {
	attachmentsOf,
	callbackSignatureProblem,
	firstSighting,
	forgetSighting,
	parseRobotMessage,
	passesFilters,
	robotMessageItem,
	tidyRobotMessage,
	type RobotMessage,
} from '../../nodes/shared/robotMessage';
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
const message = (extra: object): RobotMessage => ({ ...base, ...extra }) as unknown as RobotMessage;

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
		const item = tidyRobotMessage({ ...withoutUnion, msgtype: 'text' } as RobotMessage);
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

describe('passesFilters', () => {
	const all = { messageTypes: [], chatType: 'all' as const, onlyWhenMentioned: false };
	const group = message({ msgtype: 'text', conversationType: '2', isInAtList: false });
	const oneToOne = message({ msgtype: 'file', conversationType: '1', isInAtList: undefined });
	it.each([
		['every message with no filter', all, group, true],
		['a type not chosen', { ...all, messageTypes: ['file'] }, group, false],
		['a type chosen', { ...all, messageTypes: ['file'] }, oneToOne, true],
		[
			'a group message for one-to-one only',
			{ ...all, chatType: 'oneToOne' as const },
			group,
			false,
		],
		[
			'a one-to-one message for groups only',
			{ ...all, chatType: 'group' as const },
			oneToOne,
			false,
		],
		[
			'a group message without @ when a mention is needed',
			{ ...all, onlyWhenMentioned: true },
			group,
			false,
		],
		[
			'a group message with @ when a mention is needed',
			{ ...all, onlyWhenMentioned: true },
			{ ...group, isInAtList: true },
			true,
		],
		[
			'a one-to-one message when a mention is needed',
			{ ...all, onlyWhenMentioned: true },
			oneToOne,
			true,
		],
	])('%s', (_name, filters, input, expected) => {
		expect(passesFilters(input, filters)).toBe(expected);
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

describe('firstSighting', () => {
	it('is true once per ID, across frame and message IDs, and forgets on request', () => {
		const store: IDataObject = {};
		expect(firstSighting(store, ['frame:1', 'message:a'], 1000)).toBe(true);
		expect(firstSighting(store, ['frame:1', 'message:b'], 1001)).toBe(false);
		expect(firstSighting(store, ['frame:2', 'message:a'], 1002)).toBe(false);
		expect(firstSighting(store, ['', 'message:c'], 1003)).toBe(true);
		forgetSighting(store, ['message:c']);
		expect(firstSighting(store, ['message:c'], 1004)).toBe(true);
	});

	it('keeps at most 2,000 IDs for a day, dropping the oldest', () => {
		const store: IDataObject = {};
		for (let i = 0; i < 2100; i++) firstSighting(store, [`message:${i}`], i);
		const kept = Object.keys(store.seenMessages as object);
		expect(kept).toHaveLength(2000);
		expect(kept).not.toContain('message:0');
		expect(firstSighting(store, ['message:2099'], 3000)).toBe(false);
		expect(firstSighting(store, ['message:2099'], 2099 + 24 * 3600 * 1000 + 1)).toBe(false);
		firstSighting(store, ['message:new'], 2099 + 24 * 3600 * 1000 + 1);
		expect(Object.keys(store.seenMessages as object)).toEqual(['message:new']);
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

	it('waits 1 s × 2^n plus up to 1 s before reconnecting, at most about a minute', () => {
		expect(reconnectDelay(0, () => 0)).toBe(1000);
		expect(reconnectDelay(0, () => 0.999)).toBeCloseTo(1999, 0);
		expect(reconnectDelay(3, () => 0)).toBe(8000);
		expect(reconnectDelay(20, () => 0.5)).toBe(60500);
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
