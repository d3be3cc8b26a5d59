import { createHash } from 'crypto';
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import {
	DEFAULT_TOKEN_LIFETIME_SECONDS,
	LEGACY_TOKEN_QUERY,
	PATHS,
	REGION_BASE_URLS,
	TOKEN_HEADER,
	type ApiFamily,
	type DingTalkFailure,
	type Region,
} from './wire';

/** The fields of the "DingTalk API" credential, as n8n hands them over. */
export interface DingTalkAppCredentials {
	appType: 'internal' | 'thirdParty';
	clientId?: string;
	clientSecret?: string;
	suiteKey?: string;
	suiteSecret?: string;
	authCorpId?: string;
	suiteTicket?: string;
	region: Region;
	apiBaseUrl?: string;
	legacyBaseUrl?: string;
	robotCode?: string;
	accessToken?: string;
	expiresAt?: number;
}

export function asAppCredentials(data: ICredentialDataDecryptedObject): DingTalkAppCredentials {
	return data as unknown as DingTalkAppCredentials;
}

function withoutTrailingSlash(url: string): string {
	return url.trim().replace(/\/+$/, '');
}

export function baseUrlsOf(credentials: DingTalkAppCredentials): Record<ApiFamily, string> {
	if (credentials.region === 'custom') {
		return {
			new: withoutTrailingSlash(credentials.apiBaseUrl ?? ''),
			legacy: withoutTrailingSlash(credentials.legacyBaseUrl ?? ''),
		};
	}
	return REGION_BASE_URLS[credentials.region] ?? REGION_BASE_URLS.china;
}

/** Which API family a full URL belongs to, or undefined for any other host (which never gets the token). */
export function familyOfUrl(
	credentials: DingTalkAppCredentials,
	url: string,
): ApiFamily | undefined {
	const bases = baseUrlsOf(credentials);
	const matches = (Object.keys(bases) as ApiFamily[]).filter(
		(family) =>
			bases[family] !== '' &&
			(url === bases[family] ||
				url.startsWith(`${bases[family]}/`) ||
				url.startsWith(`${bases[family]}?`)),
	);
	// With nested custom base URLs the longer (more specific) one wins.
	matches.sort((a, b) => bases[b].length - bases[a].length);
	return matches[0];
}

/**
 * The URL a request goes to, read as n8n's HTTP clients read it: `url` (or the older `uri` the HTTP Request
 * node uses), joined to `baseURL` unless it is absolute. Like axios, a `//host` URL counts as absolute.
 */
export function fullUrlOf(options: IHttpRequestOptions): string {
	const raw = options.url ?? (options as { uri?: unknown }).uri;
	const url = raw === undefined || raw === null ? '' : String(raw);
	if (/^([a-z][a-z\d+\-.]*:)?\/\//i.test(url) || !options.baseURL) return url;
	return `${withoutTrailingSlash(options.baseURL)}${url.startsWith('/') ? '' : '/'}${url}`;
}

/** Stable identity of the app behind a credential: tokens and rate limits belong to the app. */
export function appIdentityOf(credentials: DingTalkAppCredentials): string {
	const parts =
		credentials.appType === 'thirdParty'
			? [
					'thirdParty',
					credentials.suiteKey,
					credentials.suiteSecret,
					credentials.authCorpId,
					credentials.suiteTicket,
				]
			: ['internal', credentials.clientId, credentials.clientSecret];
	parts.push(baseUrlsOf(credentials).new);
	return createHash('sha256')
		.update(parts.map((part) => part ?? '').join('\n'))
		.digest('hex');
}

/** The robot code to use when an operation leaves it empty: an internal app's robot code is its AppKey. */
export function defaultRobotCodeOf(credentials: DingTalkAppCredentials): string {
	const robotCode = (credentials.robotCode ?? '').trim();
	if (robotCode !== '') return robotCode;
	return credentials.appType === 'internal' ? (credentials.clientId ?? '').trim() : '';
}

/** Values that must never appear in a message, log line or output item. */
export function secretsOf(credentials: DingTalkAppCredentials): string[] {
	return [
		credentials.clientSecret,
		credentials.suiteSecret,
		credentials.suiteTicket,
		credentials.accessToken,
	].filter((value): value is string => typeof value === 'string' && value.length >= 4);
}

export function redact(text: string, secrets: string[]): string {
	let result = text;
	for (const secret of secrets) result = result.split(secret).join('[redacted]');
	return result.replace(/(access_token=)[^&\s"']+/gi, '$1[redacted]');
}

/** The request that obtains an access token for the credential's app type. */
export function tokenRequestOf(credentials: DingTalkAppCredentials): IHttpRequestOptions {
	const common = {
		method: 'POST' as const,
		baseURL: baseUrlsOf(credentials).new,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: 30_000,
	};
	if (credentials.appType === 'thirdParty') {
		return {
			...common,
			url: PATHS.thirdPartyAppGrant,
			body: {
				suiteKey: credentials.suiteKey,
				suiteSecret: credentials.suiteSecret,
				authCorpId: credentials.authCorpId,
				suiteTicket: credentials.suiteTicket,
			},
		};
	}
	return {
		...common,
		url: PATHS.internalAppGrant,
		body: { appKey: credentials.clientId, appSecret: credentials.clientSecret },
	};
}

/** Raised when DingTalk issues no token; carries DingTalk's own reason and nothing secret. */
export class TokenRequestError extends Error {
	constructor(readonly failure: DingTalkFailure) {
		super(
			`DingTalk did not issue an access token: ${failure.message || 'no reason given'} [${failure.code}]` +
				(failure.requestId ? ` (request id ${failure.requestId})` : ''),
		);
		this.name = 'TokenRequestError';
	}
}

/**
 * Where a failed token request leaves DingTalk's reason on the credential data it was made for: n8n
 * wraps the error differently per release, and the node must still show DingTalk's own code.
 */
export const TOKEN_FAILURE = Symbol.for('n8n-nodes-dingtalk-files.tokenFailure');

/** Reads the token API's answer into the credential's stored fields. */
export function tokenFromAnswer(
	answer: { statusCode?: number; body?: unknown },
	now: number,
	credentials?: object,
): { accessToken: string; expiresAt: number } {
	const status = answer.statusCode ?? 0;
	const body = (answer.body ?? {}) as Record<string, unknown>;
	if (
		status >= 200 &&
		status < 300 &&
		typeof body.accessToken === 'string' &&
		body.accessToken !== ''
	) {
		const lifetime =
			Number(body.expireIn) > 0 ? Number(body.expireIn) : DEFAULT_TOKEN_LIFETIME_SECONDS;
		return { accessToken: body.accessToken, expiresAt: now + lifetime * 1000 };
	}
	const failure: DingTalkFailure = {
		status,
		code: String(body.code ?? `HTTP ${status || 'error'}`),
		message: typeof body.message === 'string' ? body.message : '',
		requestId: typeof body.requestid === 'string' ? body.requestid : undefined,
	};
	if (credentials) (credentials as Record<symbol, DingTalkFailure>)[TOKEN_FAILURE] = failure;
	throw new TokenRequestError(failure);
}

/** Raised by the credential for a missing token or one past its recorded expiry, so n8n fetches one first. */
export class ExpiredTokenError extends Error {
	constructor() {
		super(
			'The credential holds no current DingTalk access token (none yet, or past its expiry); n8n fetches one and sends the request again',
		);
		this.name = 'ExpiredTokenError';
	}
}

/**
 * The credential's authenticate: the token goes in the `x-acs-dingtalk-access-token` header for the new
 * API and in the `access_token` query for the legacy API, judged from the URL, and to no other host.
 * A request that carries it follows no redirect (a redirect would take the token wherever it points).
 * A missing token, or one past its recorded expiry, is refused: n8n's request helper used by the HTTP Request node then
 * runs preAuthentication and sends the request again with a new one, which also serves the legacy API,
 * whose "expired" answer (HTTP 200 with an errcode) n8n never sees as a failure.
 */
export function authenticateRequest(
	credentials: DingTalkAppCredentials,
	options: IHttpRequestOptions,
	now: number,
): IHttpRequestOptions {
	const family = familyOfUrl(credentials, fullUrlOf(options));
	if (!family) return options;
	const token = String(credentials.accessToken ?? '');
	const expiresAt = Number(credentials.expiresAt) || 0;
	if (token === '' || (expiresAt > 0 && now >= expiresAt)) throw new ExpiredTokenError();
	const noRedirects = {
		disableFollowRedirect: true,
		followRedirect: false,
		followAllRedirects: false,
	};
	if (family === 'new') {
		return { ...options, ...noRedirects, headers: { ...options.headers, [TOKEN_HEADER]: token } };
	}
	return { ...options, ...noRedirects, qs: { ...options.qs, [LEGACY_TOKEN_QUERY]: token } };
}
