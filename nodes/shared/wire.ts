/**
 * Everything this package knows about DingTalk's wire format: hosts, paths, token placement, error
 * codes and media rules. What the codes mean for a user, and what to do, is in errorGuide.ts. Facts that DingTalk's own pages do not confirm are marked ASSUMPTION and listed
 * in the README, so each can be checked against the real service in one place.
 */

import type { IDataObject } from 'n8n-workflow';

export type Region = 'china' | 'international' | 'custom';
export type ApiFamily = 'new' | 'legacy';

export const REGION_BASE_URLS: Record<Exclude<Region, 'custom'>, Record<ApiFamily, string>> = {
	china: { new: 'https://api.dingtalk.com', legacy: 'https://oapi.dingtalk.com' },
	international: { new: 'https://api.dingtalk.io', legacy: 'https://oapi.dingtalk.io' },
};

/** The new API takes the token in a header, the legacy API in the query string. */
export const TOKEN_HEADER = 'x-acs-dingtalk-access-token';
export const LEGACY_TOKEN_QUERY = 'access_token';
export const REQUEST_ID_HEADER = 'x-acs-request-id';

/** New-API paths are versioned; the legacy API's are not (/gettoken, /media/upload, /topapi/...). */
export function isNewApiPath(path: string): boolean {
	return /^\/v\d+\.\d+\//.test(path);
}

export const PATHS = {
	internalAppGrant: '/v1.0/oauth2/accessToken',
	// One doc table omits /v1.0 here; the path without it answers 404.
	thirdPartyAppGrant: '/v1.0/oauth2/corpAccessToken',
	groupSpaceQuery: '/v1.0/convFile/conversations/spaces/query',
	sendFileToUser: '/v1.0/convFile/apps/conversations/files/send',
	sendFileLinkToGroup: '/v1.0/convFile/conversations/files/links/send',
	// ASSUMPTION: no DingTalk page among ours documents this endpoint; its shape (same body and answer
	// as the link send) comes from the official generated SDK.
	sendFileToGroup: '/v1.0/convFile/conversations/files/send',
	robotFileDownload: '/v1.0/robot/messageFiles/download',
	// ASSUMPTION: the new-API token (the only kind a third-party app can get) is accepted by this legacy
	// endpoint in the access_token query; other clients rely on it, the docs do not say so.
	mediaUpload: '/media/upload',
} as const;

/**
 * DingTalk storage, v1.0: addressed by the space's ID (what Group Space > Get returns) and a folder's
 * dentry ID. v2.0 addresses the parent folder by its uuid, which no documented call returns for a
 * space's root, so every upload would need an extra, unconfirmed look-up.
 * ASSUMPTION: a group's file space (from the convFile space query) accepts these storage calls; DingTalk
 * documents them for storage spaces in general, and only third-party code uses them on group spaces.
 */
export const STORAGE_PATHS = {
	uploadInfo: '/v1.0/storage/spaces/{spaceId}/files/uploadInfos/query',
	commit: '/v1.0/storage/spaces/{spaceId}/files/commit',
	/** One folder's entries, a page at a time (GET; query parentId, nextToken, maxResults, orderBy, order). */
	listFolder: '/v1.0/storage/spaces/{spaceId}/dentries',
	/** Every entry of the space, flat (POST; body option {nextToken, maxResults, order}). */
	listAll: '/v1.0/storage/spaces/{spaceId}/dentries/listAll',
	getEntry: '/v1.0/storage/spaces/{spaceId}/dentries/{dentryId}/query',
	/** A signed GET of the file's bytes with headers to send as they are; internal apps only. */
	downloadInfo: '/v1.0/storage/spaces/{spaceId}/dentries/{dentryId}/downloadInfos/query',
	/** DELETE; query toRecycleBin (DingTalk's default: false, a permanent delete). */
	deleteEntry: '/v1.0/storage/spaces/{spaceId}/dentries/{dentryId}',
	createFolder: '/v1.0/storage/spaces/{spaceId}/dentries/{parentId}/folders',
} as const;

/** Storage paging: at most 50 entries a page; the last page has no nextToken (there is no hasMore). */
export const STORAGE_PAGE_MAX = 50;
/** How a folder's listing can be ordered (DingTalk's default: by modified time, newest first). */
export const STORAGE_ORDER_BY = {
	modified: 'MODIFIED_TIME',
	created: 'CREATE_TIME',
	name: 'NAME',
	size: 'SIZE',
} as const;

/** The robot send calls: to one group the robot is in, or one-to-one to up to 20 users. */
export const ROBOT_MESSAGE_PATHS = {
	toGroup: '/v1.0/robot/groupMessages/send',
	toUsers: '/v1.0/robot/oToMessages/batchSend',
} as const;

/** The organisation's people: three legacy look-ups (token in the query) and the new API's search. */
export const USER_PATHS = {
	/** By staff ID: name, union ID, title, departments. */
	get: '/topapi/v2/user/get',
	/** Staff ID of a union ID. */
	byUnionId: '/topapi/user/getbyunionid',
	/** Staff ID of a mobile number; internal apps only. */
	byMobile: '/topapi/v2/user/getbymobile',
	/** Staff IDs only; `offset` and `size` page it, `hasMore` says whether more follow. */
	search: '/v1.0/contact/users/search',
} as const;
// ASSUMPTION: the search's offset counts results (not pages) and a page holds at most 100.
export const USER_SEARCH_PAGE_MAX = 100;

/** The group chats a robot is in (ids only, in pages) and a group's title. */
export const GROUP_PATHS = {
	// ASSUMPTION: from DingTalk's generated SDK (robot_1_0); no page documents it.
	robotGroups: '/v1.0/robot/installed/groups/query',
	// ASSUMPTION: from DingTalk's generated SDK (im_1_0); no page documents it or its permission.
	groupInfo: '/v1.0/im/groups/baseInfos/query',
} as const;
export const ROBOT_GROUPS_PAGE_MAX = 100;

/**
 * Replies go to the message's own sessionWebhook (on DingTalk's legacy host), with no token. Bodies are
 * {msgtype: text|markdown, text|markdown, at: {atUserIds, isAtAll}}; the answer is {errcode, errmsg}.
 * ASSUMPTION: an expired or unknown session answers errcode 300001 with HTTP 200 (seen in third-party
 * logs; DingTalk documents neither).
 */
export const SESSION_EXPIRED_ERRCODE = '300001';
/** The rate window the replies share (the path of every sessionWebhook). */
export const SESSION_REPLY_PATH = '/robot/sendBySession';

/** The app permission each call needs (developer console > Permissions). */
export const PERMISSION_OF_PATH: Record<string, string> = {
	[PATHS.groupSpaceQuery]: 'ConvFile.Space.Read',
	[PATHS.sendFileToUser]: 'ConvFile.File.Send',
	[PATHS.sendFileLinkToGroup]: 'ConvFile.File.Send',
	// ASSUMPTION: presumably the same permission as the link send; no page says.
	[PATHS.sendFileToGroup]: 'ConvFile.File.Send',
	[PATHS.mediaUpload]: 'qyapi_base',
	[PATHS.robotFileDownload]: 'qyapi_robot_sendmsg',
	[STORAGE_PATHS.uploadInfo]: 'Storage.UploadInfo.Read',
	[STORAGE_PATHS.commit]: 'Storage.File.Write',
	[STORAGE_PATHS.listFolder]: 'Storage.File.Read',
	[STORAGE_PATHS.listAll]: 'Storage.File.Read',
	[STORAGE_PATHS.getEntry]: 'Storage.File.Read',
	[STORAGE_PATHS.downloadInfo]: 'Storage.DownloadInfo.Read',
	[STORAGE_PATHS.deleteEntry]: 'Storage.File.Write',
	// ASSUMPTION: creating a folder needs the write permission, as committing a file does.
	[STORAGE_PATHS.createFolder]: 'Storage.File.Write',
	// ASSUMPTION: the robot sends need the robot-message permission, as the robot file download does; the
	// pages we have do not name one for them.
	[ROBOT_MESSAGE_PATHS.toGroup]: 'qyapi_robot_sendmsg',
	[ROBOT_MESSAGE_PATHS.toUsers]: 'qyapi_robot_sendmsg',
	[USER_PATHS.get]: 'qyapi_get_member',
	[USER_PATHS.byUnionId]: 'qyapi_get_member',
	[USER_PATHS.byMobile]: 'qyapi_get_member_by_mobile',
	[USER_PATHS.search]: 'qyapi_addresslist_search',
	// ASSUMPTION: as for the robot's sends.
	[GROUP_PATHS.robotGroups]: 'qyapi_robot_sendmsg',
	// ASSUMPTION: a guess; DingTalk names none.
	[GROUP_PATHS.groupInfo]: 'qyapi_chat_read',
};

/**
 * Codes after which the permission an operation needs is worth naming.
 * ASSUMPTION: 60011 is the legacy API's "no permission" code; DingTalk's media page names none.
 */
export const PERMISSION_CODES = new Set([
	'permissionDenied',
	'Forbidden.AccessDenied.AccessTokenPermissionDenied',
	'60011',
]);

/** Lifetime DingTalk gives a token when an answer does not say (seconds). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 7200;

/**
 * DingTalk's documented limit for a standard organisation: calls per second per app per API.
 * ASSUMPTION: DingTalk does not say how its second is counted; we keep every rolling 1,000 ms window
 * under the limit, the safe reading.
 */
export const CALLS_PER_SECOND_PER_APP_AND_API = 20;
export const RATE_WINDOW_MS = 1000;

/** A DingTalk answer reduced to what decides what happens next. */
export interface DingTalkAnswer {
	status: number;
	body: unknown;
	headers?: Record<string, unknown>;
}

export type Verdict =
	| { kind: 'ok' }
	| {
			kind:
				| 'invalidToken'
				| 'rateLimited'
				| 'busy'
				| 'maybeExecuted'
				| 'failed'
				| 'redirected'
				| 'unexpectedAnswer';
			failure: DingTalkFailure;
	  };

export interface DingTalkFailure {
	status: number;
	/** The new API's string code, or the legacy errcode (with sub_code when present) as text. */
	code: string;
	message: string;
	requestId?: string;
	requiredScopes?: string[];
}

const INVALID_TOKEN_CODES = new Set(['InvalidAuthentication']);
// 42001 = expired, 40014/40001 = invalid; errcode 88 wraps the real reason in sub_code.
const INVALID_TOKEN_ERRCODES = new Set(['40014', '42001', '40001', '88/40014']);
const RATE_LIMIT_CODE_PREFIXES = ['Forbidden.AccessDenied.Qps', 'Forbidden.AccessDenied.Qpm'];
const RATE_LIMIT_ERRCODES = new Set(['90018', '90002']);
const BUSY_CODES = new Set(['system.busy', 'systemBusy']);
const BUSY_ERRCODES = new Set(['-1']);
// The call may have been carried out: a timeout or a server error after the body was sent.
const MAYBE_EXECUTED_ERRCODES = new Set(['15']);

function asRecord(value: unknown): Record<string, unknown> {
	return value !== null && typeof value === 'object' && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: {};
}

function text(value: unknown): string | undefined {
	if (typeof value === 'string' && value !== '') return value;
	if (typeof value === 'number') return String(value);
	return undefined;
}

/** DingTalk's request ID of an answer, from its body (either family's spelling) or its header. */
export function requestIdOf(
	body: Record<string, unknown>,
	headers?: Record<string, unknown>,
): string | undefined {
	return (
		text(body.requestid) ??
		text(body.requestId) ??
		text(body.request_id) ??
		text(headers?.[REQUEST_ID_HEADER])
	);
}

/** The first characters of an answer that is not DingTalk's JSON, for the error message. */
export function glimpse(body: unknown): string {
	const raw = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
	const flat = raw.replace(/\s+/g, ' ').trim();
	if (flat === '') return '(an empty body)';
	return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Where a redirect (its Location header) pointed: its host, never its path or query (they may carry signatures). */
export function redirectTarget(locationHeader: unknown): string {
	const location = text(locationHeader);
	if (!location) return 'an address it did not give';
	try {
		return new URL(location).host;
	} catch {
		return 'another path on the same host';
	}
}

/** Reads an answer of either API family and says whether it succeeded and, if not, why. */
export function classifyAnswer(family: ApiFamily, answer: DingTalkAnswer): Verdict {
	const { status } = answer;
	const body = asRecord(answer.body);
	const requestId = requestIdOf(body, answer.headers);
	const isJsonObject =
		answer.body !== null && typeof answer.body === 'object' && !Buffer.isBuffer(answer.body);
	if (status >= 300 && status < 400) {
		const target = redirectTarget(answer.headers?.location);
		return failedVerdict('redirected', status, 'redirect', `redirected to ${target}`, requestId);
	}
	if (status >= 200 && status < 300 && !isJsonObject) {
		// A proxy's page, a captive portal, DingTalk's IP-ban page or nothing: never a success.
		return failedVerdict(
			'unexpectedAnswer',
			status,
			'unexpectedAnswer',
			glimpse(answer.body),
			requestId,
		);
	}
	if (family === 'legacy' && status < 300) {
		const errcode = text(body.errcode);
		if (errcode === undefined || errcode === '0') return { kind: 'ok' };
		const subCode = text(body.sub_code);
		const code = subCode !== undefined ? `${errcode}/${subCode}` : errcode;
		const message = text(body.errmsg) ?? text(body.sub_msg) ?? '';
		if (INVALID_TOKEN_ERRCODES.has(code) || INVALID_TOKEN_ERRCODES.has(errcode)) {
			return failedVerdict('invalidToken', status, code, message, requestId);
		}
		if (RATE_LIMIT_ERRCODES.has(errcode))
			return failedVerdict('rateLimited', status, code, message, requestId);
		if (BUSY_ERRCODES.has(errcode)) return failedVerdict('busy', status, code, message, requestId);
		if (MAYBE_EXECUTED_ERRCODES.has(errcode)) {
			return failedVerdict('maybeExecuted', status, code, message, requestId);
		}
		return failedVerdict('failed', status, code, message, requestId);
	}
	if (status >= 200 && status < 300) return { kind: 'ok' };

	const code = text(body.code) ?? text(body.errcode) ?? `HTTP ${status}`;
	const message = isJsonObject
		? (text(body.message) ?? text(body.errmsg) ?? '')
		: glimpse(answer.body);
	// ASSUMPTION: a 5xx answer may mean the call was carried out, whatever code it carries (a 503 with
	// systemBusy included): checked before the busy codes, so a send is never repeated after one.
	if (status >= 500) return failedVerdict('maybeExecuted', status, code, message, requestId);
	if (INVALID_TOKEN_CODES.has(code))
		return failedVerdict('invalidToken', status, code, message, requestId);
	if (status === 429 || RATE_LIMIT_CODE_PREFIXES.some((prefix) => code.startsWith(prefix))) {
		return failedVerdict(
			BUSY_CODES.has(code) ? 'busy' : 'rateLimited',
			status,
			code,
			message,
			requestId,
		);
	}
	if (BUSY_CODES.has(code)) return failedVerdict('busy', status, code, message, requestId);
	const scopes = asRecord(body.accessdenieddetail).requiredScopes;
	const requiredScopes = Array.isArray(scopes) ? scopes.map(String) : undefined;
	return { kind: 'failed', failure: { status, code, message, requestId, requiredScopes } };
}

function failedVerdict(
	kind: Exclude<Verdict['kind'], 'ok'>,
	status: number,
	code: string,
	message: string,
	requestId: string | undefined,
): Verdict {
	return { kind, failure: { status, code, message, requestId } } as Verdict;
}

/** Media types of the legacy upload and their limits. */
export type MediaType = 'image' | 'voice' | 'video' | 'file';

// ASSUMPTION: DingTalk does not say whether "20 MB" means 10^6 or 2^20 bytes; we refuse above 2^20-based
// sizes and say so, so nothing DingTalk would accept is refused by us.
const MIB = 1024 * 1024;
export const MEDIA_RULES: Record<
	MediaType,
	{ maxBytes: number; maxLabel: string; extensions: string[] }
> = {
	image: {
		maxBytes: 20 * MIB,
		maxLabel: '20 MB (20 × 1,048,576 bytes)',
		extensions: ['jpg', 'jpeg', 'gif', 'png', 'bmp'],
	},
	voice: {
		maxBytes: 2 * MIB,
		maxLabel: '2 MB (2 × 1,048,576 bytes)',
		extensions: ['amr', 'mp3', 'wav'],
	},
	video: { maxBytes: 20 * MIB, maxLabel: '20 MB (20 × 1,048,576 bytes)', extensions: ['mp4'] },
	file: {
		maxBytes: 20 * MIB,
		maxLabel: '20 MB (20 × 1,048,576 bytes)',
		extensions: ['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'zip', 'pdf', 'rar'],
	},
};

/** The multipart part DingTalk reads the file from, and the form field naming its type. */
export const MEDIA_FILE_PART = 'media';
export const MEDIA_TYPE_FIELD = 'type';

// ===================== What a robot receives: Stream mode and HTTP callbacks ==============

/** Stream mode: the gateway call that hands out a WebSocket endpoint and a one-time ticket. */
export const STREAM_CONNECTION_PATH = '/v1.0/gateway/connections/open';
/** The topic robot messages arrive on in Stream mode, subscribed as a CALLBACK. */
export const ROBOT_MESSAGE_TOPIC = '/v1.0/im/bot/messages/get';
export const STREAM_SUBSCRIPTIONS = [{ type: 'CALLBACK', topic: ROBOT_MESSAGE_TOPIC }];
/** The WebSocket URL is the endpoint with the ticket in this query parameter. */
export const STREAM_TICKET_QUERY = 'ticket';
export const STREAM_FRAME_TYPE = {
	system: 'SYSTEM',
	event: 'EVENT',
	callback: 'CALLBACK',
} as const;
export const STREAM_SYSTEM_TOPIC = { ping: 'ping', disconnect: 'disconnect' } as const;

/** A frame DingTalk sends over the Stream connection; `data` is a JSON string. */
export interface StreamFrame {
	specVersion?: string;
	type?: string;
	headers?: { topic?: string; messageId?: string; contentType?: string; [key: string]: unknown };
	data?: string;
}

/**
 * The acknowledgement of a frame. A ping's echoes its headers and data; a callback's names the frame and
 * answers `{"response":null}`; an event's says it was handled.
 */
export function streamAckOf(frame: StreamFrame): string {
	const headers = frame.headers ?? {};
	if (frame.type === STREAM_FRAME_TYPE.system) {
		return JSON.stringify({ code: 200, headers, message: 'OK', data: frame.data ?? '' });
	}
	const data =
		frame.type === STREAM_FRAME_TYPE.event
			? JSON.stringify({ status: 'SUCCESS', message: 'success' })
			: JSON.stringify({ response: null });
	return JSON.stringify({
		code: 200,
		headers: { messageId: headers.messageId, contentType: 'application/json' },
		message: 'OK',
		data,
	});
}

/** Reconnecting: 1 s × 2^n, at most 60 s, as DingTalk's own Stream clients do. */
export const STREAM_RECONNECT_BASE_MS = 1000;
export const STREAM_RECONNECT_MAX_MS = 60_000;
/**
 * ASSUMPTION: DingTalk does not publish how often its server pings. A connection is taken as dead when no
 * frame came for 3 of the ping intervals seen so far, or for 120 s before two pings have shown the interval.
 */
export const STREAM_SILENT_AFTER_PINGS = 3;
export const STREAM_DEFAULT_SILENCE_LIMIT_MS = 120_000;
export const STREAM_MIN_SILENCE_LIMIT_MS = 3000;

/**
 * ASSUMPTION: connections/open answers a wrong client ID or secret, or an app that may not use Stream
 * mode, with a 4xx new-API error (`{code, message}`), as the token API does: no reconnect can fix that.
 * 429, rate-limit and 5xx answers and network errors pass.
 */
export function streamRefusalIsFinal(verdict: Verdict): boolean {
	return verdict.kind === 'failed' && verdict.failure.status >= 400 && verdict.failure.status < 500;
}

/** HTTP callbacks: DingTalk signs each POST with these headers. */
export const CALLBACK_TIMESTAMP_HEADER = 'timestamp';
export const CALLBACK_SIGN_HEADER = 'sign';
/** A callback whose timestamp is more than an hour from our clock is refused. */
export const CALLBACK_MAX_CLOCK_SKEW_MS = 60 * 60 * 1000;

/**
 * The credential field holding the key of the callback signature: the app secret.
 * ASSUMPTION: a third-party app's robot signs with the suite secret; DingTalk's pages name only the app secret.
 */
export const CALLBACK_SIGNING_SECRET_FIELD = {
	internal: 'clientSecret',
	thirdParty: 'suiteSecret',
} as const;

/** The text DingTalk signs: the timestamp (ms), a line break and the app secret; the key is the secret. */
export function callbackSignedText(timestamp: string, secret: string): string {
	return `${timestamp}\n${secret}`;
}

/** The message types a robot receives, in `msgtype`. */
export const ROBOT_MESSAGE_TYPES = [
	'text',
	'picture',
	'audio',
	'video',
	'file',
	'richText',
] as const;
export type RobotMessageType = (typeof ROBOT_MESSAGE_TYPES)[number];
/** `conversationType`: "1" a one-to-one chat with the robot, "2" a group. */
export const CONVERSATION_TYPE_OF_CODE: Record<string, 'oneToOne' | 'group'> = {
	'1': 'oneToOne',
	'2': 'group',
};
/**
 * The robot's own user ID and the sender's, in every message. ASSUMPTION: a message the robot itself sent
 * (echoed to it) has the same value in both; DingTalk's pages name the fields but not this case.
 */
export const ROBOT_USER_ID_FIELD = 'chatbotUserId';
export const SENDER_ID_FIELD = 'senderId';
/** The message's reply address and its expiry (epoch ms). */
export const SESSION_WEBHOOK_FIELD = 'sessionWebhook';
export const SESSION_WEBHOOK_EXPIRY_FIELD = 'sessionWebhookExpiredTime';
/**
 * The hosts a message's reply address may point to (https only). ASSUMPTION: the international region's
 * form on oapi.dingtalk.io; DingTalk's pages show only oapi.dingtalk.com.
 */
export const SESSION_WEBHOOK_HOSTS = ['oapi.dingtalk.com', 'oapi.dingtalk.io'];
/** Outside a Custom region, the Stream endpoint must use TLS: its URL carries the ticket. */
export const STREAM_ENDPOINT_SCHEME = 'wss:';
/** ASSUMPTION: when DingTalk tells the robot the sender's union ID, it is in this field. */
export const SENDER_UNION_ID_FIELD = 'senderUnionId';

// ===================== Storage upload and robot messages =====================

/** The ID of a space's root folder, as a parent. */
export const STORAGE_ROOT_FOLDER_ID = '0';

/**
 * One signed PUT takes files below 5 GB; beyond that DingTalk wants a multipart upload (not offered).
 * ASSUMPTION: "5 GB" is read as 5 × 2^30 bytes, so nothing DingTalk would take is refused by the node.
 */
export const STORAGE_SINGLE_PUT_MAX_BYTES = 5 * 1024 * 1024 * 1024 - 1;

/** What DingTalk does when the folder already holds a file of that name (the commit's conflictStrategy). */
export const CONFLICT_STRATEGIES = {
	rename: 'AUTO_RENAME',
	overwrite: 'OVERWRITE',
	returnExisting: 'RETURN_DENTRY_IF_EXISTS',
	fail: 'RETURN_ERROR_IF_EXISTS',
} as const;
export type ConflictChoice = keyof typeof CONFLICT_STRATEGIES;

/**
 * The upload-info request. The header-signature protocol is the one every organisation supports
 * (dedicated storage requires it).
 * ASSUMPTION: the pre-check is optional and only the size is sent: DingTalk's SDK says the name pre-check
 * also refuses a name already in the folder, which would defeat Overwrite and Return Existing before
 * the commit could apply them. Names are checked by the node itself (storageNameProblem).
 */
export function uploadInfoBody(size: number): IDataObject {
	return {
		protocol: 'HEADER_SIGNATURE',
		multipart: false,
		option: { storageDriver: 'DINGTALK', preCheckParam: { size }, preferIntranet: false },
	};
}

export function commitBody(
	uploadKey: string,
	name: string,
	parentId: string,
	size: number,
	conflict: ConflictChoice,
): IDataObject {
	// DingTalk compares the size with the bytes it received and refuses a mismatch.
	return {
		uploadKey,
		name,
		parentId,
		option: { size, conflictStrategy: CONFLICT_STRATEGIES[conflict] },
	};
}

/** The signed PUT's URL and headers from the upload-info answer, or undefined when they are missing. */
export function signedUploadOf(
	answer: IDataObject,
): { uploadKey: string; url: string; headers: Record<string, string> } | undefined {
	const info = asRecord(answer.headerSignatureInfo);
	const urls = Array.isArray(info.resourceUrls) ? info.resourceUrls : [];
	const uploadKey = text(answer.uploadKey);
	const url = urls.find((candidate): candidate is string => typeof candidate === 'string');
	if (!uploadKey || !url) return undefined;
	const headers = Object.fromEntries(
		Object.entries(asRecord(info.headers)).map(([name, value]) => [name, String(value)]),
	);
	return { uploadKey, url, headers };
}

/**
 * The headers of the signed PUT: exactly those DingTalk returned, plus the length of the body.
 * ASSUMPTION: the signature covers Content-Type (as object-storage signatures do), so none is sent unless
 * DingTalk returned one; DingTalk's samples add none. HTTP clients add one to a PUT by default, so the
 * caller must suppress it.
 */
export function signedUploadHeaders(
	returned: Record<string, string>,
	size: number,
): { headers: Record<string, string>; sendsContentType: boolean } {
	const sendsContentType = Object.keys(returned).some(
		(name) => name.toLowerCase() === 'content-type',
	);
	return { headers: { ...returned, 'Content-Length': String(size) }, sendsContentType };
}

/**
 * DingTalk's rules for a file name in storage. It trims leading and trailing spaces itself, so the name
 * is judged trimmed. Returns the broken rule, or undefined for a good name.
 */
export function storageNameProblem(name: string): string | undefined {
	const trimmed = name.trim();
	if (trimmed === '') return 'is empty';
	if (trimmed.endsWith('.')) return `"${trimmed}" ends with a dot, which DingTalk does not allow`;
	const forbidden = [...trimmed].filter((char) => STORAGE_NAME_FORBIDDEN.includes(char));
	if (forbidden.length) {
		const shown = [...new Set(forbidden)].map((char) => (char === '\t' ? 'a tab' : `'${char}'`));
		return `"${trimmed.replace(/\t/g, '\\t')}" contains ${shown.join(' and ')}; DingTalk does not allow tabs or * " < > | in file names`;
	}
	return undefined;
}
const STORAGE_NAME_FORBIDDEN = ['\t', '*', '"', '<', '>', '|'];

/** Users per one-to-one batch send, and the size of msgParam (a JSON string, counted in UTF-8 bytes). */
export const ROBOT_MAX_USERS = 20;
export const ROBOT_MSG_PARAM_MAX_BYTES = 15_000;

export type RobotMessageToSend =
	| { kind: 'text'; content: string }
	| { kind: 'markdown'; title: string; text: string }
	| { kind: 'image'; photo: string }
	| { kind: 'file'; mediaId: string; fileName: string }
	| { kind: 'voice'; mediaId: string; durationSeconds: number }
	| { kind: 'video'; mediaId: string; coverMediaId: string; durationSeconds: number };
export type RobotMessageKind = RobotMessageToSend['kind'];

/** The media type each kind of message carries (Media > Upload's types). */
export const MEDIA_TYPE_OF_MESSAGE: Record<
	Exclude<RobotMessageKind, 'text' | 'markdown'>,
	MediaType
> = {
	image: 'image',
	file: 'file',
	voice: 'voice',
	video: 'video',
};

/**
 * A robot message as DingTalk's msgKey and msgParam (a JSON string). sampleText, sampleMarkdown and
 * sampleImageMsg (photoURL: a URL or a media ID) are documented by DingTalk.
 * ASSUMPTION: sampleFile {mediaId, fileName, fileType}, sampleAudio {mediaId, duration in milliseconds}
 * and sampleVideo {videoMediaId, videoType, picMediaId, duration in seconds}, durations as strings, come
 * from third-party code only; DingTalk's pages we have do not show them.
 */
export function robotMessageParam(message: RobotMessageToSend): {
	msgKey: string;
	msgParam: string;
} {
	const build = (msgKey: string, param: Record<string, string>) => ({
		msgKey,
		msgParam: JSON.stringify(param),
	});
	switch (message.kind) {
		case 'text':
			return build('sampleText', { content: message.content });
		case 'markdown':
			return build('sampleMarkdown', { title: message.title, text: message.text });
		case 'image':
			return build('sampleImageMsg', { photoURL: message.photo });
		case 'file': {
			const dot = message.fileName.lastIndexOf('.');
			const fileType = dot > 0 ? message.fileName.slice(dot + 1).toLowerCase() : '';
			return build('sampleFile', {
				mediaId: message.mediaId,
				fileName: message.fileName,
				fileType,
			});
		}
		case 'voice':
			return build('sampleAudio', {
				mediaId: message.mediaId,
				duration: String(Math.round(message.durationSeconds * 1000)),
			});
		case 'video':
			return build('sampleVideo', {
				duration: String(Math.round(message.durationSeconds)),
				videoMediaId: message.mediaId,
				videoType: 'mp4',
				picMediaId: message.coverMediaId,
			});
	}
}
