'use strict';
// Replies through a robot message's sessionWebhook, on the sandbox's legacy host.
const { useSandbox, expectErrcode } = require('./client');

const t = useSandbox();
const NINETY_MINUTES = 90 * 60 * 1000;
const reply = (url, body, options = {}) => t.call(url, { body, ...options });
const text = (content, at) => ({ msgtype: 'text', text: { content }, ...(at ? { at } : {}) });

afterEach(() => jest.restoreAllMocks());

test('every message built has a session of its own for 90 minutes, answered errcode 0 and recorded', async () => {
	const { message } = t.sandbox.robot.buildMessage({ chat: 'group' });
	expect(message.sessionWebhook.startsWith(`${t.urls.legacyBaseUrl}/robot/sendBySession?`)).toBe(
		true,
	);
	expect(message.sessionWebhookExpiredTime).toBe(message.createAt + NINETY_MINUTES);
	const res = await reply(
		message.sessionWebhook,
		text('on it', { atUserIds: [message.senderStaffId], isAtAll: false }),
	);
	expect(res).toMatchObject({ status: 200, json: { errcode: 0, errmsg: 'ok' } });
	const markdown = await reply(`${message.sessionWebhook}&access_token=abc`, {
		msgtype: 'markdown',
		markdown: { title: 'Done', text: '**done**' },
	});
	expect(markdown.json.errcode).toBe(0);
	const session = new URL(message.sessionWebhook).searchParams.get('session');
	expect(t.sandbox.robot.replies).toEqual([
		{
			session,
			msgId: message.msgId,
			conversationId: message.conversationId,
			msgtype: 'text',
			content: 'on it',
			at: { atUserIds: ['manager4220'], isAtAll: false },
			hadToken: false,
			time: expect.any(Number),
		},
		expect.objectContaining({
			msgtype: 'markdown',
			title: 'Done',
			text: '**done**',
			at: null,
			hadToken: true,
		}),
	]);
	const control = await t.call(`${t.urls.apiBaseUrl}/_sandbox/robot/replies`, { method: 'GET' });
	expect(control.json).toHaveLength(2);
});

test('an unknown or expired session is HTTP 200 errcode 300001', async () => {
	const { message } = t.sandbox.robot.buildMessage({ type: 'file' });
	expectErrcode(
		await reply(`${t.urls.legacyBaseUrl}/robot/sendBySession?session=00ff`, text('x')),
		300001,
	);
	jest.spyOn(Date, 'now').mockReturnValue(message.createAt + NINETY_MINUTES);
	const late = await reply(message.sessionWebhook, text('late'));
	expectErrcode(late, 300001);
	expect(late.json.errmsg).toBe('session 不存在');
	jest.restoreAllMocks();
	expect((await reply(message.sessionWebhook, text('in time'))).json.errcode).toBe(0);
	expect(t.sandbox.robot.expireSession(message.sessionWebhook)).toBe(true);
	expectErrcode(await reply(message.sessionWebhook, text('gone')), 300001);
	expect(t.sandbox.robot.expireSession('nope')).toBe(false);
});

test('sessions can end earlier than they say, for all messages or one (control API)', async () => {
	const first = t.sandbox.robot.buildMessage().message;
	const second = t.sandbox.robot.buildMessage().message;
	const expire = await t.call(`${t.urls.apiBaseUrl}/_sandbox/robot/expire-session`, {
		body: { session: new URL(first.sessionWebhook).searchParams.get('session') },
	});
	expect(expire.json).toEqual({ expired: true });
	expectErrcode(await reply(first.sessionWebhook, text('x')), 300001);
	expect((await reply(second.sessionWebhook, text('x'))).json.errcode).toBe(0);
	await t.call(`${t.urls.apiBaseUrl}/_sandbox/robot/session-lifetime`, { body: { ms: 0 } });
	expectErrcode(await reply(second.sessionWebhook, text('x')), 300001);
	t.sandbox.robot.setSessionLifetime(null);
	expect((await reply(second.sessionWebhook, text('x'))).json.errcode).toBe(0);
	expect(t.sandbox.robot.replies).toHaveLength(2);
});

test('bad bodies are errcode 40035; GET is 43002; an own sessionWebhook is not registered', async () => {
	const { message } = t.sandbox.robot.buildMessage();
	const url = message.sessionWebhook;
	expectErrcode(await reply(url, { msgtype: 'actionCard', actionCard: {} }), 40035);
	expectErrcode(await reply(url, { msgtype: 'text', text: { content: ' ' } }), 40035);
	expectErrcode(await reply(url, { msgtype: 'markdown', markdown: { title: 'x' } }), 40035);
	expectErrcode(await reply(url, text('x', { atUserIds: 'manager4220' })), 40035);
	const notJson = { raw: 'content=hi', headers: { 'content-type': 'text/plain' } };
	expectErrcode(await t.call(url, notJson), 40035);
	expectErrcode(await t.call(url, { method: 'GET' }), 43002);
	expect(t.sandbox.robot.replies).toEqual([]);
	const own = t.sandbox.robot.buildMessage({
		sessionWebhook: `${t.urls.legacyBaseUrl}/robot/sendBySession?session=abcd`,
	}).message;
	expect(own.sessionWebhook).toBe(`${t.urls.legacyBaseUrl}/robot/sendBySession?session=abcd`);
	expectErrcode(await reply(own.sessionWebhook, text('x')), 300001);
});
