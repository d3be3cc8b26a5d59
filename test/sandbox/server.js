'use strict';
// A local stand-in for the DingTalk server API, for tests and `npm run sandbox`.
// Three HTTP servers like the real service: the new API host (api.dingtalk.com), the legacy
// host (oapi.dingtalk.com) and a file host serving signed download URLs (an OSS bucket).
// Wire facts follow DingTalk's own API pages; where they are silent, test/sandbox/README.md says what
// the sandbox assumes.
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const busboy = require('busboy');
const { DEMO, seedState, sha256, generatedContent } = require('./seed');
const { createRobotGateway } = require('./robot');
const { createStorage } = require('./storage');
const { createRobotMessages } = require('./robot-messages');
const { createStorageFiles } = require('./storage-files');
const { createDirectory } = require('./directory');
const { createGroups } = require('./groups');
const { createSessionReplies } = require('./robot-replies');

// ===================== wire facts (keep every name in one place) =====================

const TOKEN_HEADER = 'x-acs-dingtalk-access-token';
const REQUEST_ID_HEADER = 'x-acs-request-id';
const LEGACY_TOKEN_QUERY = 'access_token';

const PATHS = {
	appToken: '/v1.0/oauth2/accessToken',
	corpToken: '/v1.0/oauth2/corpAccessToken',
	spaceQuery: '/v1.0/convFile/conversations/spaces/query',
	sendToUser: '/v1.0/convFile/apps/conversations/files/send',
	sendLink: '/v1.0/convFile/conversations/files/links/send',
	sendToGroup: '/v1.0/convFile/conversations/files/send',
	robotDownload: '/v1.0/robot/messageFiles/download',
	legacyToken: '/gettoken',
	mediaUpload: '/media/upload',
};

// New API errors: [HTTP status, code, default message]. Answers are {code, message, requestid}.
const API_ERRORS = {
	notFound: [404, 'NotFound', 'Specified api is not found, please check your url and method.'],
	badJson: [
		400,
		'InvalidParameter',
		'The request body must be a JSON object (Content-Type: application/json).',
	],
	missingParameter: [400, 'MissingParameter', 'A required parameter is missing.'],
	badClient: [400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret'],
	badSuiteTicket: [400, 'invalidSuiteTicket', '无效的suiteTicket'],
	corpNotAuthorized: [
		400,
		'invalidAuthCorpId',
		'该企业未授权此应用 (authCorpId has not authorised this suite)',
	],
	missingToken: [
		400,
		'AuthenticationFailed.MissingParameter',
		'The x-acs-dingtalk-access-token header is required.',
	],
	invalidToken: [400, 'InvalidAuthentication', '不合法的access_token'],
	noScope: [
		403,
		'Forbidden.AccessDenied.AccessTokenPermissionDenied',
		'The access token does not have the permission required by this API.',
	],
	internalOnly: [
		403,
		'Forbidden.AccessDenied.AccessTokenPermissionDenied',
		'This API can only be called by an internal app.',
	],
	qps: [
		403,
		'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
		'The number of calls per second from this app to this API exceeds the limit.',
	],
	param: [400, 'paramError', 'Parameter error.'],
	paramConversation: [
		400,
		'paramError.conversationId',
		'Parameter error: openConversationId is invalid.',
	],
	paramSpace: [400, 'paramError.spaceId', 'Parameter error: spaceId is invalid.'],
	paramDentry: [400, 'paramError.dentryId', 'Parameter error: dentryId is invalid.'],
	conversationNotExist: [404, 'conversationNotExist', 'The target conversation does not exist.'],
	acrossOrg: [403, 'acrossOrgAccessForbidden', 'Cross-organization access is forbidden.'],
	notMember: [
		403,
		'permissionDenied',
		'The user has no permission on the storage space of this conversation.',
	],
	receiverDenied: [
		400,
		'permissionDenied',
		'No permission: the receiver is not a member of this organization.',
	],
	spaceNotExist: [404, 'spaceNotExist', 'The space does not exist.'],
	dentryNotExist: [404, 'dentryNotExist', 'The file does not exist.'],
	folderNotSupport: [400, 'folderNotSupport', 'Folders cannot be sent.'],
	robotCodeEmpty: [400, 'invalidParameter.robotCode.empty', 'The bot robotCode is empty.'],
	downloadCodeEmpty: [400, 'invalidParameter.robotCode.empty', 'The bot downloadCode is empty.'],
	robotMismatch: [
		400,
		'invalidParameter.robotCode.auth',
		'This downloadCode does not match the bot robotCode. Use the robotCode of the bot that received this message and the corresponding downloadCode.',
	],
	robotOtherOrg: [
		400,
		'invalidParameter.robotCode.auth',
		'The organization that calls this API is different from the organization to which the bot corresponding to this downloadCode belongs.',
	],
	badDownloadCode: [
		400,
		'invalidParameter.robotCode.downloadCode',
		'The download code is incorrect or has expired.',
	],
	internal: [500, 'systemError', 'System error.'],
};

// Legacy answers: always HTTP 200 with {errcode, errmsg}.
const LEGACY_ERRORS = {
	missingToken: {
		errcode: 88,
		sub_code: '40000',
		sub_msg: '缺少参数 access_token',
		errmsg: 'ding talk error[subcode=40000,submsg=缺少参数 access_token]',
	},
	invalidToken: { errcode: 40014, errmsg: '不合法的access_token' },
	rateLimited: {
		errcode: 90018,
		errmsg: '当前应用调用该接口的频率超过限制 (per app per API QPS limit)',
	},
	noScope: { errcode: 60011, errmsg: '没有调用该接口的权限' },
	badAppKey: { errcode: 40096, errmsg: '不合法的appKey或appSecret' },
	needGet: { errcode: 43001, errmsg: '需要GET请求' },
	needPost: { errcode: 43002, errmsg: '需要POST请求' },
	notMultipart: { errcode: 43008, errmsg: '参数需要multipart类型' },
	missingMedia: { errcode: 41005, errmsg: '缺少media参数' },
	badMediaType: { errcode: 40004, errmsg: '不合法的媒体文件类型' },
	badFileType: { errcode: 40005, errmsg: '不合法的文件类型' },
	badFileSize: { errcode: 40006, errmsg: '不合法的文件大小' },
	notFound: { errcode: 404, errmsg: '请求的URI地址不存在' },
	// the sandbox's guess for an internal-only legacy API called with a third-party app's token
	internalOnly: { errcode: 60011, errmsg: '没有调用该接口的权限: 仅企业内部应用可调用' },
	internal: { errcode: -1, errmsg: '系统繁忙' },
};

const MiB = 1024 * 1024;
// media/upload rules; "20 MB" read as 20 x 2^20 bytes
const MEDIA_RULES = {
	image: { maxBytes: 20 * MiB, extensions: ['jpg', 'gif', 'png', 'bmp'] },
	voice: { maxBytes: 2 * MiB, extensions: ['amr', 'mp3', 'wav'] },
	video: { maxBytes: 20 * MiB, extensions: ['mp4'] },
	file: {
		maxBytes: 20 * MiB,
		extensions: ['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'zip', 'pdf', 'rar'],
	},
};
const EXTENSION_ALIASES = { jpeg: 'jpg' };
const MAX_UPLOAD_BYTES = 25 * MiB; // beyond this the file part is cut off (and refused)
const MAX_JSON_BYTES = 1 * MiB;

const ID_PATTERNS = {
	conversation: /^cid\S+$/,
	space: /^\d{1,20}$/,
	dentry: /^[A-Za-z0-9_-]{1,64}$/,
};

// query/body keys whose values must never reach the request log (a page's nextToken is no secret)
const SECRET_KEYS = /secret|ticket|(?<!next)token/i;

// ===================== small helpers =====================

const newRequestId = () => crypto.randomUUID().toUpperCase();
const isoMinute = (ms) => new Date(ms).toISOString().slice(0, 16) + 'Z';
const isBlank = (value) => typeof value !== 'string' || value.trim() === '';

function alnum(length) {
	const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	return Array.from(crypto.randomBytes(length), (b) => chars[b % chars.length]).join('');
}

function redact(object) {
	if (!object || typeof object !== 'object' || Array.isArray(object)) return object;
	const out = {};
	for (const [key, value] of Object.entries(object))
		out[key] = SECRET_KEYS.test(key) ? '<redacted>' : value;
	return out;
}

// reads and drops the rest of a request body
function drain(input) {
	return new Promise((resolve) => {
		if (input.readableEnded) return resolve();
		input.on('end', resolve);
		input.on('error', resolve);
		input.on('close', resolve);
		input.resume();
	});
}

function readBody(input, limit) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		let size = 0;
		let ended = false;
		input.on('data', (chunk) => {
			size += chunk.length;
			if (size <= limit) chunks.push(chunk);
		});
		input.on('end', () => {
			ended = true;
			resolve({ buffer: Buffer.concat(chunks), tooLarge: size > limit });
		});
		input.on('error', reject);
		// a client that hung up can close the request without 'end' or 'error'
		input.on('close', () => {
			if (!ended) reject(new Error('request closed before its body was read'));
		});
	});
}

// JSON body of a new-API call: {} when empty, an error string when unusable
async function readJsonBody(input, headers) {
	const { buffer, tooLarge } = await readBody(input, MAX_JSON_BYTES);
	if (tooLarge) return { error: 'The request body is too large.' };
	if (buffer.length === 0) return { value: {} };
	if (!/application\/json/i.test(headers['content-type'] || ''))
		return { error: API_ERRORS.badJson[2] };
	try {
		const value = JSON.parse(buffer.toString('utf8'));
		if (!value || typeof value !== 'object' || Array.isArray(value))
			return { error: API_ERRORS.badJson[2] };
		return { value };
	} catch {
		return { error: 'The request body is not valid JSON.' };
	}
}

// multipart/form-data, streamed; keeps at most MAX_UPLOAD_BYTES of each file part
function parseMultipart(input, headers) {
	return new Promise((resolve, reject) => {
		let parser;
		try {
			parser = busboy({ headers, limits: { fileSize: MAX_UPLOAD_BYTES, files: 10, fields: 50 } });
		} catch (err) {
			reject(err);
			return;
		}
		const fields = {};
		const files = [];
		parser.on('field', (name, value) => {
			fields[name] = value;
		});
		parser.on('file', (fieldName, stream, info) => {
			const file = {
				fieldName,
				filename: info.filename ?? null,
				contentType: info.mimeType ?? null,
				size: 0,
				truncated: false,
			};
			const hash = crypto.createHash('sha256');
			const chunks = [];
			files.push(file);
			stream.on('data', (chunk) => {
				file.size += chunk.length;
				hash.update(chunk);
				chunks.push(chunk);
			});
			stream.on('limit', () => {
				file.truncated = true;
			});
			stream.on('end', () => {
				file.bytes = Buffer.concat(chunks);
				file.sha256 = hash.digest('hex');
			});
		});
		parser.on('close', () => resolve({ fields, files }));
		parser.on('error', reject);
		input.on('error', reject);
		input.pipe(parser);
	});
}

function describeUpload({ fields, files }) {
	const part = files.find((f) => f.fieldName === 'media') ?? files[0];
	const file = part
		? {
				fieldName: part.fieldName,
				filename: part.filename,
				contentType: part.contentType,
				size: part.size,
				sha256: part.sha256 ?? null,
			}
		: null;
	return { fields: redact(fields), file };
}

function extensionOf(filename) {
	const dot = (filename || '').lastIndexOf('.');
	if (dot < 0) return '';
	const ext = filename.slice(dot + 1).toLowerCase();
	return EXTENSION_ALIASES[ext] ?? ext;
}

function ossErrorBody(code, message, requestId) {
	return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${message}</Message>\n  <RequestId>${requestId}</RequestId>\n  <HostId>sandbox-files</HostId>\n</Error>\n`;
}

// ===================== the sandbox =====================

function createSandbox(options = {}) {
	const initial = {
		tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 7200,
		rateLimit: { enabled: false, perSecond: 20, ...(options.rateLimit || {}) },
		downloadUrlLifetimeSeconds: options.downloadUrlLifetimeSeconds ?? 3600,
	};
	const host = options.host ?? '127.0.0.1';
	const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
	const urlSecret = crypto.randomBytes(32); // signs download URLs; never leaves this process

	const requests = [];
	const sent = [];
	const media = new Map();
	let seed = seedState();
	let tokens = new Map(); // token -> {appKey, corpId, kind, expiresAt}
	let currentAppToken = new Map(); // internal appKey -> its current token (reused while valid)
	let rateWindows = new Map(); // "host appKey path" -> timestamps of counted calls
	let downloads = new Map(); // file id -> {bytes | generated: {seed, size}, fileName, expires}
	let fileHost = { chunked: false }; // how the file host answers downloads
	// file-host requests open now, and the most at once since takeMostFilesAtOnce() last asked
	const filesAtOnce = { open: 0, most: 0 };
	let faults = [];
	let tokenFetchCount = 0;
	let everIssued = new Set(); // every token handed out, so tests can search outputs and logs for them
	let invalidateAfter = null; // counted calls left before every token is invalidated
	let tokenLifetimeSeconds = initial.tokenLifetimeSeconds;
	let rateLimit = { ...initial.rateLimit };
	let downloadUrlLifetimeSeconds = initial.downloadUrlLifetimeSeconds;
	// Round-trip time added to every API call, half before DingTalk sees it and half before the answer
	// leaves: a stand-in for the distance between n8n and DingTalk (150 ms from outside mainland China).
	let roundTripMs = options.roundTripMs ?? 0;
	const servers = {};
	const timers = new Set();
	const baseUrls = {
		apiBaseUrl: null,
		legacyBaseUrl: null,
		fileBaseUrl: null,
		uploadBaseUrl: null,
	};

	// ---------- tokens, scopes, rate limit ----------

	function issueToken(owner, reuse) {
		const now = Date.now();
		const expiresAt = now + tokenLifetimeSeconds * 1000;
		tokenFetchCount++;
		const current = reuse ? currentAppToken.get(owner.appKey) : undefined;
		const existing = current && tokens.get(current);
		if (existing && existing.expiresAt > now) {
			existing.expiresAt = expiresAt; // same token, lifetime extended
			return current;
		}
		const token = crypto.randomBytes(16).toString('hex');
		tokens.set(token, { appKey: owner.appKey, corpId: owner.corpId, kind: owner.kind, expiresAt });
		everIssued.add(token);
		if (reuse) currentAppToken.set(owner.appKey, token);
		return token;
	}

	// A counted call may be the one after which every token is invalidated (a token dying mid-run).
	function countCall(ctx) {
		ctx.entry.counted = true;
		if (invalidateAfter !== null && --invalidateAfter <= 0) {
			invalidateAfter = null;
			tokens = new Map();
			currentAppToken = new Map();
		}
	}

	const expireIn = () => Math.max(0, Math.ceil(tokenLifetimeSeconds));

	function lookupToken(token) {
		if (!token) return { presented: false, record: null, valid: null };
		const record = tokens.get(token) ?? null;
		return { presented: true, record, valid: !!record && Date.now() < record.expiresAt };
	}

	const hasScope = (appKey, scope) => !scope || (seed.scopes.get(appKey)?.has(scope) ?? false);

	// rolling 1000 ms window per (host, app, path); only accepted calls take a slot
	function takeRateSlot(hostName, appKey, path) {
		const key = `${hostName} ${appKey} ${path}`;
		const now = Date.now();
		const stamps = (rateWindows.get(key) || []).filter((t) => now - t < 1000);
		rateWindows.set(key, stamps);
		if (rateLimit.enabled && stamps.length >= rateLimit.perSecond) return false;
		stamps.push(now);
		return true;
	}

	// ---------- request context, answers and the log ----------

	function newContext(hostName, req, res) {
		const url = new URL(req.url, 'http://sandbox');
		const query = Object.fromEntries(url.searchParams);
		const headerToken = req.headers[TOKEN_HEADER];
		const queryToken = query[LEGACY_TOKEN_QUERY];
		// the token this host would read (the file host reads none, so log whichever came)
		const relevant =
			hostName === 'api'
				? headerToken
				: hostName === 'legacy'
					? queryToken
					: headerToken || queryToken;
		const check = lookupToken(relevant);
		const entry = {
			time: Date.now(),
			host: hostName,
			method: req.method,
			path: url.pathname,
			query: redact(query),
			hadQueryToken: queryToken !== undefined,
			tokenHeader: headerToken !== undefined,
			tokenValid: check.valid,
			appKey: check.record?.appKey ?? null,
			status: null,
			code: null,
			errcode: null,
			body: null,
			counted: false,
		};
		// input: where handlers read the body (a replay of it once a delay fault buffered it)
		return {
			hostName,
			req,
			res,
			input: req,
			path: url.pathname,
			query,
			entry,
			requestId: newRequestId(),
			logged: false,
			auth: null,
		};
	}

	function finalize(ctx) {
		if (ctx.logged) return;
		ctx.logged = true;
		requests.push(ctx.entry);
	}

	function send(ctx, status, payload, contentType, extraHeaders = {}) {
		const { res, entry } = ctx;
		const isJson = typeof payload !== 'string' && !Buffer.isBuffer(payload);
		const body = isJson ? JSON.stringify(payload) : payload;
		entry.status = status;
		if (isJson && payload) {
			if (typeof payload.code === 'string') entry.code = payload.code;
			if (typeof payload.errcode === 'number') entry.errcode = payload.errcode;
		}
		// logged before the bytes go out, so a test that got the answer always sees the entry
		finalize(ctx);
		if (res.destroyed) return;
		if (ctx.answerDelayMs > 0) {
			const timer = setTimeout(() => {
				timers.delete(timer);
				write();
			}, ctx.answerDelayMs);
			timers.add(timer);
		} else write();
		function write() {
			if (res.destroyed) return;
			res.writeHead(status, {
				'Content-Type': contentType || 'application/json;charset=utf-8',
				'Content-Length': Buffer.byteLength(body),
				[REQUEST_ID_HEADER]: ctx.requestId,
				...extraHeaders,
			});
			res.end(ctx.req.method === 'HEAD' ? undefined : body);
		}
	}

	const apiOk = (ctx, body) => send(ctx, 200, body);
	function apiError(ctx, [status, code, defaultMessage], message, extra = {}) {
		send(ctx, status, {
			code,
			message: message || defaultMessage,
			requestid: ctx.requestId,
			...extra,
		});
	}
	const legacyReply = (ctx, body, status = 200) => send(ctx, status, body);
	function legacyError(ctx, error, detail) {
		legacyReply(ctx, detail ? { ...error, errmsg: `${error.errmsg}: ${detail}` } : error);
	}

	// ---------- fault injection ----------

	function takeFault(hostName, path) {
		const fault = faults.find(
			(f) =>
				(f.match.path === path || f.match.path === '*') &&
				(!f.match.host || f.match.host === hostName),
		);
		if (!fault) return null;
		fault.remaining--;
		if (fault.remaining <= 0) faults = faults.filter((f) => f !== fault);
		return fault.response;
	}

	function sleep(ms) {
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				timers.delete(timer);
				resolve();
			}, ms);
			timers.add(timer);
		});
	}

	// true when the fault answered (or dropped) the request itself
	async function applyFault(ctx, fault) {
		if (fault.delayMs) {
			// take the whole request first, like a server that is slow to answer: the work is still
			// done after the delay even if the client has given up by then
			const { buffer } = await readBody(ctx.req, MAX_UPLOAD_BYTES + MiB);
			ctx.input = Readable.from([buffer]);
			await sleep(fault.delayMs);
		}
		if (!fault.destroy && fault.status === undefined) return false;
		if (/application\/json/i.test(ctx.req.headers['content-type'] || '')) {
			const parsed = await readJsonBody(ctx.input, ctx.req.headers);
			ctx.entry.body = parsed.value ? redact(parsed.value) : null;
		} else {
			ctx.req.resume();
		}
		if (fault.destroy) {
			finalize(ctx);
			ctx.req.socket.destroy();
			return true;
		}
		const body = fault.body ?? '';
		const contentType = typeof body === 'string' ? 'text/plain;charset=utf-8' : undefined;
		send(ctx, fault.status, body, contentType, fault.headers);
		return true;
	}

	// ---------- new API host ----------

	// token header -> rate limit -> app permission; an apiError argument list when refused
	function apiRefusal(ctx, route) {
		const token = ctx.req.headers[TOKEN_HEADER];
		if (isBlank(token)) return [API_ERRORS.missingToken];
		const check = lookupToken(token);
		if (!check.valid) return [API_ERRORS.invalidToken];
		ctx.auth = check.record;
		if (!takeRateSlot('api', ctx.auth.appKey, ctx.path)) return [API_ERRORS.qps];
		countCall(ctx);
		if (!hasScope(ctx.auth.appKey, route.scope)) {
			return [
				API_ERRORS.noScope,
				`The access token lacks the permission ${route.scope}.`,
				{ accessdenieddetail: { requiredScopes: [route.scope] } },
			];
		}
		if (route.internalOnly && ctx.auth.kind !== 'internal') return [API_ERRORS.internalOnly];
		return null;
	}

	async function handleApi(ctx) {
		const route = API_ROUTES[ctx.path] ?? extensionRoute(ctx.path, ctx.req.method);
		if (!route || (route.method ?? 'POST') !== ctx.req.method) {
			ctx.req.resume();
			return apiError(ctx, API_ERRORS.notFound);
		}
		const parsed = await readJsonBody(ctx.input, ctx.req.headers);
		ctx.entry.body = parsed.value ? redact(parsed.value) : null;
		const refused = route.public ? null : apiRefusal(ctx, route);
		if (refused) return apiError(ctx, ...refused);
		if (parsed.error) return apiError(ctx, API_ERRORS.badJson, parsed.error);
		return route.handler(ctx, parsed.value);
	}

	function appToken(ctx, body) {
		if (isBlank(body.appKey) || isBlank(body.appSecret)) {
			return apiError(
				ctx,
				API_ERRORS.missingParameter,
				`Missing parameter: ${isBlank(body.appKey) ? 'appKey' : 'appSecret'}.`,
			);
		}
		const app = seed.apps.get(body.appKey);
		if (!app || app.secret !== body.appSecret) return apiError(ctx, API_ERRORS.badClient);
		ctx.entry.appKey = app.appKey;
		apiOk(ctx, { accessToken: issueToken(app, true), expireIn: expireIn() });
	}

	function corpToken(ctx, body) {
		const missing = ['suiteKey', 'suiteSecret', 'authCorpId', 'suiteTicket'].find((k) =>
			isBlank(body[k]),
		);
		if (missing)
			return apiError(ctx, API_ERRORS.missingParameter, `Missing parameter: ${missing}.`);
		const suite = seed.suites.get(body.suiteKey);
		if (!suite || suite.secret !== body.suiteSecret) return apiError(ctx, API_ERRORS.badClient);
		if (suite.ticket !== body.suiteTicket) return apiError(ctx, API_ERRORS.badSuiteTicket);
		if (!suite.authorizedCorps.includes(body.authCorpId))
			return apiError(ctx, API_ERRORS.corpNotAuthorized);
		ctx.entry.appKey = suite.suiteKey;
		// a third-party app gets a new token on every call
		const token = issueToken(
			{ appKey: suite.suiteKey, corpId: body.authCorpId, kind: 'suite' },
			false,
		);
		apiOk(ctx, { accessToken: token, expireIn: expireIn() });
	}

	// unionId query + body fields; returns an error tuple or null
	function validateConvFile(ctx, body, fields) {
		if (isBlank(ctx.query.unionId))
			return [API_ERRORS.param, 'Parameter error: unionId is required.'];
		const specs = {
			openConversationId: [API_ERRORS.paramConversation, ID_PATTERNS.conversation],
			spaceId: [API_ERRORS.paramSpace, ID_PATTERNS.space],
			dentryId: [API_ERRORS.paramDentry, ID_PATTERNS.dentry],
		};
		for (const name of fields) {
			const value = body[name];
			const [error, pattern] = specs[name];
			if (value === undefined || value === null)
				return [API_ERRORS.param, `Parameter error: ${name} is required.`];
			if (typeof value !== 'string' || !pattern.test(value))
				return [error, `Parameter error: ${name} is invalid.`];
		}
		return null;
	}

	// the group named in the body, seen by the token's organisation and the operator
	function checkConversation(ctx, openConversationId, unionId) {
		const conversation = seed.conversations.get(openConversationId);
		if (!conversation) return { error: [API_ERRORS.conversationNotExist] };
		if (conversation.corpId !== ctx.auth.corpId) return { error: [API_ERRORS.acrossOrg] };
		if (!conversation.members.has(unionId))
			return {
				error: [API_ERRORS.notMember, `The user ${unionId} is not a member of this conversation.`],
			};
		return { conversation };
	}

	function findFile(ctx, spaceId, dentryId) {
		const space = seed.spaces.get(spaceId);
		if (!space || space.corpId !== ctx.auth.corpId) return { error: [API_ERRORS.spaceNotExist] };
		const dentry = space.dentries.get(dentryId);
		if (!dentry || dentry.status !== 'NORMAL') return { error: [API_ERRORS.dentryNotExist] };
		return { space, dentry };
	}

	function fileView(dentry, spaceId, conversationId, withUuid) {
		const file = {
			id: dentry.id,
			conversationId,
			spaceId,
			parentId: dentry.parentId ?? '0',
			type: dentry.type,
			name: dentry.name,
			size: dentry.size,
			path: dentry.path ?? '/' + dentry.name,
			version: dentry.version ?? 1,
			status: dentry.status,
			extension: dentry.extension,
			creatorId: dentry.creatorId,
			modifierId: dentry.modifierId,
			createTime: dentry.createTime,
			modifiedTime: dentry.modifiedTime,
		};
		if (withUuid) file.uuid = crypto.randomUUID();
		return file;
	}

	function recordSend(ctx, body, file) {
		sent.push({
			endpoint: ctx.path,
			unionId: ctx.query.unionId,
			spaceId: body.spaceId,
			dentryId: body.dentryId,
			openConversationId: body.openConversationId ?? null,
			fileId: file.id,
			appKey: ctx.auth.appKey,
			time: Date.now(),
		});
	}

	function querySpace(ctx, body) {
		const invalid = validateConvFile(ctx, body, ['openConversationId']);
		if (invalid) return apiError(ctx, ...invalid);
		const found = checkConversation(ctx, body.openConversationId, ctx.query.unionId);
		if (found.error) return apiError(ctx, ...found.error);
		const { spaceId, corpId, createTime, modifiedTime } = seed.spaces.get(
			found.conversation.spaceId,
		);
		apiOk(ctx, { space: { spaceId, corpId, createTime, modifiedTime } });
	}

	function sendToUser(ctx, body) {
		const invalid = validateConvFile(ctx, body, ['spaceId', 'dentryId']);
		if (invalid) return apiError(ctx, ...invalid);
		const unionId = ctx.query.unionId;
		const space = seed.spaces.get(body.spaceId);
		if (!space || space.corpId !== ctx.auth.corpId) return apiError(ctx, API_ERRORS.spaceNotExist);
		if (seed.users.get(unionId)?.corpId !== ctx.auth.corpId)
			return apiError(ctx, API_ERRORS.receiverDenied);
		const found = findFile(ctx, body.spaceId, body.dentryId);
		if (found.error) return apiError(ctx, ...found.error);
		// documented: "This API can only send files"
		if (found.dentry.type !== 'FILE')
			return apiError(
				ctx,
				API_ERRORS.paramDentry,
				'Parameter error: dentryId is a folder; only files can be sent.',
			);
		const file = fileView(found.dentry, body.spaceId, `cidAppChat${unionId}`, false);
		recordSend(ctx, body, file);
		apiOk(ctx, { file });
	}

	function sendLink(ctx, body) {
		const invalid = validateConvFile(ctx, body, ['openConversationId', 'spaceId', 'dentryId']);
		if (invalid) return apiError(ctx, ...invalid);
		const group = checkConversation(ctx, body.openConversationId, ctx.query.unionId);
		if (group.error) return apiError(ctx, ...group.error);
		const found = findFile(ctx, body.spaceId, body.dentryId);
		if (found.error) return apiError(ctx, ...found.error);
		// a link keeps the original file's id
		const file = fileView(found.dentry, body.spaceId, body.openConversationId, true);
		recordSend(ctx, body, file);
		apiOk(ctx, { file });
	}

	function sendToGroup(ctx, body) {
		const invalid = validateConvFile(ctx, body, ['openConversationId', 'spaceId', 'dentryId']);
		if (invalid) return apiError(ctx, ...invalid);
		const unionId = ctx.query.unionId;
		const group = checkConversation(ctx, body.openConversationId, unionId);
		if (group.error) return apiError(ctx, ...group.error);
		const found = findFile(ctx, body.spaceId, body.dentryId);
		if (found.error) return apiError(ctx, ...found.error);
		if (found.dentry.type === 'FOLDER') return apiError(ctx, API_ERRORS.folderNotSupport);
		// the group gets its own copy: new id, in the group's space, made now by the operator
		const now = isoMinute(Date.now());
		const copy = {
			...found.dentry,
			id: String(crypto.randomInt(1e10, 1e11)),
			parentId: '0',
			path: `/${found.dentry.name}`,
			version: 1,
			creatorId: unionId,
			modifierId: unionId,
			createTime: now,
			modifiedTime: now,
		};
		const file = fileView(copy, group.conversation.spaceId, body.openConversationId, true);
		recordSend(ctx, body, file);
		apiOk(ctx, { file });
	}

	function signPath(path, expires) {
		return crypto.createHmac('sha256', urlSecret).update(`${path}\n${expires}`).digest('hex');
	}

	function robotDownload(ctx, body) {
		if (isBlank(body.robotCode)) return apiError(ctx, API_ERRORS.robotCodeEmpty);
		if (isBlank(body.downloadCode)) return apiError(ctx, API_ERRORS.downloadCodeEmpty);
		const code = seed.downloadCodes.get(body.downloadCode);
		if (!code || code.expired) return apiError(ctx, API_ERRORS.badDownloadCode);
		if (code.corpId !== ctx.auth.corpId) return apiError(ctx, API_ERRORS.robotOtherOrg);
		if (code.robotCode !== body.robotCode) return apiError(ctx, API_ERRORS.robotMismatch);
		const id = alnum(32);
		const path = `/${id}.file`;
		const expires = Math.floor(Date.now() / 1000) + downloadUrlLifetimeSeconds;
		downloads.set(id, {
			bytes: code.bytes,
			generated: code.generated,
			fileName: code.fileName,
			expires,
		});
		const signature = signPath(path, expires);
		apiOk(ctx, {
			downloadUrl: `${baseUrls.fileBaseUrl}${path}?Expires=${expires}&Signature=${signature}`,
		});
	}

	const API_ROUTES = {
		[PATHS.appToken]: { public: true, handler: appToken },
		[PATHS.corpToken]: { public: true, handler: corpToken },
		[PATHS.spaceQuery]: { scope: 'ConvFile.Space.Read', handler: querySpace },
		[PATHS.sendToUser]: { scope: 'ConvFile.File.Send', handler: sendToUser },
		[PATHS.sendLink]: { scope: 'ConvFile.File.Send', internalOnly: true, handler: sendLink },
		[PATHS.sendToGroup]: { scope: 'ConvFile.File.Send', handler: sendToGroup },
		[PATHS.robotDownload]: { scope: 'qyapi_robot_sendmsg', handler: robotDownload },
	};

	// Robot messages: the Stream gateway and HTTP callbacks (robot.js).
	const robot = createRobotGateway({
		getSeed: () => seed,
		issueDownloadCode: (spec) => api.issueDownloadCode(spec),
		apiBaseUrl: () => baseUrls.apiBaseUrl,
		legacyBaseUrl: () => baseUrls.legacyBaseUrl,
		// every message the robot is sent registers its reply session (robot-replies.js)
		registerSession: (session, message) => replies.register(session, message),
		apiOk,
		apiError,
		send,
		API_ERRORS,
		host,
		urlHost,
	});
	Object.assign(API_ROUTES, robot.routes);

	// ---------- legacy host ----------

	async function handleLegacy(ctx) {
		const route = LEGACY_ROUTES[ctx.path] ?? extensionLegacyRoutes[ctx.path];
		if (!route) {
			ctx.req.resume();
			return legacyReply(ctx, LEGACY_ERRORS.notFound, 404);
		}
		if (ctx.req.method !== route.method) {
			ctx.req.resume();
			return legacyError(
				ctx,
				route.method === 'GET' ? LEGACY_ERRORS.needGet : LEGACY_ERRORS.needPost,
			);
		}
		return route.handler(ctx);
	}

	function legacyToken(ctx) {
		ctx.req.resume();
		const app = seed.apps.get(ctx.query.appkey);
		if (!app || isBlank(ctx.query.appsecret) || app.secret !== ctx.query.appsecret)
			return legacyError(ctx, LEGACY_ERRORS.badAppKey);
		ctx.entry.appKey = app.appKey;
		legacyReply(ctx, {
			errcode: 0,
			errmsg: 'ok',
			access_token: issueToken(app, true),
			expires_in: expireIn(),
		});
	}

	// token (query only) -> rate limit -> permission; a legacyError argument list when refused
	function legacyRefusal(ctx, scope) {
		const token = ctx.query[LEGACY_TOKEN_QUERY];
		if (isBlank(token)) return [LEGACY_ERRORS.missingToken];
		const check = lookupToken(token);
		if (!check.valid) return [LEGACY_ERRORS.invalidToken];
		ctx.auth = check.record;
		if (!takeRateSlot('legacy', ctx.auth.appKey, ctx.path)) return [LEGACY_ERRORS.rateLimited];
		countCall(ctx);
		if (!hasScope(ctx.auth.appKey, scope)) return [LEGACY_ERRORS.noScope, `需要权限 ${scope}`];
		return null;
	}

	async function uploadMedia(ctx) {
		const refused = legacyRefusal(ctx, 'qyapi_base');
		if (refused) {
			// answered once the whole body is in, so a client still sending reads the answer, not a broken pipe
			await drain(ctx.input);
			return legacyError(ctx, ...refused);
		}
		if (!/^multipart\/form-data/i.test(ctx.req.headers['content-type'] || '')) {
			ctx.req.resume();
			return legacyError(ctx, LEGACY_ERRORS.notMultipart);
		}
		let form;
		try {
			form = await parseMultipart(ctx.input, ctx.req.headers);
		} catch (err) {
			ctx.req.resume();
			return legacyError(
				ctx,
				LEGACY_ERRORS.notMultipart,
				`multipart body could not be parsed (${err.message})`,
			);
		}
		ctx.entry.body = describeUpload(form);
		const part = form.files.find((f) => f.fieldName === 'media');
		if (!part) return legacyError(ctx, LEGACY_ERRORS.missingMedia);
		const type = form.fields.type ?? ctx.query.type;
		const rule = MEDIA_RULES[type];
		if (!rule)
			return legacyError(
				ctx,
				LEGACY_ERRORS.badMediaType,
				`type must be one of ${Object.keys(MEDIA_RULES).join(', ')}`,
			);
		const ext = extensionOf(part.filename);
		if (!rule.extensions.includes(ext)) {
			return legacyError(
				ctx,
				LEGACY_ERRORS.badFileType,
				`'${ext || '(none)'}' is not allowed for ${type} (allowed: ${rule.extensions.join(', ')})`,
			);
		}
		if (part.truncated || part.size > rule.maxBytes || part.size === 0) {
			const limit = `${rule.maxBytes / MiB} MiB (${rule.maxBytes} bytes, 1 MiB = 2^20 bytes)`;
			return legacyError(
				ctx,
				LEGACY_ERRORS.badFileSize,
				part.size === 0 ? 'the file is empty' : `${type} files may not exceed ${limit}`,
			);
		}
		const mediaId = '@lA' + alnum(26);
		const createdAt = Date.now();
		media.set(mediaId, {
			type,
			filename: part.filename,
			contentType: part.contentType,
			size: part.size,
			sha256: part.sha256,
			bytes: part.bytes,
			appKey: ctx.auth.appKey,
			createdAt,
		});
		legacyReply(ctx, { errcode: 0, errmsg: 'ok', type, media_id: mediaId, created_at: createdAt });
	}

	const LEGACY_ROUTES = {
		[PATHS.legacyToken]: { method: 'GET', handler: legacyToken },
		[PATHS.mediaUpload]: { method: 'POST', handler: uploadMedia },
	};

	// A legacy body: JSON, or a form as DingTalk's own samples send; {} when empty, null when unusable.
	async function readLegacyBody(ctx) {
		const type = ctx.req.headers['content-type'] || '';
		if (/application\/x-www-form-urlencoded/i.test(type)) {
			const { buffer, tooLarge } = await readBody(ctx.input, MAX_JSON_BYTES);
			return tooLarge ? null : Object.fromEntries(new URLSearchParams(buffer.toString('utf8')));
		}
		const parsed = await readJsonBody(ctx.input, ctx.req.headers);
		return parsed.value ?? null;
	}

	// An extension's legacy route: the token and the scope checked like /media/upload's (unless the
	// route is public), then the handler gets the body (null when unusable).
	function legacyRoute({ scope, handler, public: open, internalOnly }) {
		return async (ctx) => {
			const body = await readLegacyBody(ctx);
			ctx.entry.body = body && redact(body);
			const refused = open ? null : legacyRefusal(ctx, scope);
			if (refused) return legacyError(ctx, ...refused);
			if (internalOnly && !open && ctx.auth.kind !== 'internal')
				return legacyError(ctx, LEGACY_ERRORS.internalOnly);
			return handler(ctx, body);
		};
	}

	// ---------- file host (signed URLs, like an OSS bucket) ----------

	function ossError(ctx, status, code, message) {
		send(ctx, status, ossErrorBody(code, message, ctx.requestId), 'application/xml', {
			'x-oss-request-id': ctx.requestId,
		});
	}

	function handleFiles(ctx) {
		ctx.req.resume();
		if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD')
			return ossError(
				ctx,
				405,
				'MethodNotAllowed',
				'The specified method is not allowed against this resource.',
			);
		const claimed = extensionFileRoutes.find((route) => ctx.path.startsWith(route.prefix));
		if (claimed) return claimed.handler(ctx);
		const match = /^\/([A-Za-z0-9]+)\.file$/.exec(ctx.path);
		if (!match) return ossError(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
		const { Expires: expires, Signature: signature } = ctx.query;
		if (!expires || !signature)
			return ossError(
				ctx,
				403,
				'AccessDenied',
				'Anonymous access is forbidden for this operation.',
			);
		const expected = Buffer.from(signPath(ctx.path, expires));
		const given = Buffer.from(String(signature));
		if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
			return ossError(
				ctx,
				403,
				'SignatureDoesNotMatch',
				'The request signature we calculated does not match the signature you provided.',
			);
		}
		if (!/^\d+$/.test(expires) || Date.now() > Number(expires) * 1000)
			return ossError(ctx, 403, 'AccessDenied', 'Request has expired.');
		const item = downloads.get(match[1]);
		if (!item) return ossError(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
		return serveFile(ctx, item, {
			'Content-Disposition': `attachment; filename="${match[1]}.file"`,
			'x-oss-request-id': ctx.requestId,
		});
	}

	// A file's bytes ({bytes}, {generated: {seed, size}} or {path, size}) as a 200 answer of the file
	// host, in its current mode (chunked or not) and with a cutAfterBytes fault if one was taken.
	function serveFile(ctx, item, headers) {
		const cutAfterBytes = ctx.fault?.cutAfterBytes;
		if (item.bytes && !fileHost.chunked && cutAfterBytes === undefined)
			return send(ctx, 200, item.bytes, 'application/octet-stream', headers);
		return streamFile(ctx, item, headers, cutAfterBytes);
	}

	// A download written as the client takes it: generated content (never whole in memory), a file on
	// disk, a chunked answer (no Content-Length), or a connection cut after `cutAfterBytes` bytes.
	async function streamFile(ctx, item, extraHeaders, cutAfterBytes) {
		const { req, res } = ctx;
		const size = item.generated ? item.generated.size : (item.bytes?.length ?? item.size);
		ctx.entry.status = 200;
		finalize(ctx);
		res.writeHead(200, {
			'Content-Type': 'application/octet-stream',
			...(fileHost.chunked ? {} : { 'Content-Length': size }),
			[REQUEST_ID_HEADER]: ctx.requestId,
			...extraHeaders,
		});
		if (req.method === 'HEAD') return res.end();
		const chunks = item.generated
			? generatedContent(item.generated.seed, item.generated.size)
			: item.path
				? fs.createReadStream(item.path)
				: [item.bytes];
		const cut = cutAfterBytes !== undefined;
		try {
			await pipeline(Readable.from(firstBytes(chunks, cut ? cutAfterBytes : Infinity)), res, {
				end: !cut,
			});
		} catch {
			return; // the client went away
		}
		if (!cut) return;
		// what was written still reaches the client, then the connection goes without ending the answer
		res.flushHeaders();
		res.socket?.destroySoon();
	}

	async function* firstBytes(chunks, limit) {
		for await (const chunk of chunks) {
			if (limit <= 0) return;
			yield chunk.subarray(0, limit);
			limit -= chunk.length;
		}
	}

	// ---------- control API (on the API host, never logged) ----------

	function controlAnswer(res, status, body) {
		const text = JSON.stringify(body);
		res.writeHead(status, {
			'Content-Type': 'application/json;charset=utf-8',
			'Content-Length': Buffer.byteLength(text),
		});
		res.end(text);
	}

	function mediaInfo(mediaId) {
		const item = media.get(mediaId);
		if (!item) return null;
		const { bytes, ...meta } = item;
		return { media_id: mediaId, ...meta };
	}

	async function handleControl(req, res, path) {
		const parsed = await readJsonBody(req, req.headers);
		const body = parsed.value || {};
		const key = `${req.method} ${path}`;
		const actions = {
			'GET /_sandbox/requests': () => requests,
			'GET /_sandbox/sent': () => sent,
			'GET /_sandbox/state': () => ({
				tokenFetches: tokenFetchCount,
				tokenLifetimeSeconds,
				rateLimit,
				downloadUrlLifetimeSeconds,
				fileHost,
				seededAt: seed.seededAt,
				...baseUrls,
			}),
			'POST /_sandbox/clear-log': () => api.clearLog(),
			'POST /_sandbox/reset': () => api.reset(),
			'POST /_sandbox/invalidate-tokens': () => api.invalidateTokens(),
			'POST /_sandbox/rate-limit': () => api.setRateLimit(body),
			'POST /_sandbox/round-trip': () => api.setRoundTrip(body.ms),
			'POST /_sandbox/token-lifetime': () => api.setTokenLifetime(body.seconds),
			'POST /_sandbox/download-url-lifetime': () => api.setDownloadUrlLifetime(body.seconds),
			'POST /_sandbox/fail-next': () => api.failNext(body.match, body.response, body.times),
			'POST /_sandbox/file-host': () => api.setFileHost(body),
			'POST /_sandbox/scopes': () =>
				body.granted === false
					? api.revokeScope(body.appKey, body.scope)
					: api.grantScope(body.appKey, body.scope),
			'POST /_sandbox/download-codes': () => ({
				downloadCode: api.issueDownloadCode({
					fileName: body.fileName,
					bytes: Buffer.from(body.base64 || '', 'base64'),
					robotCode: body.robotCode,
				}),
			}),
			...Object.assign({}, ...extensions.map((extension) => extension.control(body))),
		};
		Object.assign(actions, robot.controlActions(body));
		try {
			if (actions[key]) {
				const result = await actions[key]();
				return controlAnswer(res, 200, result === undefined ? { ok: true } : result);
			}
			if (req.method === 'GET' && path.startsWith('/_sandbox/media/')) {
				const info = mediaInfo(decodeURIComponent(path.slice('/_sandbox/media/'.length)));
				return info
					? controlAnswer(res, 200, info)
					: controlAnswer(res, 404, { error: 'unknown media_id' });
			}
			return controlAnswer(res, 404, { error: `unknown control call ${key}` });
		} catch (err) {
			return controlAnswer(res, 400, { error: err.message });
		}
	}

	// ---------- storage uploads and robot messages (modules of their own) ----------

	const kit = {
		DEMO,
		API_ERRORS,
		media,
		baseUrls,
		seed: () => seed,
		apiOk,
		apiError,
		send,
		legacyReply,
		legacyError,
		serveFile,
		isBlank,
		alnum,
		isoMinute,
		// scopes a module adds after the first seed: every seeded app has them (again after a reset)
		grantEveryApp(scopes) {
			for (const granted of seed.scopes.values()) for (const scope of scopes) granted.add(scope);
		},
		ossError: (ctx, status, code, message, extra = '') =>
			send(
				ctx,
				status,
				ossErrorBody(code, message, ctx.requestId).replace('</Error>', `${extra}</Error>`),
				'application/xml',
				{ 'x-oss-request-id': ctx.requestId },
			),
	};
	const replies = createSessionReplies(kit);
	const extensions = [
		createStorage(kit),
		createStorageFiles(kit),
		createRobotMessages(kit),
		createDirectory(kit),
		createGroups(kit),
		replies,
	];
	const extensionLegacyRoutes = Object.fromEntries(
		extensions.flatMap((extension) =>
			(extension.legacyRoutes ?? []).map((route) => [
				route.path,
				{ method: route.method ?? 'POST', handler: legacyRoute(route) },
			]),
		),
	);
	const extensionFileRoutes = extensions.flatMap((extension) => extension.fileRoutes ?? []);

	// an extension's route for a method and path: exact, or a pattern whose groups (URL-decoded) are
	// handed to the handler
	function extensionRoute(path, method) {
		for (const extension of extensions) {
			for (const route of extension.apiRoutes ?? []) {
				if ((route.method ?? 'POST') !== method) continue;
				const params = route.pattern
					? route.pattern.exec(path)?.slice(1).map(decodeURIComponent)
					: route.path === path && [];
				if (params) return { ...route, handler: (ctx, body) => route.handler(ctx, body, params) };
			}
		}
		return undefined;
	}

	// ---------- dispatch ----------

	const HOST_HANDLERS = {
		api: handleApi,
		legacy: handleLegacy,
		files: handleFiles,
		...Object.assign({}, ...extensions.map((extension) => extension.hosts)),
	};

	async function dispatch(hostName, req, res) {
		const path = new URL(req.url, 'http://sandbox').pathname;
		if (hostName === 'api' && path.startsWith('/_sandbox/')) return handleControl(req, res, path);
		if (hostName === 'files') {
			filesAtOnce.open++;
			filesAtOnce.most = Math.max(filesAtOnce.most, filesAtOnce.open);
			res.once('close', () => filesAtOnce.open--);
		}
		const delay = hostName === 'files' ? 0 : roundTripMs / 2;
		if (delay > 0) await sleep(delay);
		const ctx = newContext(hostName, req, res);
		ctx.answerDelayMs = delay;
		try {
			// a fault that does not answer for the handler (cutAfterBytes) stays on the context
			ctx.fault = takeFault(hostName, ctx.path);
			if (ctx.fault && (await applyFault(ctx, ctx.fault))) return;
			await HOST_HANDLERS[hostName](ctx);
		} catch (err) {
			// a client that went away mid-request ends here too; only answer if still possible
			if (ctx.logged || res.destroyed) return;
			if (hostName === 'legacy') legacyReply(ctx, LEGACY_ERRORS.internal);
			else if (hostName === 'api')
				apiError(ctx, API_ERRORS.internal, `Sandbox error: ${err.message}`);
			else ossError(ctx, 500, 'InternalError', 'We encountered an internal error.');
		} finally {
			// answered requests are logged by send(); this catches dropped and abandoned ones
			finalize(ctx);
		}
	}

	function listen(hostName, port) {
		return new Promise((resolve, reject) => {
			const server = http.createServer((req, res) => {
				// errors of a request must never take the process down
				dispatch(hostName, req, res).catch(() => res.destroy());
			});
			server.once('error', reject);
			server.listen(port, host, () => {
				server.off('error', reject);
				servers[hostName] = server;
				resolve(`http://${urlHost}:${server.address().port}`);
			});
		});
	}

	// ---------- public object ----------

	const api = {
		requests,
		sent,
		media,
		robot,
		/** When the seed was last built (start or reset): the tree's times count back from it. */
		get seededAt() {
			return seed.seededAt;
		},
		get apiBaseUrl() {
			return baseUrls.apiBaseUrl;
		},
		get legacyBaseUrl() {
			return baseUrls.legacyBaseUrl;
		},
		get fileBaseUrl() {
			return baseUrls.fileBaseUrl;
		},
		get uploadBaseUrl() {
			return baseUrls.uploadBaseUrl;
		},

		async start({
			apiPort = 0,
			legacyPort = 0,
			filePort = 0,
			streamPort = 0,
			uploadPort = 0,
		} = {}) {
			if (servers.api) throw new Error('sandbox already started');
			try {
				baseUrls.apiBaseUrl = await listen('api', apiPort);
				baseUrls.legacyBaseUrl = await listen('legacy', legacyPort);
				baseUrls.fileBaseUrl = await listen('files', filePort);
				baseUrls.streamBaseUrl = await robot.listen(streamPort);
				baseUrls.uploadBaseUrl = await listen('uploads', uploadPort);
			} catch (err) {
				await api.stop();
				throw err;
			}
			return { ...baseUrls };
		},

		async stop() {
			for (const timer of timers) clearTimeout(timer);
			timers.clear();
			await robot.stop();
			for (const extension of extensions) extension.stop?.();
			await Promise.all(
				Object.keys(servers).map(
					(name) =>
						new Promise((resolve) => {
							const server = servers[name];
							delete servers[name];
							server.close(() => resolve());
							server.closeAllConnections();
						}),
				),
			);
		},

		clearLog() {
			requests.length = 0;
			tokenFetchCount = 0;
		},

		reset() {
			seed = seedState();
			tokens = new Map();
			currentAppToken = new Map();
			rateWindows = new Map();
			downloads = new Map();
			fileHost = { chunked: false };
			faults = [];
			invalidateAfter = null;
			everIssued = new Set();
			tokenLifetimeSeconds = initial.tokenLifetimeSeconds;
			rateLimit = { ...initial.rateLimit };
			downloadUrlLifetimeSeconds = initial.downloadUrlLifetimeSeconds;
			roundTripMs = options.roundTripMs ?? 0;
			media.clear();
			sent.length = 0;
			robot.reset();
			for (const extension of extensions) extension.reset();
			api.clearLog();
		},

		invalidateTokensAfter(count) {
			if (!(Number.isInteger(count) && count > 0))
				throw new Error('count must be a positive integer');
			invalidateAfter = count;
		},

		issuedTokens() {
			return [...everIssued];
		},

		invalidateTokens() {
			tokens = new Map();
			currentAppToken = new Map();
		},

		setTokenLifetime(seconds) {
			if (typeof seconds !== 'number' || !(seconds >= 0))
				throw new Error('seconds must be a number >= 0');
			tokenLifetimeSeconds = seconds;
		},

		/** Adds `count` users to the demo organisation (for many sends to different people); their unionIds. */
		addUsers(count) {
			const added = [];
			for (let index = 0; index < count; index++) {
				const unionId = `unionExtra${String(seed.users.size).padStart(6, '0')}`;
				seed.users.set(unionId, { corpId: DEMO.corpId, name: unionId });
				added.push(unionId);
			}
			return added;
		},

		setRoundTrip(ms) {
			if (typeof ms !== 'number' || !(ms >= 0)) throw new Error('ms must be a number >= 0');
			roundTripMs = ms;
		},

		setRateLimit({ enabled, perSecond } = {}) {
			if (perSecond !== undefined && !(Number.isInteger(perSecond) && perSecond > 0))
				throw new Error('perSecond must be a positive integer');
			rateLimit = {
				enabled: enabled ?? rateLimit.enabled,
				perSecond: perSecond ?? rateLimit.perSecond,
			};
		},

		setDownloadUrlLifetime(seconds) {
			if (typeof seconds !== 'number' || Number.isNaN(seconds))
				throw new Error('seconds must be a number');
			downloadUrlLifetimeSeconds = seconds;
		},

		/** How the file host answers downloads: `chunked` leaves out Content-Length (Transfer-Encoding: chunked). */
		setFileHost({ chunked } = {}) {
			if (chunked !== undefined && typeof chunked !== 'boolean')
				throw new Error('chunked must be true or false');
			fileHost = { chunked: chunked ?? fileHost.chunked };
			return { ...fileHost };
		},

		/**
		 * The most requests to the file host (downloads) that were open at the same time since the last
		 * call; counting starts afresh from those open now.
		 */
		takeMostFilesAtOnce() {
			const most = filesAtOnce.most;
			filesAtOnce.most = filesAtOnce.open;
			return most;
		},

		failNext(match, response, times = 1) {
			if (!match || typeof match.path !== 'string') throw new Error('failNext needs match.path');
			if (!response || typeof response !== 'object')
				throw new Error(
					'failNext needs a response ({status, body} | {delayMs} | {destroy: true} | {cutAfterBytes})',
				);
			const cut = response.cutAfterBytes;
			// only a download has a file to cut short
			if (cut !== undefined && match.host !== 'files')
				throw new Error("cutAfterBytes needs match.host 'files'");
			if (cut !== undefined && !(Number.isInteger(cut) && cut >= 0))
				throw new Error('cutAfterBytes must be an integer >= 0');
			faults.push({ match: { path: match.path, host: match.host }, response, remaining: times });
		},

		revokeScope(appKey, scope) {
			seed.scopes.get(appKey)?.delete(scope);
		},

		grantScope(appKey, scope) {
			if (!seed.scopes.has(appKey)) seed.scopes.set(appKey, new Set());
			seed.scopes.get(appKey).add(scope);
		},

		tokenFetches() {
			return tokenFetchCount;
		},

		/** A download code for your own `bytes`, or for `size` bytes generated on the fly (see `generated`). */
		issueDownloadCode({ fileName = 'file.bin', bytes, size, robotCode = DEMO.app.robotCode } = {}) {
			if (bytes !== undefined && size !== undefined)
				throw new Error('give bytes or size, not both');
			const code = `dlcode-${alnum(20)}`;
			const corpId = seed.robots.get(robotCode) ?? DEMO.corpId;
			seed.downloadCodes.set(code, {
				robotCode,
				corpId,
				fileName,
				...(size === undefined
					? { bytes: Buffer.from(bytes ?? Buffer.alloc(0)) }
					: generatedFile(code, size)),
				expired: false,
			});
			return code;
		},
	};
	for (const extension of extensions) Object.assign(api, extension.members);
	// the reply sessions are the robot's: sandbox.robot.replies, .expireSession(), ...
	Object.assign(robot, replies.robotMembers);
	return api;
}

// A file of `size` bytes generated from `seed` on every download; its hash is taken once, now, without
// keeping the bytes.
function generatedFile(seed, size) {
	if (!(Number.isInteger(size) && size >= 0)) throw new Error('size must be an integer >= 0');
	const hash = crypto.createHash('sha256');
	for (const chunk of generatedContent(seed, size)) hash.update(chunk);
	return { generated: { seed, size }, size, sha256: hash.digest('hex') };
}

/** Most log entries in any 1,000 ms: what a per-second rate limit is checked against. */
function peakPerSecond(entries) {
	const times = entries.map((entry) => entry.time).sort((a, b) => a - b);
	let peak = 0;
	for (let start = 0, end = 0; end < times.length; end++) {
		while (times[end] - times[start] >= 1000) start++;
		peak = Math.max(peak, end - start + 1);
	}
	return peak;
}

module.exports = {
	createSandbox,
	DEMO,
	PATHS,
	API_ERRORS,
	LEGACY_ERRORS,
	MEDIA_RULES,
	sha256,
	peakPerSecond,
};
