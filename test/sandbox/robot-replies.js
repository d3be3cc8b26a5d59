'use strict';
// Replies through a robot message's sessionWebhook, `{oapi}/robot/sendBySession?session=<hex>` on the
// legacy host: every message the sandbox builds registers its session, good until the message's
// sessionWebhookExpiredTime (createAt + 90 min). No token is needed (DingTalk's Python Stream client sends
// none; one that comes is ignored and noted). Answers are legacy {errcode, errmsg}, HTTP 200.
const SESSION_PATH = '/robot/sendBySession'; // ?session=<hex>, on the legacy host
const ERRORS = {
	// third-party logs of DingTalk's answer for an unknown or expired session
	noSession: { errcode: 300001, errmsg: 'session 不存在' },
	// the sandbox's guess for a body DingTalk would not take (DingTalk's general "invalid parameter")
	badBody: { errcode: 40035, errmsg: '不合法的参数' },
};
// msgtype -> the fields of its object, each a non-empty string (PySDK reply_text / reply_markdown)
const MESSAGE_FIELDS = { text: ['content'], markdown: ['title', 'text'] };
const isStringList = (value) =>
	Array.isArray(value) && value.every((item) => typeof item === 'string');
// at: {atUserIds: [userId], atMobiles: [mobile], isAtAll}, all optional
const AT_RULES = {
	atUserIds: ['a list of user IDs', isStringList],
	atMobiles: ['a list of mobile numbers', isStringList],
	isAtAll: ['true or false', (value) => typeof value === 'boolean'],
};

function sessionOf(sessionOrUrl) {
	const text = String(sessionOrUrl ?? '');
	if (!text.includes('?')) return text;
	return new URL(text, 'http://sandbox').searchParams.get('session') ?? '';
}

// why a reply body is refused, or null
function bodyProblem(body) {
	if (!body || typeof body !== 'object') return 'the body must be a JSON object';
	const fields = MESSAGE_FIELDS[body.msgtype];
	if (!fields)
		return `msgtype must be one of ${Object.keys(MESSAGE_FIELDS).join(', ')}, not ${body.msgtype}`;
	const part = body[body.msgtype];
	for (const field of fields) {
		if (typeof part?.[field] !== 'string' || part[field].trim() === '')
			return `${body.msgtype}.${field} is required`;
	}
	if (body.at === undefined) return null;
	if (!body.at || typeof body.at !== 'object' || Array.isArray(body.at))
		return 'at must be an object';
	for (const [name, [what, check]] of Object.entries(AT_RULES)) {
		if (body.at[name] !== undefined && !check(body.at[name])) return `at.${name} must be ${what}`;
	}
	return null;
}

function createSessionReplies(kit) {
	let sessions = new Map(); // session -> { msgId, conversationId, createAt, expiresAt }
	let lifetimeMs = null; // sessions end this long after their message (null: when the message says)
	const replies = [];

	function alive(record, now) {
		if (!record || now >= record.expiresAt) return false;
		return lifetimeMs === null || now < record.createAt + lifetimeMs;
	}

	function sendBySession(ctx, body) {
		const session = ctx.query.session ?? '';
		const record = sessions.get(session);
		if (!alive(record, Date.now())) return kit.legacyReply(ctx, ERRORS.noSession);
		const problem = bodyProblem(body);
		if (problem) return kit.legacyError(ctx, ERRORS.badBody, problem);
		replies.push({
			session,
			msgId: record.msgId,
			conversationId: record.conversationId,
			msgtype: body.msgtype,
			...Object.fromEntries(
				MESSAGE_FIELDS[body.msgtype].map((field) => [field, body[body.msgtype][field]]),
			),
			at: body.at ?? null,
			hadToken: ctx.entry.hadQueryToken || ctx.entry.tokenHeader,
			time: Date.now(),
		});
		kit.legacyReply(ctx, { errcode: 0, errmsg: 'ok' });
	}

	const robotMembers = {
		/** Every accepted reply: { session, msgId, conversationId, msgtype, content | title + text, at, hadToken, time }. */
		replies,
		/** The session (or a sessionWebhook URL) answers 300001 from now on; false if it is unknown. */
		expireSession(sessionOrUrl) {
			const record = sessions.get(sessionOf(sessionOrUrl));
			if (!record) return false;
			record.expiresAt = Date.now();
			return true;
		},
		/** Sessions end `ms` after their message was built, earlier than they say (null: when they say). */
		setSessionLifetime(ms) {
			if (ms !== null && !(typeof ms === 'number' && ms >= 0))
				throw new Error('ms must be a number >= 0 or null');
			lifetimeMs = ms;
		},
	};

	return {
		legacyRoutes: [{ path: SESSION_PATH, method: 'POST', public: true, handler: sendBySession }],
		/** Called for every message the robot gateway builds with the sandbox's own sessionWebhook. */
		register(session, message) {
			sessions.set(session, {
				msgId: message.msgId,
				conversationId: message.conversationId,
				createAt: message.createAt,
				expiresAt: message.sessionWebhookExpiredTime,
			});
		},
		control: (body) => ({
			'GET /_sandbox/robot/replies': () => replies,
			'POST /_sandbox/robot/expire-session': () => ({
				expired: robotMembers.expireSession(body.session),
			}),
			'POST /_sandbox/robot/session-lifetime': () =>
				robotMembers.setSessionLifetime(body.ms ?? null),
		}),
		reset() {
			sessions = new Map();
			lifetimeMs = null;
			replies.length = 0;
		},
		members: {},
		robotMembers,
	};
}

module.exports = { createSessionReplies, SESSION_PATH, SESSION_ERRORS: ERRORS };
