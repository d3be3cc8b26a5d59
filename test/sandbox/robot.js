'use strict';
// The robot's side of the DingTalk sandbox: messages people send to a company robot, delivered the two
// ways DingTalk does. Stream mode: `POST /v1.0/gateway/connections/open` hands out an endpoint and a
// one-time ticket, and a WebSocket server (its own port, like wss-open-connection.dingtalk.com) sends
// SYSTEM pings, CALLBACK frames with the messages and `disconnect` notices, expects acknowledgements and
// sends unacknowledged frames again. HTTP mode: the message is POSTed to the robot's URL, signed.
// Wire facts not confirmed by DingTalk's pages are listed in README.md ("Choices where DingTalk says nothing").
const crypto = require('node:crypto');
const http = require('node:http');
const { WebSocketServer } = require('ws');
const { DEMO } = require('./seed');
const { SESSION_PATH } = require('./robot-replies');

const STREAM_PATHS = { open: '/v1.0/gateway/connections/open', socket: '/connect' };
const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';
const TICKET_LIFETIME_MS = 90_000;
const DEFAULT_SETTINGS = {
	// DingTalk does not publish its ping interval; tests shorten all three.
	pingIntervalMs: 20_000,
	// Unacknowledged pushes come again within about a minute (DingTalk's Node client says so).
	redeliverAfterMs: 60_000,
	// After a `disconnect` notice the server closes the connection about 10 s later.
	disconnectGraceMs: 10_000,
	// Tests only: close every connection right after its n-th ping (0: never), a gateway that pings and
	// then hangs up, so clients reconnect again and again.
	closeAfterPings: 0,
	// Tests only: take the ticket at the upgrade and never answer, a gateway that accepts the TCP
	// connection and then says nothing; the client has to give up on its own.
	hangUpgrade: false,
};
const positive = ['a positive integer', (value) => Number.isInteger(value) && value > 0];
// what each setting may be: [said in the error, check]
const SETTING_RULES = {
	pingIntervalMs: positive,
	redeliverAfterMs: positive,
	disconnectGraceMs: positive,
	closeAfterPings: ['an integer >= 0', (value) => Number.isInteger(value) && value >= 0],
	hangUpgrade: ['true or false', (value) => typeof value === 'boolean'],
};
// Replies go to the message's sessionWebhook (served by robot-replies.js), valid 90 minutes after createAt.
const SESSION_LIFETIME_MS = 90 * 60 * 1000;
const MEDIA_ONLY_ONE_TO_ONE = new Set(['audio', 'video', 'file']);
const MESSAGE_TYPES = ['text', 'picture', 'audio', 'video', 'file', 'richText'];

// senderNick of the robot's own messages
const ROBOT_NICK = 'Sandbox robot';
const SENDERS = {
	alice: { staffId: 'manager4220', nick: 'Alice', unionId: DEMO.users.alice },
	bob: { staffId: 'staff0002', nick: 'Bob', unionId: DEMO.users.bob },
	carol: { staffId: 'staffCarol03', nick: 'Carol', unionId: 'unionCarol000003' },
};

const lettersOf = (bytes) =>
	Array.from(
		bytes,
		(b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[b % 62],
	).join('');
const alnum = (length) => lettersOf(crypto.randomBytes(length));
// The same letters for the same text (at most 32): an id that stays put, as a robot's user id does.
const stableAlnum = (text, length) =>
	lettersOf(crypto.createHash('sha256').update(text).digest()).slice(0, length);

// A small, well-formed MP4: an ftyp box and an mdat box of fixed bytes.
function buildMp4() {
	const box = (type, payload) => {
		const size = Buffer.alloc(4);
		size.writeUInt32BE(8 + payload.length);
		return Buffer.concat([size, Buffer.from(type, 'latin1'), payload]);
	};
	const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1'));
	const mdat = box(
		'mdat',
		Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37 + 11) & 0xff)),
	);
	return Buffer.concat([ftyp, mdat]);
}
const VIDEO_MP4 = buildMp4();

/** base64(HMAC-SHA256(secret, timestamp + "\n" + secret)): the `sign` header of an HTTP callback. */
function callbackSign(timestamp, secret) {
	return crypto.createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}

/**
 * @param {{ getSeed: () => object, issueDownloadCode: Function, apiBaseUrl: () => string,
 *   legacyBaseUrl: () => string, registerSession: (session: string, message: object) => void,
 *   apiOk: Function, apiError: Function, send: Function, API_ERRORS: object, host: string, urlHost: string }} sandbox
 */
function createRobotGateway(sandbox) {
	let settings = { ...DEFAULT_SETTINGS };
	let tickets = new Map(); // ticket -> { appKey, expiresAt }
	let everIssuedTickets = new Set();
	const connections = []; // public records, in opening order
	const sockets = new Map(); // connection id -> { ws, pingTimer, pings: Map(messageId -> opaque) }
	let queues = new Map(); // appKey -> frames waiting for a connection
	let unacked = new Map(); // frame messageId -> { appKey, item, connectionId, sentAt }
	const deliveries = [];
	const acks = [];
	const hungUpgrades = []; // upgrades held unanswered while hangUpgrade is on: { appKey, time }
	const heldSockets = new Set(); // their sockets, destroyed by stop() and reset()
	let callbackUrls = new Map(); // appKey -> URL: the robot is in HTTP mode
	const callbacks = []; // HTTP deliveries: { msgId, status, ms }
	const timers = new Set();
	let server;
	let wss;
	let socketBaseUrl;

	const later = (ms, fn) => {
		const timer = setTimeout(() => {
			timers.delete(timer);
			fn();
		}, ms);
		timers.add(timer);
		return timer;
	};

	let redeliveryTimer;
	// Sends unacknowledged frames again once they are older than redeliverAfterMs.
	function redeliverLate() {
		const now = Date.now();
		for (const [frameId, entry] of unacked) {
			if (now - entry.sentAt < settings.redeliverAfterMs) continue;
			unacked.delete(frameId);
			queueFor(entry.appKey).push(entry.item);
			deliver(entry.appKey);
		}
	}

	function queueFor(appKey) {
		if (!queues.has(appKey)) queues.set(appKey, []);
		return queues.get(appKey);
	}

	function appOf(clientId) {
		const seed = sandbox.getSeed();
		const app = seed.apps.get(clientId);
		if (app) return { appKey: app.appKey, secret: app.secret };
		const suite = seed.suites.get(clientId);
		return suite ? { appKey: suite.suiteKey, secret: suite.secret } : undefined;
	}

	// ---------- the gateway call (a route of the API host) ----------

	function openConnection(ctx, body) {
		// Without it DingTalk answers in XML.
		if (!/application\/json/i.test(ctx.req.headers.accept || '')) {
			return sandbox.send(
				ctx,
				200,
				'<?xml version="1.0" encoding="UTF-8"?><OpenConnectionResponse><endpoint/></OpenConnectionResponse>',
				'application/xml',
			);
		}
		const { clientId, clientSecret, subscriptions } = body;
		if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string')
			return sandbox.apiError(
				ctx,
				sandbox.API_ERRORS.missingParameter,
				'Missing parameter: clientId or clientSecret.',
			);
		const app = appOf(clientId);
		if (!app || app.secret !== clientSecret)
			return sandbox.apiError(ctx, sandbox.API_ERRORS.badClient);
		if (
			!Array.isArray(subscriptions) ||
			subscriptions.length === 0 ||
			!subscriptions.every((s) => s && typeof s.type === 'string' && typeof s.topic === 'string')
		)
			return sandbox.apiError(
				ctx,
				sandbox.API_ERRORS.param,
				'Parameter error: subscriptions must be a non-empty list of {type, topic}.',
			);
		ctx.entry.appKey = app.appKey;
		const ticket = crypto.randomUUID();
		tickets.set(ticket, { appKey: app.appKey, expiresAt: Date.now() + TICKET_LIFETIME_MS });
		everIssuedTickets.add(ticket);
		sandbox.apiOk(ctx, { endpoint: `${socketBaseUrl}${STREAM_PATHS.socket}`, ticket });
	}

	// ---------- the WebSocket server ----------

	function frameOf(type, topic, messageId, data, extraHeaders = {}) {
		return JSON.stringify({
			specVersion: '1.0',
			type,
			headers: {
				contentType: 'application/json',
				messageId,
				time: String(Date.now()),
				topic,
				...extraHeaders,
			},
			data,
		});
	}

	function onConnection(ws, appKey) {
		const record = {
			id: crypto.randomUUID(),
			appKey,
			openedAt: Date.now(),
			closedAt: null,
			closeCode: null,
			// 'client' when n8n closed it with a close frame, 'server' when the sandbox did, 'dropped' when
			// the sandbox cut it without one
			closedBy: null,
			silent: false,
			disconnecting: false,
			pingsSent: 0,
			pingReplies: 0,
			acks: 0,
		};
		connections.push(record);
		const state = { ws, pings: new Map(), closingBy: null };
		sockets.set(record.id, state);
		state.pingTimer = setInterval(() => {
			if (record.silent || ws.readyState !== ws.OPEN) return;
			const messageId = crypto.randomUUID();
			const opaque = crypto.randomUUID();
			state.pings.set(messageId, opaque);
			record.pingsSent++;
			ws.send(frameOf('SYSTEM', 'ping', messageId, JSON.stringify({ opaque })));
			if (settings.closeAfterPings > 0 && record.pingsSent >= settings.closeAfterPings) {
				state.closingBy = 'server';
				ws.close(1000, 'closing after pings');
			}
		}, settings.pingIntervalMs);
		ws.on('message', (raw) => {
			if (record.silent) return;
			let reply;
			try {
				reply = JSON.parse(String(raw));
			} catch {
				return;
			}
			const messageId = reply?.headers?.messageId;
			if (reply?.code !== 200 || typeof messageId !== 'string') return;
			if (state.pings.has(messageId)) {
				const echoed = (() => {
					try {
						return JSON.parse(reply.data).opaque;
					} catch {
						return undefined;
					}
				})();
				if (echoed === state.pings.get(messageId)) record.pingReplies++;
				state.pings.delete(messageId);
				return;
			}
			const entry = unacked.get(messageId);
			if (entry && entry.connectionId === record.id) {
				unacked.delete(messageId);
				record.acks++;
				// both times, so tests can measure how long the client took to acknowledge
				acks.push({
					frameId: messageId,
					msgId: entry.item.msgId,
					connectionId: record.id,
					time: Date.now(),
					deliveredAt: entry.sentAt,
				});
			}
		});
		ws.on('close', (code) => {
			clearInterval(state.pingTimer);
			sockets.delete(record.id);
			record.closedAt = Date.now();
			record.closeCode = code;
			record.closedBy = state.closingBy ?? 'client';
			// Frames this connection did not acknowledge go to the next one.
			const waiting = [];
			for (const [frameId, entry] of unacked) {
				if (entry.connectionId !== record.id) continue;
				unacked.delete(frameId);
				waiting.push(entry.item);
			}
			queueFor(appKey).unshift(...waiting);
			deliver(appKey);
		});
		ws.on('error', () => {});
		deliver(appKey);
	}

	function liveConnection(appKey) {
		for (let index = connections.length - 1; index >= 0; index--) {
			const record = connections[index];
			const state = sockets.get(record.id);
			if (
				record.appKey === appKey &&
				!record.silent &&
				!record.disconnecting &&
				state &&
				state.ws.readyState === state.ws.OPEN
			)
				return { record, state };
		}
		return undefined;
	}

	// Pushes waiting frames to the app's newest usable connection, if it has one.
	function deliver(appKey) {
		const queue = queueFor(appKey);
		const live = liveConnection(appKey);
		if (!live) return;
		while (queue.length > 0) {
			const item = queue.shift();
			const now = Date.now();
			item.attempts++;
			unacked.set(item.frameId, {
				appKey,
				item,
				connectionId: live.record.id,
				sentAt: now,
			});
			deliveries.push({
				msgId: item.msgId,
				frameId: item.frameId,
				connectionId: live.record.id,
				attempt: item.attempts,
				time: now,
			});
			live.state.ws.send(
				frameOf('CALLBACK', ROBOT_TOPIC, item.frameId, item.data, {
					appId: appKey,
					connectionId: live.record.id,
				}),
			);
		}
	}

	function openConnectionsOf(appKey) {
		return connections.filter((record) => {
			const state = sockets.get(record.id);
			return record.appKey === appKey && state && state.ws.readyState === state.ws.OPEN;
		});
	}

	// ---------- messages ----------

	function buildMessage({
		appKey = DEMO.app.appKey,
		type = 'text',
		chat = 'oneToOne',
		mentioned = true,
		sender = 'alice',
		text,
		fileName,
		bytes,
		size,
		sessionWebhook,
		conversationId,
		fromRobot = false,
		// DingTalk's pages do not say a message carries the sender's union ID: false leaves it out
		withUnionId = true,
	} = {}) {
		if (!MESSAGE_TYPES.includes(type)) throw new Error(`unknown message type ${type}`);
		const group = chat === 'group';
		if (group && MEDIA_ONLY_ONE_TO_ONE.has(type))
			throw new Error(
				'DingTalk delivers voice, video and file messages to a robot only in one-to-one chats',
			);
		const person = SENDERS[sender] ?? SENDERS.alice;
		const robotCode = appKey; // an internal app's robot code is its AppKey
		const now = Date.now();
		// A robot has one user id.
		const chatbotUserId = `$:LWCP_v1:$${stableAlnum(`chatbot ${robotCode}`, 24)}`;
		const session = crypto.randomBytes(16).toString('hex');
		const attachments = [];
		// content: { bytes } (kept, as served), or { size } generated on every download (hash only)
		const media = (name, content) => {
			const downloadCode = sandbox.issueDownloadCode({ fileName: name, ...content, robotCode });
			if (content.size !== undefined) {
				const { sha256 } = sandbox.getSeed().downloadCodes.get(downloadCode);
				attachments.push({ downloadCode, fileName: name, size: content.size, sha256 });
				return downloadCode;
			}
			const served = Buffer.from(content.bytes);
			attachments.push({
				downloadCode,
				fileName: name,
				bytes: served,
				sha256: crypto.createHash('sha256').update(served).digest('hex'),
			});
			return downloadCode;
		};
		const sample = (name, content) => media(name, { bytes: content });
		// the sender's own content: `size` generated bytes, or `bytes`, else the type's sample
		const own = (name, fallback) =>
			media(name, size === undefined ? { bytes: bytes ?? fallback } : { bytes, size });
		const message = {
			conversationId:
				conversationId ??
				(group
					? DEMO.group.openConversationId
					: `cidp2p${crypto.createHash('md5').update(`${person.unionId} ${robotCode}`).digest('base64')}`),
			conversationType: group ? '2' : '1',
			...(group
				? {
						conversationTitle: 'Sandbox team',
						isInAtList: mentioned,
						atUsers: mentioned ? [{ dingtalkId: chatbotUserId }] : [],
					}
				: {}),
			chatbotCorpId: DEMO.corpId,
			chatbotUserId,
			msgId: `msg${alnum(22)}==`,
			senderNick: person.nick,
			isAdmin: false,
			senderStaffId: person.staffId,
			senderId: `$:LWCP_v1:$${alnum(24)}`,
			senderCorpId: DEMO.corpId,
			senderUnionId: person.unionId,
			robotCode,
			createAt: now,
			// on the legacy host, like https://oapi.dingtalk.com/robot/sendBySession?session=<hex>
			sessionWebhook:
				sessionWebhook ?? `${sandbox.legacyBaseUrl()}${SESSION_PATH}?session=${session}`,
			sessionWebhookExpiredTime: now + SESSION_LIFETIME_MS,
			msgtype: type,
		};
		// a URL of the caller's own is not the sandbox's to answer
		if (sessionWebhook === undefined) sandbox.registerSession(session, message);
		if (fromRobot) {
			// The robot's own message echoed to it: the robot is the sender, a robot has no staff or union ID.
			message.senderId = chatbotUserId;
			message.senderNick = ROBOT_NICK;
			delete message.senderStaffId;
			delete message.senderUnionId;
		}
		if (!withUnionId) delete message.senderUnionId;
		if (type === 'text') {
			// In a group DingTalk leaves a space where the @-mention was.
			message.text = { content: `${group ? ' ' : ''}${text ?? 'hello robot'}` };
		} else if (type === 'picture') {
			const code = own('', DEMO.files.photoPng.bytes);
			message.content = { downloadCode: code, pictureDownloadCode: `pic${code}` };
		} else if (type === 'audio') {
			message.content = {
				downloadCode: own('', DEMO.files.voiceAmr.bytes),
				duration: 2000,
				recognition: text ?? 'hello robot',
			};
		} else if (type === 'video') {
			message.content = {
				downloadCode: own('', VIDEO_MP4),
				duration: 5,
				videoType: 'mp4',
			};
		} else if (type === 'file') {
			const name = fileName ?? DEMO.files.reportPdf.name;
			message.content = {
				downloadCode: own(name, DEMO.files.reportPdf.bytes),
				fileName: name,
				spaceId: DEMO.group.space.spaceId,
				fileId: String(crypto.randomInt(1e10, 1e11)),
			};
		} else {
			const first = sample('', DEMO.files.photoPng.bytes);
			const second = own('', DEMO.files.photoPng.bytes);
			message.content = {
				richText: [
					{ text: text ?? 'two photos ' },
					{ type: 'picture', downloadCode: first, pictureDownloadCode: `pic${first}` },
					{ text: ' and ' },
					{ type: 'picture', downloadCode: second, pictureDownloadCode: `pic${second}` },
				],
			};
		}
		return { message, attachments };
	}

	/**
	 * POSTs a message to a URL as DingTalk's HTTP mode does: signed with `secret` unless told otherwise.
	 * Resolves `{ status, body, ms }`, `ms` from sending to the answer's headers (what DingTalk waits).
	 */
	function postCallback(url, message, { secret, timestamp = String(Date.now()), sign } = {}) {
		const body = JSON.stringify(message);
		const headers = {
			'content-type': 'application/json; charset=utf-8',
			'content-length': Buffer.byteLength(body),
			timestamp,
			sign: sign ?? callbackSign(timestamp, secret),
		};
		return new Promise((resolve, reject) => {
			const started = performance.now();
			const request = http.request(url, { method: 'POST', headers }, (response) => {
				const ms = Math.round(performance.now() - started);
				const chunks = [];
				response.on('data', (chunk) => chunks.push(chunk));
				response.on('end', () =>
					resolve({
						status: response.statusCode,
						body: Buffer.concat(chunks).toString('utf8'),
						ms,
					}),
				);
			});
			request.on('error', reject);
			request.end(body);
		});
	}

	const gateway = {
		STREAM_PATHS,
		ROBOT_TOPIC,
		connections,
		deliveries,
		acks,
		callbacks,
		hungUpgrades,
		routes: { [STREAM_PATHS.open]: { public: true, handler: openConnection } },

		get streamBaseUrl() {
			return socketBaseUrl;
		},

		async listen(port = 0) {
			server = http.createServer((req, res) => {
				res.writeHead(426, { 'content-type': 'text/plain' });
				res.end('Upgrade Required');
			});
			wss = new WebSocketServer({ noServer: true });
			server.on('upgrade', (req, socket, head) => {
				const url = new URL(req.url, 'http://sandbox');
				const ticket = url.searchParams.get('ticket');
				const grant = ticket ? tickets.get(ticket) : undefined;
				// A ticket serves one connection, for 90 s.
				if (ticket) tickets.delete(ticket);
				if (url.pathname !== STREAM_PATHS.socket || !grant || grant.expiresAt < Date.now()) {
					socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
					return;
				}
				if (settings.hangUpgrade) {
					// the ticket is spent and nothing comes back, until the client gives up or the sandbox stops
					hungUpgrades.push({ appKey: grant.appKey, time: Date.now() });
					heldSockets.add(socket);
					socket.on('close', () => heldSockets.delete(socket));
					socket.on('error', () => {});
					return;
				}
				wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, grant.appKey));
			});
			await new Promise((resolve, reject) => {
				server.once('error', reject);
				server.listen(port, sandbox.host, () => resolve());
			});
			socketBaseUrl = `ws://${sandbox.urlHost}:${server.address().port}`;
			redeliveryTimer = setInterval(redeliverLate, 200);
			return socketBaseUrl;
		},

		async stop() {
			clearInterval(redeliveryTimer);
			for (const timer of timers) clearTimeout(timer);
			timers.clear();
			for (const [, state] of sockets) {
				clearInterval(state.pingTimer);
				state.ws.terminate();
			}
			// held upgrades would keep the server from closing
			for (const socket of heldSockets) socket.destroy();
			if (wss) wss.close();
			if (server) {
				await new Promise((resolve) => {
					server.close(() => resolve());
					server.closeAllConnections();
				});
				server = undefined;
			}
		},

		reset() {
			settings = { ...DEFAULT_SETTINGS };
			tickets = new Map();
			everIssuedTickets = new Set();
			queues = new Map();
			unacked = new Map();
			callbackUrls = new Map();
			for (const [, state] of sockets) {
				state.closingBy = 'dropped';
				state.ws.terminate();
			}
			for (const socket of heldSockets) socket.destroy();
			connections.length = 0;
			deliveries.length = 0;
			acks.length = 0;
			callbacks.length = 0;
			hungUpgrades.length = 0;
			gateway.messages.clear();
		},

		/**
		 * Ping interval, redelivery delay and disconnect grace in ms (new connections take the ping
		 * interval), and the test faults closeAfterPings and hangUpgrade.
		 */
		configure(changes = {}) {
			for (const [key, value] of Object.entries(changes)) {
				const rule = SETTING_RULES[key];
				if (!rule) throw new Error(`unknown setting ${key}`);
				if (!rule[1](value)) throw new Error(`${key} must be ${rule[0]}`);
			}
			settings = { ...settings, ...changes };
			return { ...settings };
		},

		/** Another internal app with a robot (robot code = AppKey), so several triggers can each have their own. */
		addApp({ appKey, appSecret }) {
			const seed = sandbox.getSeed();
			seed.apps.set(appKey, { appKey, secret: appSecret, corpId: DEMO.corpId, kind: 'internal' });
			seed.robots.set(appKey, DEMO.corpId);
			// the demo app's permissions as they are now, with those the sandbox's other parts granted it
			seed.scopes.set(appKey, new Set(seed.scopes.get(DEMO.app.appKey) ?? DEMO.scopes));
		},

		buildMessage,
		postCallback,
		callbackSign,

		/**
		 * Someone sends the robot a message: built like DingTalk's (with real downloadable media), then pushed
		 * over the app's Stream connection (or queued until there is one), or POSTed signed when the robot is
		 * in HTTP mode. Resolves with `{ message, attachments, frameId?, callback? }`.
		 */
		async sendMessage(spec = {}) {
			const appKey = spec.appKey ?? DEMO.app.appKey;
			const built = buildMessage({ ...spec, appKey });
			const url = callbackUrls.get(appKey);
			if (url) {
				const secret = sandbox.getSeed().apps.get(appKey)?.secret;
				const callback = await postCallback(url, built.message, { secret });
				callbacks.push({ msgId: built.message.msgId, status: callback.status, ms: callback.ms });
				return { ...built, callback };
			}
			const frameId = `${alnum(8)}_${alnum(4)}_${Date.now().toString(16)}`;
			const data = JSON.stringify(built.message);
			gateway.messages.set(built.message.msgId, data);
			queueFor(appKey).push({ frameId, msgId: built.message.msgId, data, attempts: 0 });
			deliver(appKey);
			return { ...built, frameId };
		},

		/**
		 * Sends an already delivered message again, as DingTalk does when it missed the acknowledgement: the
		 * same frame, or (`newFrame`) the same message in a new frame.
		 */
		resend(msgId, { newFrame = false } = {}) {
			const first = deliveries.find((delivery) => delivery.msgId === msgId);
			if (!first) throw new Error(`message ${msgId} was never delivered`);
			const entry = connections.find((record) => record.id === first.connectionId);
			const appKey = entry ? entry.appKey : DEMO.app.appKey;
			const original = gateway.messages.get(msgId);
			queueFor(appKey).push({
				frameId: newFrame ? `${alnum(8)}_${alnum(4)}_${Date.now().toString(16)}` : first.frameId,
				msgId,
				data: original,
				attempts: 0,
			});
			deliver(appKey);
		},

		/** Delivers the app's messages as signed HTTP callbacks to `url` (HTTP mode), or over Stream again (null). */
		setCallbackUrl(appKey, url) {
			if (url) callbackUrls.set(appKey, url);
			else callbackUrls.delete(appKey);
		},

		/** Cuts the app's connections without a close frame (a network drop). */
		dropConnections(appKey = DEMO.app.appKey) {
			const open = openConnectionsOf(appKey);
			for (const record of open) {
				const state = sockets.get(record.id);
				state.closingBy = 'dropped';
				state.ws.terminate();
			}
			return open.length;
		},

		/** The app's open connections go silent: no pings, no frames, replies ignored; they stay open. */
		silence(appKey = DEMO.app.appKey) {
			const open = openConnectionsOf(appKey);
			for (const record of open) record.silent = true;
			return open.length;
		},

		/** Sends a `disconnect` notice on the app's open connections and closes them `disconnectGraceMs` later. */
		announceDisconnect(appKey = DEMO.app.appKey) {
			const open = openConnectionsOf(appKey);
			for (const record of open) {
				const state = sockets.get(record.id);
				record.disconnecting = true;
				state.ws.send(
					frameOf(
						'SYSTEM',
						'disconnect',
						crypto.randomUUID(),
						JSON.stringify({ reason: 'persistent connection is timeout' }),
					),
				);
				later(settings.disconnectGraceMs, () => {
					if (state.ws.readyState !== state.ws.OPEN) return;
					state.closingBy = 'server';
					state.ws.close(1000, 'disconnect');
				});
			}
			return open.length;
		},

		/** Connections of an app still open now. */
		openConnections(appKey = DEMO.app.appKey) {
			return openConnectionsOf(appKey).map((record) => ({ ...record }));
		},

		/** Frames waiting for a connection, and frames sent but not acknowledged. */
		pending(appKey = DEMO.app.appKey) {
			const waiting = queueFor(appKey).length;
			const sent = [...unacked.values()].filter((entry) => entry.appKey === appKey).length;
			return { waiting, unacknowledged: sent };
		},

		/** Every ticket handed out since the last reset, so tests can search logs for them. */
		issuedTickets() {
			return [...everIssuedTickets];
		},

		/** msgId -> the message JSON delivered (for resend). */
		messages: new Map(),

		/** Control API calls, merged into the sandbox's own. */
		controlActions(body) {
			return {
				'GET /_sandbox/stream/connections': () => connections,
				'GET /_sandbox/stream/deliveries': () => deliveries,
				'POST /_sandbox/stream/settings': () => gateway.configure(body),
				'POST /_sandbox/robot/messages': async () => {
					const { message, attachments, frameId, callback } = await gateway.sendMessage(body);
					return {
						message,
						frameId,
						callback,
						// generated attachments have their size already
						attachments: attachments.map(({ bytes, ...rest }) => ({
							size: bytes?.length,
							...rest,
						})),
					};
				},
				'POST /_sandbox/stream/drop': () => ({ dropped: gateway.dropConnections(body.appKey) }),
				'POST /_sandbox/stream/silence': () => ({ silenced: gateway.silence(body.appKey) }),
				'POST /_sandbox/stream/disconnect': () => ({
					notified: gateway.announceDisconnect(body.appKey),
				}),
				'POST /_sandbox/robot/callback-url': () => gateway.setCallbackUrl(body.appKey, body.url),
			};
		},
	};

	return gateway;
}

module.exports = {
	createRobotGateway,
	callbackSign,
	STREAM_PATHS,
	ROBOT_TOPIC,
	VIDEO_MP4,
};
