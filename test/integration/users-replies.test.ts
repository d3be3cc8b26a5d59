/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports */
// User > Get and Search, and Robot Message > Reply, in a real n8n-core execution context against the
// DingTalk sandbox (its directory, and the reply sessions of the messages it builds).
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { IDataObject } from 'n8n-workflow';
import { runDingTalkNode, StoredCredential } from './n8n-context';

process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'dingtalk-integration-'));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSandbox, DEMO } = require('../sandbox/server');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sandboxCredential } = require('../e2e/workflows');

interface Entry {
	host: string;
	method: string;
	path: string;
	status: number | null;
	tokenHeader: boolean;
	hadQueryToken: boolean;
	body: IDataObject | null;
}
interface Reply {
	session: string;
	msgtype: string;
	content?: string;
	title?: string;
	text?: string;
	at: IDataObject | null;
	hadToken: boolean;
}

let sandbox: {
	start(): Promise<Record<string, string>>;
	stop(): Promise<void>;
	requests: Entry[];
	robotMessages: Array<{ endpoint: string; msgKey: string; msgParam: IDataObject } & IDataObject>;
	robot: {
		buildMessage(spec: IDataObject): { message: IDataObject };
		replies: Reply[];
		expireSession(sessionOrUrl: string): boolean;
	};
	failNext(match: { path: string; host?: string }, response: object, times?: number): void;
};
let credential: StoredCredential;
let urls: Record<string, string>;

beforeEach(async () => {
	sandbox = createSandbox();
	urls = await sandbox.start();
	credential = new StoredCredential({ ...sandboxCredential(urls).data, accessToken: '' });
});
afterEach(async () => await sandbox.stop());

const run = async (parameters: IDataObject, items?: Array<{ json: IDataObject }>) =>
	await runDingTalkNode({ credential, parameters, items });
const fails = async (parameters: IDataObject, items?: Array<{ json: IDataObject }>) => {
	const [item] = await runDingTalkNode({ credential, parameters, items, continueOnFail: true });
	return item;
};
const ALICE = DEMO.directory[0];

describe('User > Get', () => {
	it.each([
		['staffId', { staffId: ALICE.userid }],
		['unionId', { unionId: ALICE.unionid }],
		['mobile', { mobile: ALICE.mobile }],
	])(
		'finds a person by %s with name, staff ID, union ID, title and departments',
		async (by, value) => {
			const [item] = await run({ resource: 'user', operation: 'get', by, ...value });
			expect(item.json).toMatchObject({
				userid: ALICE.userid,
				unionid: ALICE.unionid,
				name: ALICE.name,
				title: ALICE.title,
				dept_id_list: ALICE.dept_id_list,
			});
			// The legacy look-ups carry the token in the query, the way DingTalk wants it.
			const lookups = sandbox.requests.filter((entry) => entry.path.startsWith('/topapi/'));
			expect(lookups.length).toBe(by === 'staffId' ? 1 : 2);
			expect(lookups.every((entry) => entry.hadQueryToken)).toBe(true);
		},
	);

	it('says DingTalk found no such user, with its code, and keeps the item paired', async () => {
		const item = await fails({
			resource: 'user',
			operation: 'get',
			by: 'staffId',
			staffId: 'nobody42',
		});
		expect(item.json.error).toMatch(/found no such user/);
		expect(item.json.code).toBe('60121');
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	it('refuses a look-up by mobile for a third-party app before sending anything', async () => {
		credential = new StoredCredential({
			...sandboxCredential(urls).data,
			appType: 'thirdParty',
			suiteKey: DEMO.suite.suiteKey,
			suiteSecret: DEMO.suite.suiteSecret,
			authCorpId: DEMO.suite.authCorpId,
			suiteTicket: DEMO.suite.suiteTicket,
			accessToken: '',
		});
		const item = await fails({
			resource: 'user',
			operation: 'get',
			by: 'mobile',
			mobile: ALICE.mobile,
		});
		expect(item.json.error).toMatch(/internal apps only/);
		expect(sandbox.requests.filter((entry) => entry.path.startsWith('/topapi/'))).toEqual([]);
	});

	it('refuses an empty staff ID before sending anything', async () => {
		const item = await fails({ resource: 'user', operation: 'get', by: 'staffId', staffId: '  ' });
		expect(item.json.error).toBe('Staff ID: is empty');
		expect(sandbox.requests.filter((entry) => entry.path.startsWith('/topapi/'))).toEqual([]);
	});
});

describe('User > Search', () => {
	const matching = (word: string) =>
		(DEMO.directory as Array<{ corpId: string; name: string; englishName?: string }>).filter(
			(person) =>
				person.corpId === DEMO.corpId &&
				[person.name, person.englishName ?? ''].some((name) => name.toLowerCase().includes(word)),
		);

	it('returns everyone whose name matches, each with their details', async () => {
		const expected = matching('li');
		expect(expected.length).toBeGreaterThan(3);
		const items = await run({
			resource: 'user',
			operation: 'search',
			query: 'li',
			returnAll: true,
		});
		expect(items.map((item) => item.json.name).sort()).toEqual(
			expected.map((person) => person.name).sort(),
		);
		expect(items.every((item) => typeof item.json.unionid === 'string')).toBe(true);
	});

	it('stops at the limit, asking DingTalk for no more than that', async () => {
		const items = await run({ resource: 'user', operation: 'search', query: 'li', limit: 3 });
		expect(items).toHaveLength(3);
		const searches = sandbox.requests.filter(
			(entry) => entry.path === '/v1.0/contact/users/search',
		);
		expect(searches.map((entry) => entry.body?.size)).toEqual([3]);
	});

	it('pages through the results until DingTalk says there are no more', async () => {
		const expected = matching('a');
		const items = await run({ resource: 'user', operation: 'search', query: 'a', returnAll: true });
		expect(new Set(items.map((item) => item.json.userid)).size).toBe(expected.length);
	});
});

describe('Robot Message > Reply', () => {
	const groupMessage = () =>
		sandbox.robot.buildMessage({ type: 'text', chat: 'group', sender: 'alice', text: 'hi' })
			.message;
	const reply = (message: IDataObject, extra: IDataObject = {}) => ({
		resource: 'robotMessage',
		operation: 'reply',
		sessionWebhook: message.sessionWebhook,
		sessionWebhookExpiredTime: message.sessionWebhookExpiredTime,
		senderStaffId: message.senderStaffId,
		replyKind: 'text',
		replyText: 'Here you are',
		whenExpired: 'fail',
		replyGroupChat: message.conversationType === '2' ? message.conversationId : '',
		replyOptions: {},
		...extra,
	});

	it("answers in the message's chat through its own address, sending no token", async () => {
		const message = groupMessage();
		const [item] = await run(reply(message, { mentionSender: true }));
		expect(item.json).toEqual({ sentAs: 'reply' });
		expect(sandbox.robot.replies).toHaveLength(1);
		const [sent] = sandbox.robot.replies;
		expect(sent).toMatchObject({ msgtype: 'text', content: 'Here you are', hadToken: false });
		expect(sent.at).toMatchObject({ atUserIds: [message.senderStaffId] });
		const call = sandbox.requests.find((entry) => entry.path === '/robot/sendBySession');
		expect(call).toMatchObject({ tokenHeader: false, hadQueryToken: false });
		// No token was needed: none was fetched.
		expect(sandbox.requests.some((entry) => /token/i.test(entry.path))).toBe(false);
	});

	it('sends Markdown with the mentions named in the text', async () => {
		const message = groupMessage();
		await run(
			reply(message, {
				replyKind: 'markdown',
				replyTitle: 'Report',
				replyMarkdown: '**Done**',
				replyOptions: { mentionStaffIds: 'staff0104' },
			}),
		);
		const [sent] = sandbox.robot.replies;
		expect(sent).toMatchObject({ msgtype: 'markdown', title: 'Report' });
		expect(sent.text).toContain('@staff0104');
		expect(sent.at).toMatchObject({ atUserIds: ['staff0104'] });
	});

	it('fails saying the session expired when DingTalk says so, sending nothing else', async () => {
		const message = groupMessage();
		sandbox.robot.expireSession(String(message.sessionWebhook));
		const item = await fails(reply(message));
		expect(item.json.error).toMatch(/reply session has expired/);
		expect(item.json.code).toBe('300001');
		expect(sandbox.robot.replies).toEqual([]);
		expect(sandbox.robotMessages).toEqual([]);
	});

	it('sends a new message to the group instead when the session expired and the user asked for it', async () => {
		const message = groupMessage();
		sandbox.robot.expireSession(String(message.sessionWebhook));
		const [item] = await run(reply(message, { whenExpired: 'send' }));
		expect(item.json).toMatchObject({
			sentAs: 'message',
			openConversationId: message.conversationId,
		});
		expect(sandbox.robotMessages).toHaveLength(1);
		expect(sandbox.robotMessages[0].msgParam).toEqual({ content: 'Here you are' });
	});

	it('does not try an address whose expiry time has passed; a one-to-one message goes to the sender', async () => {
		const message = sandbox.robot.buildMessage({
			type: 'text',
			chat: 'oneToOne',
			sender: 'bob',
		}).message;
		const [item] = await run(
			reply(message, { whenExpired: 'send', sessionWebhookExpiredTime: Date.now() - 1000 }),
		);
		expect(item.json).toMatchObject({ sentAs: 'message', userIds: [message.senderStaffId] });
		expect(sandbox.requests.some((entry) => entry.path === '/robot/sendBySession')).toBe(false);
	});

	it('refuses an address that is not DingTalk’s, sending nothing', async () => {
		const message = groupMessage();
		const item = await fails(
			reply(message, {
				sessionWebhook: 'https://collector.example.com/robot/sendBySession?session=1',
			}),
		);
		expect(item.json.error).toMatch(/does not send replies to this address/);
		expect(sandbox.robot.replies).toEqual([]);
	});

	it('refuses an empty text before sending', async () => {
		const item = await fails(reply(groupMessage(), { replyText: ' ' }));
		expect(item.json.error).toBe('Text: is empty');
		expect(sandbox.robot.replies).toEqual([]);
	});

	it('does not send a reply again after an answer that may mean it was delivered', async () => {
		const message = groupMessage();
		sandbox.failNext(
			{ path: '/robot/sendBySession', host: 'legacy' },
			{ status: 502, body: 'Bad gateway' },
		);
		const item = await fails(reply(message));
		expect(item.json.error).toBeDefined();
		expect(sandbox.requests.filter((entry) => entry.path === '/robot/sendBySession')).toHaveLength(
			1,
		);
	});
});
