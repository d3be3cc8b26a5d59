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
const ack = (ws, frame) =>
	ws.send(
		JSON.stringify({
			code: 200,
			headers: { messageId: frame.headers.messageId },
			message: 'OK',
			data: '{"response":null}',
		}),
	);
const closeOf = (ws) => new Promise((resolve) => ws.on('close', (code) => resolve(code)));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
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
		ack(next.ws, again);
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
		const closed = closeOf(ws);
		await until(() => frames.some((f) => f.headers.topic === 'disconnect'));
		expect(await closed).toBe(1000);
		await until(() => sandbox.robot.connections[0].closedBy === 'server');
	});

	test('closeAfterPings: every connection is closed (1000, by the server) right after its n-th ping', async () => {
		expect(() => sandbox.robot.configure({ closeAfterPings: -1 })).toThrow(/integer >= 0/);
		expect(() => sandbox.robot.configure({ pingIntervalMs: 0 })).toThrow(/positive integer/);
		expect(sandbox.robot.configure({ closeAfterPings: 2 }).closeAfterPings).toBe(2);
		for (const index of [0, 1]) {
			const { ws, frames } = await connect((await open(app)).json());
			expect(await closeOf(ws)).toBe(1000);
			expect(frames.filter((f) => f.headers.topic === 'ping')).toHaveLength(2);
			await until(() => sandbox.robot.connections[index].closedBy === 'server');
			expect(sandbox.robot.connections[index]).toMatchObject({ closeCode: 1000, pingsSent: 2 });
		}
		sandbox.robot.configure({ closeAfterPings: 0 });
		const { ws, frames } = await connect((await open(app)).json());
		await until(() => frames.filter((f) => f.headers.topic === 'ping').length === 3);
		expect(ws.readyState).toBe(WebSocket.OPEN);
		ws.close();
	});

	test('hangUpgrade: the ticket is spent, the upgrade never answered; stop() destroys the held sockets', async () => {
		expect(() => sandbox.robot.configure({ hangUpgrade: 'yes' })).toThrow(/true or false/);
		sandbox.robot.configure({ hangUpgrade: true });
		const grant = (await open(app)).json();
		const started = Date.now();
		const gaveUp = new Promise((resolve) => {
			const ws = new WebSocket(`${grant.endpoint}?ticket=${encodeURIComponent(grant.ticket)}`, {
				handshakeTimeout: 300,
			});
			ws.on('error', (err) => resolve(err.message));
		});
		expect(await gaveUp).toMatch(/handshake has timed out/);
		expect(Date.now() - started).toBeGreaterThanOrEqual(250);
		expect(sandbox.robot.hungUpgrades).toEqual([
			{ appKey: DEMO.app.appKey, time: expect.any(Number) },
		]);
		expect(sandbox.robot.connections).toHaveLength(0);
		sandbox.robot.configure({ hangUpgrade: false });
		await expect(connect(grant)).rejects.toThrow('HTTP 401');

		sandbox.robot.configure({ hangUpgrade: true });
		const next = (await open(app)).json();
		const held = new WebSocket(`${next.endpoint}?ticket=${encodeURIComponent(next.ticket)}`);
		const ended = new Promise((resolve) => held.on('error', () => resolve('error')));
		await until(() => sandbox.robot.hungUpgrades.length === 2);
		await sandbox.stop();
		expect(await ended).toBe('error');
		sandbox.robot.reset();
		expect(sandbox.robot.hungUpgrades).toHaveLength(0);
	});

	test('an acknowledgement carries its own time and the time of the delivery it acknowledges', async () => {
		const { ws, frames } = await connect((await open(app)).json());
		const sent = await sandbox.robot.sendMessage({ text: 'timed' });
		await until(() => frames.some((f) => f.type === 'CALLBACK'));
		await sleep(80);
		ack(
			ws,
			frames.find((f) => f.type === 'CALLBACK'),
		);
		await until(() => sandbox.robot.acks.length === 1);
		const [delivery] = sandbox.robot.deliveries;
		const [acked] = sandbox.robot.acks;
		expect(acked).toMatchObject({ msgId: sent.message.msgId, deliveredAt: delivery.time });
		expect(acked.time - acked.deliveredAt).toBeGreaterThanOrEqual(70);
		ws.close();
	});

	test('builds each message type with real downloadable media, and refuses media in a group', async () => {
		for (const type of ['picture', 'audio', 'video', 'file', 'richText']) {
			const { message, attachments } = sandbox.robot.buildMessage({ type });
			expect(message.msgtype).toBe(type);
			expect(attachments.length).toBe(type === 'richText' ? 2 : 1);
		}
		expect(() => sandbox.robot.buildMessage({ type: 'file', chat: 'group' })).toThrow(/one-to-one/);
	});

	test('a file of `size` generated bytes: the attachment has size and sha256, no bytes; the control API passes size on', async () => {
		const { ws, frames } = await connect((await open(app)).json());
		const size = 3 * 1024 * 1024 + 5;
		const sent = await sandbox.robot.sendMessage({ type: 'file', fileName: 'big.bin', size });
		expect(sent.attachments).toEqual([
			{
				downloadCode: sent.message.content.downloadCode,
				fileName: 'big.bin',
				size,
				sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
			},
		]);
		await until(() => frames.some((f) => f.type === 'CALLBACK'));
		expect(JSON.parse(frames.find((f) => f.type === 'CALLBACK').data).content).toMatchObject({
			fileName: 'big.bin',
			downloadCode: sent.message.content.downloadCode,
		});
		const overHttp = await fetch(`${urls.apiBaseUrl}/_sandbox/robot/messages`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ type: 'file', fileName: 'http.bin', size: 1000 }),
		});
		expect((await overHttp.json()).attachments).toEqual([
			{
				downloadCode: expect.any(String),
				fileName: 'http.bin',
				size: 1000,
				sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
			},
		]);
		// your own bytes, as before
		const own = sandbox.robot.buildMessage({
			type: 'file',
			fileName: 'a.txt',
			bytes: Buffer.from('abc'),
		});
		expect(own.attachments).toEqual([
			{
				downloadCode: own.message.content.downloadCode,
				fileName: 'a.txt',
				bytes: Buffer.from('abc'),
				sha256: crypto.createHash('sha256').update('abc').digest('hex'),
			},
		]);
		expect(() =>
			sandbox.robot.buildMessage({ type: 'file', bytes: Buffer.from('x'), size: 1 }),
		).toThrow(/not both/);
		ws.close();
	});

	test('messages for access tests: own sessionWebhook and conversationId, the robot as the sender; one chatbotUserId per robot', async () => {
		const { ws, frames } = await connect((await open(app)).json());
		const sent = await sandbox.robot.sendMessage({
			chat: 'group',
			fromRobot: true,
			sessionWebhook: 'https://hooks.example.test/session',
			conversationId: 'cidSomeOtherGroup==',
		});
		await until(() => frames.some((f) => f.type === 'CALLBACK'));
		const delivered = JSON.parse(frames.find((f) => f.type === 'CALLBACK').data);
		expect(delivered).toEqual(sent.message);
		expect(delivered).toMatchObject({
			conversationType: '2',
			conversationId: 'cidSomeOtherGroup==',
			sessionWebhook: 'https://hooks.example.test/session',
			senderId: delivered.chatbotUserId,
		});
		expect(delivered).not.toHaveProperty('senderStaffId');
		expect(delivered).not.toHaveProperty('senderUnionId');
		const person = sandbox.robot.buildMessage({ type: 'text' }).message;
		expect(person.chatbotUserId).toBe(delivered.chatbotUserId);
		expect(person.senderId).not.toBe(person.chatbotUserId);
		expect(person.senderStaffId).toEqual(expect.any(String));
		expect(person.conversationId).toMatch(/^cidp2p/);
		expect(person.sessionWebhook).toMatch(
			new RegExp(`^${urls.legacyBaseUrl}/robot/sendBySession\\?session=[0-9a-f]{32}$`),
		);
		sandbox.robot.addApp({ appKey: 'dingsecondrobot', appSecret: 'second-robot-secret' });
		const other = sandbox.robot.buildMessage({ appKey: 'dingsecondrobot' }).message;
		expect(other.chatbotUserId).not.toBe(person.chatbotUserId);
		ws.close();
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
			expect(sent.callback).toEqual({ status: 200, body: 'ok', ms: expect.any(Number) });
			expect(sandbox.robot.callbacks).toEqual([
				{ msgId: sent.message.msgId, status: 200, ms: sent.callback.ms },
			]);
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

	test('postCallback resolves the answer time in ms: up to the answer headers, not the body', async () => {
		// headers after 150 ms, the body 400 ms later
		const server = http.createServer((req, res) => {
			req.resume();
			setTimeout(() => {
				res.writeHead(200, { 'content-type': 'text/plain' });
				res.flushHeaders();
				setTimeout(() => res.end('late body'), 400);
			}, 150);
		});
		await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			const { message } = sandbox.robot.buildMessage({ type: 'text' });
			const started = Date.now();
			const answer = await sandbox.robot.postCallback(
				`http://127.0.0.1:${server.address().port}/robot`,
				message,
				{ secret: DEMO.app.appSecret },
			);
			const elapsed = Date.now() - started;
			expect(answer).toEqual({ status: 200, body: 'late body', ms: expect.any(Number) });
			expect(answer.ms).toBeGreaterThanOrEqual(140);
			expect(answer.ms).toBeLessThanOrEqual(elapsed - 350);
		} finally {
			server.close();
		}
	});
});
