import {
	NodeApiError,
	sleep,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type JsonObject,
} from 'n8n-workflow';
import {
	appIdentityOf,
	asAppCredentials,
	baseUrlsOf,
	redact,
	secretsOf,
	TOKEN_FAILURE,
	TokenRequestError,
	type DingTalkAppCredentials,
} from './app';
import {
	CALLS_PER_SECOND_PER_APP_AND_API,
	classifyAnswer,
	DEFAULT_TOKEN_LIFETIME_SECONDS,
	PERMISSION_CODES,
	PERMISSION_OF_PATH,
	ERROR_GUIDE,
	RATE_WINDOW_MS,
	signedUploadHeaders,
	type ApiFamily,
	type DingTalkFailure,
} from './wire';

export const CREDENTIAL_TYPE = 'dingTalkApi';

/** One DingTalk API call, described as data. A multipart body is rebuilt for every attempt. */
export interface DingTalkCall {
	family: ApiFamily;
	method: 'GET' | 'POST';
	path: string;
	/** Values for `{name}` placeholders in the path; the path itself names the API (rate limit, permission). */
	pathParams?: Record<string, string>;
	query?: Record<string, string>;
	json?: IDataObject;
	multipart?: () => { body: Buffer; contentType: string };
	/** DingTalk may have carried it out when the answer is lost: never sent twice (duplicates in a chat). */
	sendsMessage: boolean;
}

export interface TransportOptions {
	callsPerSecond: number;
	maxRetries: number;
	/** Milliseconds to wait for DingTalk to send anything (an idle timeout, so long uploads still work). */
	timeout: number;
}

export const DEFAULT_TRANSPORT_OPTIONS: TransportOptions = {
	callsPerSecond: CALLS_PER_SECOND_PER_APP_AND_API,
	maxRetries: 4,
	timeout: 60_000,
};

// Refresh this long before DingTalk's expiry (at most a tenth of the token's life), so no call races
// the end of a token's life.
const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
// Our clock starts before the request leaves; DingTalk's when it arrives, later by however long n8n and the
// network take under load. Keep some slack.
const RATE_WINDOW_SLACK_MS = 100;
const MAX_BACKOFF_MS = 8000;
// Node's network error codes that mean nothing reached DingTalk, so any call may be sent again.
const NOT_SENT_ERROR_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
]);

const NETWORK_ERROR_WORDS: Record<string, string> = {
	ECONNREFUSED: 'the connection was refused',
	ECONNRESET: 'the connection was cut before an answer came',
	ETIMEDOUT: 'no answer in time',
	ECONNABORTED: 'no answer in time',
	ENOTFOUND: 'the host name was not found',
	EAI_AGAIN: 'the host name could not be looked up',
	EHOSTUNREACH: 'the host is unreachable',
	ENETUNREACH: 'the network is unreachable',
};

interface AppTokenState {
	token?: string;
	/** When to stop using the token and fetch the next one (before DingTalk's expiry). */
	refreshAt: number;
	/** DingTalk's expiry of the token, handed to the credential's authenticate with it. */
	expiresAt?: number;
	seeded: boolean;
	refreshing?: Promise<void>;
	refreshFailure?: Error;
}

// Module state lives as long as n8n's process: shared by every item and execution using the same app.
const tokenStates = new Map<string, AppTokenState>();
const sendTimes = new Map<string, number[]>();
// When DingTalk says an app's API is over its limit, every call to it waits, not only the refused one.
const pausedUntil = new Map<string, number>();

function tokenStateOf(appIdentity: string): AppTokenState {
	let state = tokenStates.get(appIdentity);
	if (!state) {
		state = { refreshAt: 0, seeded: false };
		tokenStates.set(appIdentity, state);
	}
	return state;
}

/** Waits until one more call keeps every rolling window under the limit, then books it at the time returned. */
async function takeRateSlot(key: string, perSecond: number): Promise<number> {
	const window = RATE_WINDOW_MS + RATE_WINDOW_SLACK_MS;
	for (;;) {
		const now = Date.now();
		const pause = (pausedUntil.get(key) ?? 0) - now;
		if (pause > 0) {
			await sleep(pause);
			continue;
		}
		const times = (sendTimes.get(key) ?? []).filter((time) => now - time < window);
		if (times.length < perSecond) {
			times.push(now);
			sendTimes.set(key, times);
			return now;
		}
		sendTimes.set(key, times);
		await sleep(times[0] + window - now + 1);
	}
}

/**
 * Moves a booking to a later time. A call that first fetched a token reached DingTalk only after that
 * fetch, so its booking moves to when its answer came: the latest it can have arrived.
 */
function rebookRateSlot(key: string, booked: number, now: number): void {
	const times = sendTimes.get(key) ?? [];
	const index = times.indexOf(booked);
	if (index >= 0) times.splice(index, 1);
	times.push(now);
	times.sort((a, b) => a - b);
	sendTimes.set(key, times);
}

function pauseKey(key: string, ms: number): void {
	pausedUntil.set(key, Math.max(pausedUntil.get(key) ?? 0, Date.now() + ms));
}

function backoffMs(attempt: number): number {
	const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt);
	return base / 2 + Math.random() * (base / 2);
}

function networkCodeOf(error: unknown): string | undefined {
	const candidates = [
		error,
		(error as { cause?: unknown })?.cause,
		(error as { cause?: { cause?: unknown } })?.cause?.cause,
	];
	for (const candidate of candidates) {
		const code = (candidate as { code?: unknown })?.code;
		if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
	}
	return undefined;
}

/**
 * The one place that sends requests to DingTalk: owns the token (fetched once per app, refreshed before
 * expiry and when DingTalk rejects it), the per-app-and-API rate limit, retries, error mapping and redaction.
 */
export class DingTalkTransport {
	readonly credentials: DingTalkAppCredentials;

	private readonly appIdentity: string;

	private readonly secrets: string[];

	private constructor(
		private readonly ctx: IExecuteFunctions,
		credentialData: IDataObject,
		private readonly options: TransportOptions,
	) {
		this.credentials = asAppCredentials(credentialData as never);
		this.appIdentity = appIdentityOf(this.credentials);
		this.secrets = secretsOf(this.credentials);
	}

	static async open(ctx: IExecuteFunctions, options: TransportOptions): Promise<DingTalkTransport> {
		const data = await ctx.getCredentials(CREDENTIAL_TYPE);
		return new DingTalkTransport(ctx, data as IDataObject, options);
	}

	/** Sends a call and returns DingTalk's answer body; throws a NodeApiError that says what to do. */
	async call<T = IDataObject>(call: DingTalkCall, itemIndex: number): Promise<T> {
		let healed = false;
		for (let attempt = 0; ; attempt++) {
			let outcome: {
				status: number;
				body: unknown;
				headers?: Record<string, unknown>;
				token: string;
			};
			try {
				outcome = await this.sendWithToken(call);
			} catch (error) {
				if (error instanceof TokenRequestError) throw this.apiError(error.failure, itemIndex);
				const code = networkCodeOf(error) ?? 'ERROR';
				const mayResend = NOT_SENT_ERROR_CODES.has(code) || !call.sendsMessage;
				if (mayResend && attempt < this.options.maxRetries) {
					await sleep(backoffMs(attempt));
					continue;
				}
				throw this.networkError(error, code, call, itemIndex);
			}

			const verdict = classifyAnswer(call.family, outcome);
			if (verdict.kind === 'ok') return outcome.body as T;
			if (verdict.kind === 'invalidToken' && !healed) {
				// DingTalk did not carry the call out: get a new token and send it once more.
				healed = true;
				this.forgetToken(outcome.token);
				attempt--;
				continue;
			}
			if (
				(verdict.kind === 'rateLimited' || verdict.kind === 'busy') &&
				attempt < this.options.maxRetries
			) {
				// DingTalk did not carry it out. Its limit counts whole seconds: everyone waits at least one.
				pauseKey(this.rateKey(call), RATE_WINDOW_MS + backoffMs(attempt));
				continue;
			}
			if (
				verdict.kind === 'maybeExecuted' &&
				!call.sendsMessage &&
				attempt < this.options.maxRetries
			) {
				await sleep(backoffMs(attempt));
				continue;
			}
			if (verdict.kind === 'maybeExecuted' && call.sendsMessage) {
				throw this.apiError(
					verdict.failure,
					itemIndex,
					call.path,
					'It was not sent again, because DingTalk may already have delivered it: check the chat before running it again.',
				);
			}
			throw this.apiError(verdict.failure, itemIndex, call.path);
		}
	}

	/**
	 * Fetches a signed download URL. The file host is not DingTalk's API: no token goes with it, and the
	 * URL itself never appears in an error.
	 */
	async fetchSignedFile(url: string, itemIndex: number): Promise<Buffer> {
		for (let attempt = 0; ; attempt++) {
			let response: { statusCode: number; body: unknown };
			try {
				response = (await this.ctx.helpers.httpRequest({
					method: 'GET',
					url,
					encoding: 'arraybuffer',
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					timeout: this.options.timeout,
				})) as { statusCode: number; body: unknown };
			} catch (error) {
				if (attempt < this.options.maxRetries) {
					await sleep(backoffMs(attempt));
					continue;
				}
				const code = networkCodeOf(error) ?? 'ERROR';
				throw new NodeApiError(this.ctx.getNode(), { networkError: code } as JsonObject, {
					message: `Could not download the file from DingTalk's file host: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
					description: `Network error ${code}. The temporary download link could not be fetched; run the node again to get a fresh one.`,
					itemIndex,
				});
			}
			if (response.statusCode >= 200 && response.statusCode < 300) {
				return Buffer.from(response.body as ArrayBuffer);
			}
			if (response.statusCode >= 500 && attempt < this.options.maxRetries) {
				await sleep(backoffMs(attempt));
				continue;
			}
			throw new NodeApiError(
				this.ctx.getNode(),
				{ httpCode: String(response.statusCode) } as JsonObject,
				{
					message: `DingTalk's file host refused the download (HTTP ${response.statusCode})`,
					description:
						'The temporary download link was rejected or has expired. Links are short-lived: run the node again to get a fresh one.',
					httpCode: String(response.statusCode),
					itemIndex,
				},
			);
		}
	}

	/**
	 * Uploads a file with a signed PUT (DingTalk storage). The upload host is not DingTalk's API: no token
	 * goes with it, no redirect is followed, and neither its URL nor its signed headers appear in an error.
	 * `body` is called for every attempt, so a stream is opened afresh; a repeated PUT replaces the same
	 * object, so it is safe to send again.
	 */
	async putSignedFile(
		upload: { url: string; headers: Record<string, string> },
		body: () => Promise<Buffer | NodeJS.ReadableStream>,
		size: number,
		itemIndex: number,
	): Promise<void> {
		const { headers, sendsContentType } = signedUploadHeaders(upload.headers, size);
		for (let attempt = 0; ; attempt++) {
			let response: { statusCode: number; body: unknown };
			try {
				response = (await this.ctx.helpers.httpRequest({
					method: 'PUT',
					url: upload.url,
					// HTTP clients give a PUT a Content-Type of their own; false keeps it out of the signed request.
					headers: sendsContentType ? headers : { ...headers, 'Content-Type': false },
					body: (await body()) as unknown as Buffer,
					disableFollowRedirect: true,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					timeout: this.options.timeout,
				})) as { statusCode: number; body: unknown };
			} catch (error) {
				if (attempt < this.options.maxRetries) {
					await sleep(backoffMs(attempt));
					continue;
				}
				const code = networkCodeOf(error) ?? 'ERROR';
				throw new NodeApiError(this.ctx.getNode(), { networkError: code } as JsonObject, {
					message: `Could not upload the file to DingTalk's file storage: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
					description: `Network error ${code}. Nothing was stored; run the node again.`,
					itemIndex,
				});
			}
			if (response.statusCode >= 200 && response.statusCode < 300) return;
			if (response.statusCode >= 500 && attempt < this.options.maxRetries) {
				await sleep(backoffMs(attempt));
				continue;
			}
			// Object storage answers XML whose Code is safe to show; its other fields can echo the signature.
			const storageCode = /<Code>([A-Za-z.]{1,64})<\/Code>/.exec(String(response.body ?? ''))?.[1];
			const reason = storageCode
				? `HTTP ${response.statusCode}, ${storageCode}`
				: `HTTP ${response.statusCode}`;
			throw new NodeApiError(
				this.ctx.getNode(),
				{ httpCode: String(response.statusCode), code: storageCode ?? null } as JsonObject,
				{
					message: `DingTalk's file storage refused the upload (${reason})`,
					description:
						'The signed upload was refused or has expired (it is valid for a short time). Nothing was stored; run the node again.',
					httpCode: String(response.statusCode),
					itemIndex,
				},
			);
		}
	}

	/** Sends one attempt with the app's current token, becoming the one that fetches it when there is none. */
	private async sendWithToken(call: DingTalkCall) {
		const state = tokenStateOf(this.appIdentity);
		for (;;) {
			if (state.refreshing) {
				const refresh = state.refreshing;
				await refresh;
				if (state.refreshFailure && !state.token) throw state.refreshFailure;
				continue;
			}
			if (!state.seeded) {
				// A token n8n stored in the credential by an earlier execution serves until its expiry.
				state.seeded = true;
				const stored = this.credentials.accessToken;
				const expiresAt = Number(this.credentials.expiresAt) || 0;
				if (!state.token && stored && expiresAt - TOKEN_REFRESH_MARGIN_MS > Date.now()) {
					state.token = stored;
					state.refreshAt = expiresAt - TOKEN_REFRESH_MARGIN_MS;
					state.expiresAt = expiresAt;
				}
			}
			if (state.token && state.refreshAt > Date.now()) {
				const token = state.token;
				const credentials = { ...this.credentials, accessToken: token, expiresAt: state.expiresAt };
				return { ...(await this.send(call, credentials)), token };
			}
			// No usable token: this call fetches one through n8n (the credential's preAuthentication, which
			// n8n persists), while every other call for the same app waits for it.
			const credentials: DingTalkAppCredentials = { ...this.credentials, accessToken: '' };
			let result: Awaited<ReturnType<DingTalkTransport['send']>> | undefined;
			let failure: Error | undefined;
			state.refreshFailure = undefined;
			state.refreshing = (async () => {
				try {
					result = await this.send(call, credentials);
				} catch (error) {
					const tokenFailure = (
						credentials as unknown as Record<symbol, DingTalkFailure | undefined>
					)[TOKEN_FAILURE];
					failure =
						!credentials.accessToken && tokenFailure
							? new TokenRequestError(tokenFailure)
							: (error as Error);
				}
				if (credentials.accessToken) {
					const now = Date.now();
					const expiresAt =
						Number(credentials.expiresAt) || now + DEFAULT_TOKEN_LIFETIME_SECONDS * 1000;
					state.token = credentials.accessToken;
					state.expiresAt = expiresAt;
					state.refreshAt = expiresAt - Math.min(TOKEN_REFRESH_MARGIN_MS, (expiresAt - now) / 10);
				} else if (failure) {
					state.refreshFailure = failure;
				}
			})();
			try {
				await state.refreshing;
			} finally {
				state.refreshing = undefined;
			}
			if (failure) throw failure;
			return { ...result!, token: credentials.accessToken ?? '' };
		}
	}

	/** The credential's secrets and the token in use now, which may have been fetched during this run. */
	private currentSecrets(): string[] {
		const token = tokenStateOf(this.appIdentity).token;
		return token ? [...this.secrets, token] : this.secrets;
	}

	/** DingTalk's limit belongs to the app and the API. */
	private rateKey(call: DingTalkCall): string {
		return `${this.appIdentity} ${call.family} ${call.path}`;
	}

	private forgetToken(rejected: string): void {
		const state = tokenStateOf(this.appIdentity);
		// Only the first call to see this token rejected drops it; the others then use its successor.
		if (state.token === rejected) {
			state.token = undefined;
			state.refreshAt = 0;
		}
	}

	private async send(call: DingTalkCall, credentials: DingTalkAppCredentials) {
		const booked = await takeRateSlot(this.rateKey(call), this.options.callsPerSecond);
		const fetchesToken = !credentials.accessToken;
		const request: IHttpRequestOptions = {
			method: call.method,
			baseURL: baseUrlsOf(this.credentials)[call.family],
			url: fillPath(call.path, call.pathParams),
			qs: call.query ? { ...call.query } : undefined,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: this.options.timeout,
		};
		if (call.multipart) {
			const { body, contentType } = call.multipart();
			request.body = body;
			request.headers = { 'content-type': contentType };
		} else if (call.json) {
			request.body = call.json;
			request.headers = { 'content-type': 'application/json' };
		}
		const response = (await this.ctx.helpers.httpRequestWithAuthentication.call(
			this.ctx,
			CREDENTIAL_TYPE,
			request,
			{
				credentialsDecrypted: {
					id: this.ctx.getNode().credentials?.[CREDENTIAL_TYPE]?.id ?? '',
					name: this.ctx.getNode().credentials?.[CREDENTIAL_TYPE]?.name ?? '',
					type: CREDENTIAL_TYPE,
					data: credentials as unknown as ICredentialDataDecryptedObject,
				},
			},
		)) as { statusCode: number; body: unknown; headers?: Record<string, unknown> };
		if (fetchesToken) rebookRateSlot(this.rateKey(call), booked, Date.now());
		return {
			status: response.statusCode,
			body: parseBody(response.body),
			headers: response.headers,
		};
	}

	private apiError(
		failure: DingTalkFailure,
		itemIndex: number,
		path?: string,
		extra?: string,
	): NodeApiError {
		const guide = ERROR_GUIDE[failure.code] ?? ERROR_GUIDE[failure.code.split('/')[0]];
		const needed = path ? PERMISSION_OF_PATH[path] : undefined;
		const scopes = failure.requiredScopes?.length
			? failure.requiredScopes.join(', ')
			: (needed ?? 'the permission this operation needs');
		const dingTalkMessage = redact(failure.message, this.currentSecrets());
		const message = guide
			? `DingTalk: ${guide.meaning} [${failure.code}]`
			: `DingTalk returned an error: ${dingTalkMessage || 'no message'} [${failure.code}]`;
		const description = [
			`DingTalk's code: ${failure.code}`,
			dingTalkMessage ? `DingTalk's message: ${dingTalkMessage}` : undefined,
			failure.requestId ? `Request ID: ${failure.requestId}` : undefined,
			failure.requiredScopes?.length ? `Missing permission: ${scopes}` : undefined,
			guide ? `What to do: ${guide.action.replace('{scopes}', scopes)}` : undefined,
			needed && PERMISSION_CODES.has(failure.code)
				? `This operation needs the app permission ${needed}.`
				: undefined,
			extra,
		]
			.filter(Boolean)
			.join('\n');
		const errorResponse: JsonObject = {
			code: failure.code,
			message: dingTalkMessage,
			requestId: failure.requestId ?? null,
		};
		if (failure.requiredScopes) errorResponse.requiredScopes = failure.requiredScopes;
		const error = new NodeApiError(this.ctx.getNode(), errorResponse, {
			message,
			description,
			httpCode: String(failure.status),
			itemIndex,
		});
		// Continue On Fail puts these in the error item, so workflows can branch on DingTalk's code.
		error.context.dingTalk = { code: failure.code, requestId: failure.requestId };
		return error;
	}

	private networkError(
		error: unknown,
		code: string,
		call: DingTalkCall,
		itemIndex: number,
	): NodeApiError {
		const detail = redact(String((error as Error)?.message ?? error), this.currentSecrets());
		const unsure = call.sendsMessage && !NOT_SENT_ERROR_CODES.has(code);
		// The code stays out of the message and of `code`: n8n would swap the message for a generic one
		// that invites a retry, which is wrong for a send that may have been delivered.
		return new NodeApiError(this.ctx.getNode(), { networkError: code, detail } as JsonObject, {
			message: `Could not reach DingTalk: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
			description:
				`Network error ${code}: ${detail}\n` +
				(unsure
					? 'It was not sent again, because DingTalk may already have delivered it: check the chat before running it again.'
					: "Check the network and the credential's region or base URLs."),
			itemIndex,
		});
	}
}

function fillPath(path: string, params: Record<string, string> = {}): string {
	return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

function parseBody(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	try {
		return JSON.parse(body);
	} catch {
		return body;
	}
}
