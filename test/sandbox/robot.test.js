'use strict';
// The sandbox's robot side on its own: the Stream gateway call, tickets, frames and acknowledgements,
// and signed HTTP callbacks.
const crypto = require('node:crypto');
const http = require('node:http');
const { WebSocket } = require('ws');
const { createSandbox, DEMO } = require('./server');

let sandbox;
let urls;
beforeEach(async () => {
	sandbox = createSandbox();
	urls = await sandbox.start();
	sandbox.robot.configure({ pingIntervalMs: 100, redeliverAfterMs: 400, disconnectGraceMs: 200 });
});
afterEach(async () => await sandbox.stop());

const open = async (body, accept = 'application/json') => {
	const response = await fetch(`${urls.apiBaseUrl}/v1.0/gateway/connections/open`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', accept },
		body: JSON.stringify(body),
	});
	const text = await response.text();
	return { status: response.status, text, json: () => JSON.parse(text) };
};
const app = {
	clientId: DEMO.app.appKey,
	clientSecret: DEMO.app.appSecret,
	subscriptions: [{ type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' }],
};
const connect = (grant) =>
	new Promise((resolve, reject) => {
		const ws = new WebSocket(`${grant.endpoint}?ticket=${encodeURIComponent(grant.ticket)}`);
		const frames = [];
		ws.on('message', (data) => frames.push(JSON.parse(String(data))));
		ws.on('open', () => resolve({ ws, frames }));
		ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
		ws.on('error', reject);
	});
const until = async (condition) => {
	for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
	expect(condition()).toBe(true);
};

describe('Stream gateway', () => {
	test('hands out an endpoint and a one-time ticket; XML without Accept: application/json; 400 for a wrong secret', async () => {
		const granted = await open(app);
		expect(granted.status).toBe(200);
		expect(granted.json()).toEqual({
			endpoint: `${urls.streamBaseUrl}/connect`,
			ticket: expect.any(String),
		});
		expect((await open(app, '*/*')).text).toMatch(/^<\?xml/);
		const refused = await open({ ...app, clientSecret: 'wrong' });
		expect(refused.status).toBe(400);
		expect(refused.json().code).toBe('invalidClientIdOrSecret');
		expect((await open({ ...app, subscriptions: [] })).status).toBe(400);
		const grant = granted.json();
		const first = await connect(grant);
		await expect(connect(grant)).rejects.toThrow('HTTP 401');
		first.ws.close();
	});

	test('pings, pushes messages, sends an unacknowledged frame again, and hands it to the next connection', async () => {
		const { ws, frames } = await connect((await open(app)).json());
		await until(() => frames.some((f) => f.type === 'SYSTEM' && f.headers.topic === 'ping'));
		const sent = await sandbox.robot.sendMessage({ type: 'file' });
		await until(() => frames.filter((f) => f.type === 'CALLBACK').length === 2);
		const [callback] = frames.filter((f) => f.type === 'CALLBACK');
		expect(callback.headers).toMatchObject({
			topic: '/v1.0/im/bot/messages/get',
			messageId: sent.frameId,
		});
		expect(JSON.parse(callback.data)).toEqual(sent.message);
		ws.terminate();
		const next = await connect((await open(app)).json());
		await until(() => next.frames.some((f) => f.type === 'CALLBACK'));
		const again = next.frames.find((f) => f.type === 'CALLBACK');
		expect(again.headers.messageId).toBe(sent.frameId);
		next.ws.send(
			JSON.stringify({
				code: 200,
				headers: { messageId: again.headers.messageId },
				message: 'OK',
				data: '{"response":null}',
			}),
		);
		await until(() => sandbox.robot.pending().unacknowledged === 0);
		expect(sandbox.robot.acks).toHaveLength(1);
		// The client cut the first one without a close frame.
		expect(sandbox.robot.connections.map((c) => [c.closedBy, c.closeCode])).toEqual([
			['client', 1006],
			[null, null],
		]);
		next.ws.close();
	});

	test('a disconnect notice is followed by the server closing the connection', async () => {
		const { ws, frames } = await connect((await open(app)).json());
		expect(sandbox.robot.announceDisconnect()).toBe(1);
		const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
		await until(() => frames.some((f) => f.headers.topic === 'disconnect'));
		expect(await closed).toBe(1000);
		await until(() => sandbox.robot.connections[0].closedBy === 'server');
	});

	test('builds each message type with real downloadable media, and refuses media in a group', async () => {
		for (const type of ['picture', 'audio', 'video', 'file', 'richText']) {
			const { message, attachments } = sandbox.robot.buildMessage({ type });
			expect(message.msgtype).toBe(type);
			expect(attachments.length).toBe(type === 'richText' ? 2 : 1);
		}
		expect(() => sandbox.robot.buildMessage({ type: 'file', chat: 'group' })).toThrow(/one-to-one/);
	});
});

describe('HTTP callbacks', () => {
	test('are POSTed with timestamp and sign = base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))', async () => {
		const seen = [];
		const server = http.createServer((req, res) => {
			let body = '';
			req.on('data', (chunk) => (body += chunk));
			req.on('end', () => {
				seen.push({ headers: req.headers, body: JSON.parse(body) });
				res.end('ok');
			});
		});
		await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			sandbox.robot.setCallbackUrl(
				DEMO.app.appKey,
				`http://127.0.0.1:${server.address().port}/robot`,
			);
			const sent = await sandbox.robot.sendMessage({ text: 'over http' });
			expect(sent.callback).toEqual({ status: 200, body: 'ok' });
			const [{ headers, body }] = seen;
			expect(body).toEqual(sent.message);
			const expected = crypto
				.createHmac('sha256', DEMO.app.appSecret)
				.update(`${headers.timestamp}\n${DEMO.app.appSecret}`)
				.digest('base64');
			expect(headers.sign).toBe(expected);
			expect(Math.abs(Date.now() - Number(headers.timestamp))).toBeLessThan(5000);
		} finally {
			server.close();
		}
	});
});
