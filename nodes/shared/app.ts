import { createHash } from 'crypto';
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import {
	CALLBACK_SIGNING_SECRET_FIELD,
	classifyAnswer,
	DEFAULT_TOKEN_LIFETIME_SECONDS,
	isNewApiPath,
	LEGACY_TOKEN_QUERY,
	PATHS,
	REGION_BASE_URLS,
	requestIdOf,
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
	/** The app identity (appIdentityOf) the stored token was issued for. */
	tokenIssuedFor?: string;
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

/** The hosts of a Custom region's base URLs (none for DingTalk's own regions): the user's own DingTalk. */
export function ownHostsOf(credentials: DingTalkAppCredentials): string[] {
	if (credentials.region !== 'custom') return [];
	return Object.values(baseUrlsOf(credentials)).flatMap((base) => {
		try {
			return [new URL(base).host];
		} catch {
			return [];
		}
	});
}

/**
 * Which API family a full URL belongs to, or undefined for any other host (which never gets the
 * token). When both base URLs match (one gateway for both, or nested custom URLs), the path decides:
 * new-API paths start with /v1.0/ or /v2.0/.
 */
export function familyOfUrl(
	credentials: DingTalkAppCredentials,
	url: string,
): ApiFamily | undefined {
	const bases = baseUrlsOf(credentials);
	const under = (base: string) =>
		base !== '' && (url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`));
	const matches = (Object.keys(bases) as ApiFamily[]).filter((family) => under(bases[family]));
	if (matches.length < 2) return matches[0];
	return isNewApiPath(url.slice(bases.new.length)) ? 'new' : 'legacy';
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

/**
 * Stable identity of the app behind a credential: tokens, rate limits and the stored token belong to
 * it. The secret is part of it, so a credential that knows only an AppKey never rides on another's
 * token; the suite ticket is not (it rotates every few hours and names no other app).
 */
export function appIdentityOf(credentials: DingTalkAppCredentials): string {
	const parts =
		credentials.appType === 'thirdParty'
			? ['thirdParty', credentials.suiteKey, credentials.suiteSecret, credentials.authCorpId]
			: ['internal', credentials.clientId, credentials.clientSecret];
	parts.push(baseUrlsOf(credentials).new);
	return createHash('sha256')
		.update(parts.map((part) => String(part ?? '').trim()).join('\n'))
		.digest('hex');
}

/** The stored token, when it was issued for this credential's app as it is configured now. */
export function storedTokenOf(credentials: DingTalkAppCredentials): string | undefined {
	const token = credentials.accessToken;
	if (!token || credentials.tokenIssuedFor !== appIdentityOf(credentials)) return undefined;
	return token;
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

const SECRET_FIELD_NAMES =
	'access_?token|accessToken|appSecret|app_secret|appsecret|clientSecret|client_secret|suiteSecret|suite_secret|suiteTicket|suite_ticket|ticket';
// Each pattern keeps the name and hides the value: query strings, JSON, header lines, signed URLs.
const SECRET_PATTERNS: Array<[RegExp, string]> = [
	[new RegExp(`((?:${SECRET_FIELD_NAMES})=)[^&\\s"'<>]+`, 'gi'), '$1[redacted]'],
	[new RegExp(`("(?:${SECRET_FIELD_NAMES})"\\s*:\\s*)"[^"]*"`, 'gi'), '$1"[redacted]"'],
	[/(x-acs-dingtalk-access-token["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, '$1[redacted]'],
	[/((?:Signature|OSSAccessKeyId|security-token|x-oss-signature)=)[^&\s"'<>]+/gi, '$1[redacted]'],
];

/** Hides secrets in any text: each secret as such and URL-encoded, and secret-looking fields by name. */
export function redact(text: string, secrets: string[]): string {
	let result = text;
	for (const secret of secrets) {
		for (const form of new Set([
			secret,
			encodeURIComponent(secret),
			JSON.stringify(secret).slice(1, -1),
		])) {
			result = result.split(form).join('[redacted]');
		}
	}
	for (const [pattern, replacement] of SECRET_PATTERNS)
		result = result.replace(pattern, replacement);
	return result;
}

/** The request that obtains an access token for the credential's app type. */
export function tokenRequestOf(credentials: DingTalkAppCredentials): IHttpRequestOptions {
	const common = {
		method: 'POST' as const,
		baseURL: baseUrlsOf(credentials).new,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		// The secret is in the body: it goes to the configured host and nowhere else.
		disableFollowRedirect: true,
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
	answer: { statusCode?: number; body?: unknown; headers?: Record<string, unknown> },
	now: number,
	credentials?: object,
): { accessToken: string; expiresAt: number; tokenIssuedFor: string } {
	const status = answer.statusCode ?? 0;
	const body = (
		answer.body !== null && typeof answer.body === 'object' ? answer.body : {}
	) as Record<string, unknown>;
	// Read as every other answer is: redirects, pages that are not DingTalk's JSON, DingTalk's codes.
	const verdict = classifyAnswer('new', { status, body: answer.body, headers: answer.headers });
	if (verdict.kind === 'ok' && typeof body.accessToken === 'string' && body.accessToken !== '') {
		const lifetime =
			Number(body.expireIn) > 0 ? Number(body.expireIn) : DEFAULT_TOKEN_LIFETIME_SECONDS;
		return {
			accessToken: body.accessToken,
			expiresAt: now + lifetime * 1000,
			tokenIssuedFor: credentials ? appIdentityOf(credentials as DingTalkAppCredentials) : '',
		};
	}
	const failure: DingTalkFailure =
		verdict.kind === 'ok'
			? {
					status,
					code: 'unexpectedAnswer',
					message: 'the answer holds no access token',
					requestId: requestIdOf(body, answer.headers),
				}
			: verdict.failure;
	if (credentials) (credentials as Record<symbol, DingTalkFailure>)[TOKEN_FAILURE] = failure;
	throw new TokenRequestError(failure);
}

/** The app's client ID and secret as DingTalk's Stream gateway takes them (a suite's key and secret for a third-party app). */
export function streamClientOf(credentials: DingTalkAppCredentials): {
	clientId: string;
	clientSecret: string;
} {
	return credentials.appType === 'thirdParty'
		? { clientId: credentials.suiteKey ?? '', clientSecret: credentials.suiteSecret ?? '' }
		: { clientId: credentials.clientId ?? '', clientSecret: credentials.clientSecret ?? '' };
}

/** The secret DingTalk signs a robot's HTTP callbacks with (see CALLBACK_SIGNING_SECRET_FIELD). */
export function callbackSigningSecretOf(credentials: DingTalkAppCredentials): string {
	return String(credentials[CALLBACK_SIGNING_SECRET_FIELD[credentials.appType]] ?? '');
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
	// A token issued for the app this credential named before an edit counts as missing.
	const token = storedTokenOf(credentials) ?? '';
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
