import {
	NodeApiError,
	NodeOperationError,
	sleep,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type INode,
	type ITriggerFunctions,
	type IWebhookFunctions,
	type JsonObject,
} from 'n8n-workflow';
import { sessionWebhookProblem, signedUrlProblem, streamEndpointProblem } from './addresses';
import {
	bookCall,
	delayBeforeNextCall,
	newRateWindow,
	rebookCall,
	recordAccepted,
	recordAnswer,
	recordRefused,
	type RateWindow,
	type SentCall,
} from './rate';
import {
	appIdentityOf,
	asAppCredentials,
	baseUrlsOf,
	ownHostsOf,
	redact,
	secretsOf,
	storedTokenOf,
	streamClientOf,
	TOKEN_FAILURE,
	type DingTalkAppCredentials,
} from './app';
import {
	CALLS_PER_SECOND_PER_APP_AND_API,
	classifyAnswer,
	DEFAULT_TOKEN_LIFETIME_SECONDS,
	ERROR_GUIDE,
	PERMISSION_CODES,
	PERMISSION_OF_PATH,
	SESSION_EXPIRED_ERRCODE,
	SESSION_REPLY_PATH,
	STREAM_CONNECTION_PATH,
	STREAM_SUBSCRIPTIONS,
	streamRefusalIsFinal,
	signedUploadHeaders,
	type ApiFamily,
	type DingTalkFailure,
} from './wire';

export const CREDENTIAL_TYPE = 'dingTalkApi';

/** A regular node's execution or a trigger's: they have the binary helpers too. */
export type ExecutionContext = IExecuteFunctions | ITriggerFunctions | IWebhookFunctions;

/** Where the transport runs: an execution, or the editor loading a picker's list (credential and request helpers). */
export type TransportContext = ExecutionContext | ILoadOptionsFunctions;

/** What DingTalk's Stream gateway said: a WebSocket endpoint and ticket, or why not and whether trying again can help. */
export type StreamConnectionGrant =
	| { ok: true; endpoint: string; ticket: string }
	| { ok: false; final: boolean; error: NodeApiError };

/** One DingTalk API call, described as data. */
export interface DingTalkCall {
	family: ApiFamily;
	method: 'GET' | 'POST' | 'DELETE';
	path: string;
	/** Values for `{name}` placeholders in the path; the path itself names the API (rate limit, permission). */
	pathParams?: Record<string, string>;
	query?: Record<string, string>;
	json?: IDataObject;
	/** A multipart body, built once before the first attempt; a Buffer is sent again as it is. */
	multipart?: () => Promise<{ body: Buffer; contentType: string }>;
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

const OPTION_RULES: Record<keyof TransportOptions, { label: string; min: number; max: number }> = {
	callsPerSecond: { label: 'Calls per Second', min: 1, max: CALLS_PER_SECOND_PER_APP_AND_API },
	maxRetries: { label: 'Max Retries', min: 0, max: 10 },
	timeout: { label: 'Timeout', min: 1, max: 60 * 60 * 1000 },
};

/**
 * The node's Request Options, checked before anything is sent: a value from an expression can be
 * empty, negative or not a number, and a rate of 0 would wait forever.
 */
export function readTransportOptions(ctx: IExecuteFunctions): TransportOptions {
	const requested = ctx.getNodeParameter('requestOptions', 0, {}) as Record<string, unknown>;
	const options = { ...DEFAULT_TRANSPORT_OPTIONS };
	for (const name of Object.keys(OPTION_RULES) as Array<keyof TransportOptions>) {
		if (!(name in requested)) continue;
		const { label, min, max } = OPTION_RULES[name];
		const raw = requested[name];
		const value =
			typeof raw === 'number'
				? raw
				: typeof raw === 'string' && raw.trim() !== ''
					? Number(raw)
					: NaN;
		if (!Number.isInteger(value) || value < min || value > max) {
			throw new NodeOperationError(
				ctx.getNode(),
				`Request Options > ${label}: "${String(raw)}" is not a whole number from ${min} to ${max}`,
				{
					description: `Set "${label}" to a whole number from ${min} to ${max}. Nothing was sent to DingTalk.`,
				},
			);
		}
		options[name] = value;
	}
	return options;
}

/** What a signed download gives: the body as a stream, its size when the host said it, its first bytes. */
export interface SignedDownload {
	/** The body as it arrives; an empty file as an empty Buffer. */
	stream: (AsyncIterable<Buffer> & { destroy(): void }) | Buffer;
	size?: number;
	head: Buffer;
}

// Refresh this long before DingTalk's expiry (at most a tenth of the token's life), so no call races
// the end of a token's life.
const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
// A call refused for rate was not carried out: it is sent again in the next free slot, for this long.
const RATE_LIMIT_PATIENCE_MS = 5 * 60 * 1000;
const MAX_BACKOFF_MS = 8000;
// Module state of an app nobody used for this long is dropped (tokens live two hours).
const IDLE_STATE_EXPIRY_MS = 3 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;
// Node's network error codes that mean nothing reached DingTalk, so any call may be sent again.
const NOT_SENT_ERROR_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
]);
const NOT_RESENT =
	'It was not sent again, because DingTalk may already have delivered it: check the chat before running it again.';

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

/** A monotonic clock: rate windows and pauses must not stall or skip when the wall clock is set. */
const monotonicNow = () => performance.now();

interface TokenState {
	token?: string;
	/** Wall-clock time to stop using the token and fetch the next one (DingTalk's expiry is wall-clock). */
	refreshAt: number;
	/** DingTalk's expiry of the token, handed to the credential's authenticate with it. */
	expiresAt?: number;
	seeded: boolean;
	/** The fetch in progress; resolves to why it failed, or undefined when a token came. */
	refreshing?: Promise<TokenFetchFailure | undefined>;
	lastUsed: number;
}

// Module state lives as long as n8n's process: shared by every item and execution using the same app.
const tokenStates = new Map<string, TokenState>();
const rateWindows = new Map<string, RateWindow>();
let lastSweep = 0;

/** Drops the state of apps and APIs nobody used lately, so weeks of rotating secrets leave nothing behind. */
function sweepIdleState(now: number): void {
	if (now - lastSweep < SWEEP_EVERY_MS) return;
	lastSweep = now;
	for (const [key, state] of tokenStates) {
		if (!state.refreshing && now - state.lastUsed > IDLE_STATE_EXPIRY_MS) tokenStates.delete(key);
	}
	for (const [key, window] of rateWindows) {
		if (now - window.lastUsed > IDLE_STATE_EXPIRY_MS) rateWindows.delete(key);
	}
}

/** How many apps and app-API pairs the module keeps state for (for tests of its expiry). */
export function transportStateSize(): { tokens: number; rateWindows: number } {
	return { tokens: tokenStates.size, rateWindows: rateWindows.size };
}

function tokenStateOf(appIdentity: string): TokenState {
	let state = tokenStates.get(appIdentity);
	if (!state) {
		state = { refreshAt: 0, seeded: false, lastUsed: monotonicNow() };
		tokenStates.set(appIdentity, state);
	}
	state.lastUsed = monotonicNow();
	return state;
}

function rateWindowOf(key: string, ceiling: number): RateWindow {
	let window = rateWindows.get(key);
	if (!window) {
		window = newRateWindow(ceiling, monotonicNow());
		rateWindows.set(key, window);
	}
	return window;
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
 * Why no token came: DingTalk's answer or a network error code, and whether trying again can help.
 * Holds nothing of the failed request (its config carries the app secret or suite ticket).
 */
class TokenFetchFailure extends Error {
	constructor(
		readonly failure: DingTalkFailure | undefined,
		readonly networkCode: string | undefined,
	) {
		super('DingTalk issued no access token');
	}

	/** Rate-limit, busy and server answers and network errors pass; a wrong key or ticket does not. */
	get transient(): boolean {
		if (!this.failure) return true;
		const verdict = classifyAnswer('new', {
			status: this.failure.status,
			body: { code: this.failure.code },
		});
		return verdict.kind !== 'ok' && ['rateLimited', 'busy', 'maybeExecuted'].includes(verdict.kind);
	}
}

/**
 * The one place that sends requests to DingTalk: owns the token (fetched once per app, refreshed before
 * expiry and when DingTalk rejects it), the per-app-and-API rate limit, retries, error mapping and redaction.
 */
export class DingTalkTransport {
	readonly credentials: DingTalkAppCredentials;

	private readonly appIdentity: string;

	private readonly secrets: string[];

	private readonly cancelSignal?: AbortSignal;

	private constructor(
		private readonly ctx: TransportContext,
		credentialData: IDataObject,
		private readonly options: TransportOptions,
	) {
		this.credentials = asAppCredentials(credentialData as never);
		this.appIdentity = appIdentityOf(this.credentials);
		this.secrets = secretsOf(this.credentials);
		// Only an execution can be cancelled; a trigger closes its own connection.
		this.cancelSignal =
			'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
	}

	static async open(ctx: TransportContext, options: TransportOptions): Promise<DingTalkTransport> {
		const data = await ctx.getCredentials(CREDENTIAL_TYPE);
		sweepIdleState(monotonicNow());
		return new DingTalkTransport(ctx, data as IDataObject, options);
	}

	/** Sends a call and returns DingTalk's answer body; throws a NodeApiError that says what to do. */
	async call<T = IDataObject>(call: DingTalkCall, itemIndex: number): Promise<T> {
		const multipart = call.multipart ? await call.multipart() : undefined;
		let healed = false;
		let refusedSince: number | undefined;
		for (let attempt = 0; ; attempt++) {
			const canRetry = attempt < this.options.maxRetries;
			let outcome: Awaited<ReturnType<DingTalkTransport['sendWithToken']>>;
			try {
				outcome = await this.sendWithToken(call, multipart);
			} catch (error) {
				if (this.cancelSignal?.aborted) throw this.cancelled(itemIndex);
				if (error instanceof TokenFetchFailure) {
					// Nothing was sent: the call waits for its token. Each waiting call counts it as one attempt.
					if (error.transient && canRetry) {
						await this.wait(backoffMs(attempt), itemIndex);
						continue;
					}
					throw this.tokenError(error, itemIndex);
				}
				const code = networkCodeOf(error) ?? 'ERROR';
				if ((NOT_SENT_ERROR_CODES.has(code) || !call.sendsMessage) && canRetry) {
					await this.wait(backoffMs(attempt), itemIndex);
					continue;
				}
				throw this.networkError(code, call, itemIndex);
			}

			const verdict = classifyAnswer(call.family, outcome);
			const window = this.windowOf(call);
			if (verdict.kind === 'rateLimited') {
				// Not carried out: sent again in the next free slot, while everyone's allowance shrinks.
				recordRefused(window);
				refusedSince ??= monotonicNow();
				if (monotonicNow() - refusedSince < RATE_LIMIT_PATIENCE_MS) {
					attempt--;
					continue;
				}
			} else {
				recordAccepted(window, this.options.callsPerSecond);
				// Only accepted calls: a refusal may take a quicker way through DingTalk than a carried-out call.
				if (outcome.roundTrip) recordAnswer(outcome.roundTrip.sent, outcome.roundTrip.answeredAt);
			}
			if (verdict.kind === 'ok') return outcome.body as T;
			if (verdict.kind === 'invalidToken' && !healed) {
				// DingTalk did not carry the call out: get a new token and send it once more.
				healed = true;
				this.forgetToken(outcome.token);
				attempt--;
				continue;
			}
			if (
				(verdict.kind === 'busy' || (verdict.kind === 'maybeExecuted' && !call.sendsMessage)) &&
				canRetry
			) {
				await this.wait(backoffMs(attempt), itemIndex);
				continue;
			}
			const unsure =
				call.sendsMessage &&
				(verdict.kind === 'maybeExecuted' || verdict.kind === 'unexpectedAnswer');
			throw this.apiError(verdict.failure, itemIndex, call.path, unsure ? NOT_RESENT : undefined);
		}
	}

	/**
	 * Starts the download of a signed URL from DingTalk's file host. The file host is not DingTalk's
	 * API: no token goes with it, redirects are not followed, and the URL never appears in an error.
	 * A file larger than `maxBytes` (by the size the host announces) is refused before it is read.
	 */
	async downloadSignedFile<T>(
		url: string,
		itemIndex: number,
		maxBytes: number,
		consume: (download: SignedDownload) => Promise<T>,
		signedHeaders: Record<string, string> = {},
	): Promise<T> {
		const problem = signedUrlProblem(url, this.credentials.region === 'custom');
		if (problem) {
			throw this.fileHostError(
				'DingTalk gave a download link the node does not fetch',
				`The link was refused because ${problem}. Nothing was downloaded.`,
				itemIndex,
			);
		}
		for (let attempt = 0; ; attempt++) {
			let response: { statusCode: number; headers: Record<string, unknown>; body: unknown };
			try {
				response = (await this.ctx.helpers.httpRequest({
					method: 'GET',
					url,
					// A storage download is signed over these: they go exactly as DingTalk gave them.
					headers: { ...signedHeaders },
					encoding: 'stream',
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					disableFollowRedirect: true,
					timeout: this.options.timeout,
					abortSignal: this.cancelSignal,
				})) as typeof response;
			} catch (error) {
				if (this.cancelSignal?.aborted) throw this.cancelled(itemIndex);
				const code = networkCodeOf(error) ?? 'ERROR';
				if (attempt < this.options.maxRetries) {
					await this.wait(backoffMs(attempt), itemIndex);
					continue;
				}
				throw this.fileHostError(
					`Could not download the file from DingTalk's file host: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
					`Network error ${code}. Run the node again to get a fresh download link.`,
					itemIndex,
				);
			}
			const stream = response.body as AsyncIterable<Buffer> & { destroy(): void };
			const status = response.statusCode;
			if (status >= 200 && status < 300) {
				const announced = Number(response.headers['content-length']);
				const size = Number.isFinite(announced) && announced >= 0 ? announced : undefined;
				if (size !== undefined && size > maxBytes) {
					stream.destroy();
					throw this.fileHostError(
						`The file is ${size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} bytes allowed by "Max File Size"`,
						'Nothing was downloaded. Raise the "Max File Size" option to download it.',
						itemIndex,
					);
				}
				let head: Buffer;
				try {
					head = await peekHead(stream as never);
				} catch (error) {
					throw this.brokenDownload(error, 0, itemIndex);
				}
				// An empty file's stream has ended while its first bytes were looked for: a reader would wait
				// for an end that came before it listened.
				if (head.length === 0 && (stream as { readableEnded?: boolean }).readableEnded === true)
					return await consume({ stream: Buffer.alloc(0), size: 0, head });
				// Counted as they are handed on, whatever the host announced: a chunked answer has no size.
				const watch = watchBytes(stream as never, maxBytes);
				try {
					return await consume({ stream, size, head });
				} catch (error) {
					if (watch.overLimit) {
						throw this.fileHostError(
							`The file is larger than the ${maxBytes.toLocaleString('en-US')} bytes allowed by "Max File Size"`,
							'The download was stopped at the limit and nothing was kept. Raise the "Max File Size" option to download it.',
							itemIndex,
						);
					}
					if (this.cancelSignal?.aborted) throw this.cancelled(itemIndex);
					// The reader's own failure (n8n's binary store) is not the download's.
					if (watch.failure === undefined) throw asNodeError(error, this.ctx.getNode(), itemIndex);
					throw this.brokenDownload(watch.failure, watch.bytes, itemIndex);
				}
			}
			stream.destroy();
			if (status >= 500 && attempt < this.options.maxRetries) {
				await this.wait(backoffMs(attempt), itemIndex);
				continue;
			}
			const location = String(response.headers.location ?? '');
			const redirected =
				status >= 300 && status < 400
					? `It answered with a redirect to ${hostOf(location)}, which the node does not follow for downloads.`
					: status === 403
						? 'The link was refused (HTTP 403): it may have expired, as links are short-lived. Run the node again to get a fresh one.'
						: 'Run the node again to get a fresh download link.';
			throw this.fileHostError(
				`DingTalk's file host did not hand over the file (HTTP ${status})`,
				redirected,
				itemIndex,
				String(status),
			);
		}
	}

	/**
	 * Asks DingTalk's Stream gateway for a WebSocket endpoint and a one-time ticket. It takes the app's client
	 * ID and secret, no token; one attempt (the trigger's reconnect loop decides when to try again). Neither the
	 * secret nor the ticket appears in an error.
	 */
	async openStreamConnection(): Promise<StreamConnectionGrant> {
		const call: DingTalkCall = {
			family: 'new',
			method: 'POST',
			path: STREAM_CONNECTION_PATH,
			sendsMessage: false,
		};
		await this.takeRateSlot(this.windowOf(call));
		let response: { statusCode: number; body: unknown; headers?: Record<string, unknown> };
		try {
			response = (await this.ctx.helpers.httpRequest({
				method: 'POST',
				baseURL: baseUrlsOf(this.credentials).new,
				url: STREAM_CONNECTION_PATH,
				// Without it the gateway answers in XML.
				headers: { accept: 'application/json', 'content-type': 'application/json' },
				body: {
					...streamClientOf(this.credentials),
					ua: 'n8n-nodes-dingtalk-files',
					subscriptions: STREAM_SUBSCRIPTIONS,
				},
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				// The app secret is in the body: it goes to the configured host and nowhere else.
				disableFollowRedirect: true,
				timeout: this.options.timeout,
			})) as typeof response;
		} catch (error) {
			const code = networkCodeOf(error) ?? 'ERROR';
			return { ok: false, final: false, error: this.networkError(code, call, 0) };
		}
		const answer = {
			status: response.statusCode,
			body: parseBody(response.body),
			headers: response.headers,
		};
		const verdict = classifyAnswer('new', answer);
		if (verdict.kind === 'ok') {
			const { endpoint, ticket } = (answer.body ?? {}) as { endpoint?: unknown; ticket?: unknown };
			const granted =
				typeof endpoint === 'string' && endpoint !== '' && typeof ticket === 'string' && ticket;
			const problem = granted
				? streamEndpointProblem(endpoint, this.credentials.region === 'custom')
				: 'the answer has no endpoint and ticket';
			if (granted && !problem) return { ok: true, endpoint, ticket };
			// Tried again with backoff: the next answer may hold another endpoint.
			const failure: DingTalkFailure = {
				status: answer.status,
				code: granted ? 'streamEndpointRefused' : 'unexpectedAnswer',
				message: granted ? `refused because ${problem}` : String(problem),
			};
			return { ok: false, final: false, error: this.apiError(failure, 0, call.path) };
		}
		return {
			ok: false,
			final: streamRefusalIsFinal(verdict),
			error: this.apiError(verdict.failure, 0, call.path),
		};
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
		const problem = signedUrlProblem(upload.url, this.credentials.region === 'custom');
		if (problem) {
			throw this.fileHostError(
				'DingTalk gave an upload address the node does not send the file to',
				`The address was refused because ${problem}. Nothing was stored.`,
				itemIndex,
			);
		}
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
					abortSignal: this.cancelSignal,
				})) as { statusCode: number; body: unknown };
			} catch (error) {
				if (this.cancelSignal?.aborted) throw this.cancelled(itemIndex);
				if (attempt < this.options.maxRetries) {
					await this.wait(backoffMs(attempt), itemIndex);
					continue;
				}
				const code = networkCodeOf(error) ?? 'ERROR';
				throw this.fileHostError(
					`Could not upload the file to DingTalk's file storage: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
					`Network error ${code}. Nothing was stored; run the node again.`,
					itemIndex,
				);
			}
			if (response.statusCode >= 200 && response.statusCode < 300) return;
			if (response.statusCode >= 500 && attempt < this.options.maxRetries) {
				await this.wait(backoffMs(attempt), itemIndex);
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

	/**
	 * Posts a reply to a robot message's own reply address (its sessionWebhook). Only DingTalk's hosts
	 * (or a Custom credential's own) are accepted; no token goes with it and no redirect is followed. A
	 * reply is a send: never repeated once it may have reached DingTalk. An expired session is not an
	 * error here: the caller decides what to do (fall back to a send, or fail).
	 */
	async replyThroughSession(
		url: string,
		body: IDataObject,
		itemIndex: number,
	): Promise<{ expired: boolean }> {
		const problem = sessionWebhookProblem(url, ownHostsOf(this.credentials));
		if (problem) {
			throw new NodeOperationError(
				this.ctx.getNode(),
				`Reply Address: the node does not send replies to this address, because ${problem}`,
				{
					itemIndex,
					description:
						"Give the sessionWebhook of a message from a DingTalk Robot Trigger (it points to DingTalk's oapi host). Nothing was sent.",
				},
			);
		}
		const call: DingTalkCall = {
			family: 'legacy',
			method: 'POST',
			path: SESSION_REPLY_PATH,
			sendsMessage: true,
		};
		for (let attempt = 0; ; attempt++) {
			const window = this.windowOf(call);
			await this.takeRateSlot(window);
			let response: { statusCode: number; body: unknown; headers?: Record<string, unknown> };
			try {
				response = (await this.ctx.helpers.httpRequest({
					method: 'POST',
					url,
					body,
					json: true,
					headers: { 'content-type': 'application/json' },
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					disableFollowRedirect: true,
					timeout: this.options.timeout,
					abortSignal: this.cancelSignal,
				})) as typeof response;
			} catch (error) {
				if (this.cancelSignal?.aborted) throw this.cancelled(itemIndex);
				const code = networkCodeOf(error) ?? 'ERROR';
				if (NOT_SENT_ERROR_CODES.has(code) && attempt < this.options.maxRetries) {
					await this.wait(backoffMs(attempt), itemIndex);
					continue;
				}
				throw this.networkError(code, call, itemIndex);
			}
			const answer = parseBody(response.body);
			if (
				response.statusCode < 300 &&
				String((answer as IDataObject | null)?.errcode) === SESSION_EXPIRED_ERRCODE
			)
				return { expired: true };
			const verdict = classifyAnswer('legacy', {
				status: response.statusCode,
				body: answer,
				headers: response.headers,
			});
			if (verdict.kind === 'ok') return { expired: false };
			if (verdict.kind === 'rateLimited' && attempt < this.options.maxRetries) {
				// Refused for the rate limit: not carried out, so it may go again.
				recordRefused(window);
				await this.wait(backoffMs(attempt), itemIndex);
				continue;
			}
			const unsure = verdict.kind === 'maybeExecuted' || verdict.kind === 'unexpectedAnswer';
			throw this.apiError(verdict.failure, itemIndex, undefined, unsure ? NOT_RESENT : undefined);
		}
	}

	/** Sends one attempt with the app's current token, becoming the one that fetches it when there is none. */
	private async sendWithToken(
		call: DingTalkCall,
		multipart: { body: Buffer; contentType: string } | undefined,
	) {
		const state = tokenStateOf(this.appIdentity);
		for (;;) {
			if (state.refreshing) {
				const failure = await state.refreshing;
				if (failure) throw failure;
				continue;
			}
			if (!state.seeded) {
				// A token n8n stored in the credential by an earlier execution serves until its expiry, when
				// it was issued for this app as configured now.
				state.seeded = true;
				const stored = storedTokenOf(this.credentials);
				const expiresAt = Number(this.credentials.expiresAt) || 0;
				if (!state.token && stored && expiresAt - TOKEN_REFRESH_MARGIN_MS > Date.now()) {
					state.token = stored;
					state.refreshAt = expiresAt - TOKEN_REFRESH_MARGIN_MS;
					state.expiresAt = expiresAt;
				}
			}
			if (state.token && state.refreshAt > Date.now()) {
				const token = state.token;
				return { ...(await this.send(call, multipart, token)), token };
			}
			// No usable token: this call fetches one through n8n (the credential's preAuthentication, which
			// n8n persists), while every other call for the same app waits for it.
			const credentials: DingTalkAppCredentials = { ...this.credentials, accessToken: '' };
			let result: Awaited<ReturnType<DingTalkTransport['send']>> | undefined;
			let callError: unknown;
			const refresh = (async () => {
				try {
					result = await this.send(call, multipart, credentials);
				} catch (error) {
					if (!credentials.accessToken) return tokenFetchFailureOf(error, credentials);
					callError = error;
				}
				const now = Date.now();
				const expiresAt =
					Number(credentials.expiresAt) || now + DEFAULT_TOKEN_LIFETIME_SECONDS * 1000;
				state.token = credentials.accessToken;
				state.refreshAt = expiresAt - Math.min(TOKEN_REFRESH_MARGIN_MS, (expiresAt - now) / 10);
				state.expiresAt = expiresAt;
				return undefined;
			})();
			state.refreshing = refresh;
			let failure: TokenFetchFailure | undefined;
			try {
				failure = await refresh;
			} finally {
				state.refreshing = undefined;
			}
			if (failure) throw failure;
			if (callError) throw callError;
			return { ...result!, token: credentials.accessToken ?? '' };
		}
	}

	/** Waits, unless n8n cancels the execution first. */
	private async wait(ms: number, itemIndex?: number): Promise<void> {
		if (!(await waitUnlessCancelled(ms, this.cancelSignal))) throw this.cancelled(itemIndex);
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

	private windowOf(call: DingTalkCall): RateWindow {
		return rateWindowOf(this.rateKey(call), this.options.callsPerSecond);
	}

	/** Waits for the next free slot of DingTalk's limit as we know it, and books it. */
	private async takeRateSlot(window: RateWindow): Promise<SentCall> {
		for (;;) {
			const now = monotonicNow();
			const delay = delayBeforeNextCall(window, this.options.callsPerSecond, now);
			if (delay === 0) return bookCall(window, this.options.callsPerSecond, now);
			await this.wait(delay);
		}
	}

	private forgetToken(rejected: string): void {
		const state = tokenStateOf(this.appIdentity);
		// Only the first call to see this token rejected drops it; the others then use its successor.
		if (state.token === rejected) {
			state.token = undefined;
			state.refreshAt = 0;
		}
	}

	private async send(
		call: DingTalkCall,
		multipart: { body: Buffer; contentType: string } | undefined,
		tokenOrCredentials: string | DingTalkAppCredentials,
	) {
		const window = this.windowOf(call);
		const sent = await this.takeRateSlot(window);
		const credentials =
			typeof tokenOrCredentials === 'string'
				? {
						...this.credentials,
						accessToken: tokenOrCredentials,
						expiresAt: tokenStateOf(this.appIdentity).expiresAt,
						tokenIssuedFor: this.appIdentity,
					}
				: tokenOrCredentials;
		const fetchesToken = !credentials.accessToken;
		const request: IHttpRequestOptions = {
			method: call.method,
			baseURL: baseUrlsOf(this.credentials)[call.family],
			url: fillPath(call.path, call.pathParams),
			qs: call.query ? { ...call.query } : undefined,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			// The token goes with every call: a redirect would carry it (and a re-posted body) elsewhere.
			disableFollowRedirect: true,
			timeout: this.options.timeout,
			abortSignal: this.cancelSignal,
		};
		if (multipart) {
			request.body = multipart.body;
			request.headers = { 'content-type': multipart.contentType };
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
		const answeredAt = monotonicNow();
		// A call that first fetched a token reached DingTalk only after that fetch: it counts from when its
		// answer came, the latest it can have arrived (and its round trip says nothing of the way there).
		if (fetchesToken) rebookCall(window, this.options.callsPerSecond, sent, answeredAt);
		return {
			status: response.statusCode,
			body: parseBody(response.body),
			headers: response.headers,
			roundTrip: fetchesToken ? undefined : { sent, answeredAt },
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
			guide
				? `What to do: ${guide.action
						.replace('{scopes}', scopes)
						.replace('{permission}', needed ?? 'this operation needs')}`
				: undefined,
			needed && PERMISSION_CODES.has(failure.code)
				? `This operation needs the app permission ${needed}.`
				: undefined,
			extra,
		]
			.filter(Boolean)
			.join('\n');
		const response: JsonObject = {
			code: failure.code,
			message: dingTalkMessage,
			requestId: failure.requestId ?? null,
		};
		if (failure.requiredScopes) response.requiredScopes = failure.requiredScopes;
		const error = nodeApiError(
			this.ctx,
			response,
			message,
			description,
			itemIndex,
			String(failure.status),
		);
		// Continue On Fail puts these in the error item, so workflows can branch on DingTalk's code.
		error.context.dingTalk = { code: failure.code, requestId: failure.requestId };
		return error;
	}

	private tokenError(failure: TokenFetchFailure, itemIndex: number): NodeApiError {
		const nothingSent = 'Nothing was sent: every call waits for its access token first.';
		if (failure.failure) {
			return this.apiError(
				failure.failure,
				itemIndex,
				undefined,
				`DingTalk issued no access token. ${nothingSent}`,
			);
		}
		const code = failure.networkCode ?? 'ERROR';
		return nodeApiError(
			this.ctx,
			{ networkError: code },
			`Could not reach DingTalk to get an access token: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
			`Network error ${code}. ${nothingSent} Check the network and the credential's region or base URLs.`,
			itemIndex,
		);
	}

	private networkError(code: string, call: DingTalkCall, itemIndex: number): NodeApiError {
		const unsure = call.sendsMessage && !NOT_SENT_ERROR_CODES.has(code);
		return nodeApiError(
			this.ctx,
			{ networkError: code },
			`Could not reach DingTalk: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
			`Network error ${code}. ` +
				(unsure ? NOT_RESENT : "Check the network and the credential's region or base URLs."),
			itemIndex,
		);
	}

	private fileHostError(
		message: string,
		description: string,
		itemIndex: number,
		httpCode?: string,
	): NodeApiError {
		return nodeApiError(this.ctx, { fileHost: message }, message, description, itemIndex, httpCode);
	}

	/** A download whose connection broke after `bytes` bytes: the node's words, never the URL. */
	private brokenDownload(error: unknown, bytes: number, itemIndex: number): NodeApiError {
		const code = networkCodeOf(error) ?? 'ERROR';
		// Mid-file, a reset connection is not "cut before an answer came".
		const words = code === 'ECONNRESET' ? 'the connection was cut' : NETWORK_ERROR_WORDS[code];
		return this.fileHostError(
			`The download from DingTalk's file host broke off after ${bytes.toLocaleString('en-US')} bytes: ${words ?? 'the connection failed'}`,
			`Network error ${code}. Nothing was kept; run the node again to get a fresh download link.`,
			itemIndex,
		);
	}

	private cancelled(itemIndex?: number): NodeOperationError {
		return new NodeOperationError(this.ctx.getNode(), 'The execution was cancelled', { itemIndex });
	}
}

/**
 * A NodeApiError that says exactly what we wrote. n8n replaces a message that mentions a network
 * code (ETIMEDOUT, ECONNRESET, …) with its own text, which invites a retry: wrong for a send that may
 * have been delivered, so message and description are set again after n8n's constructor.
 */
function nodeApiError(
	ctx: { getNode(): INode },
	response: JsonObject,
	message: string,
	description: string,
	itemIndex: number,
	httpCode?: string,
): NodeApiError {
	const error = new NodeApiError(ctx.getNode(), response, {
		message,
		description,
		httpCode,
		itemIndex,
	});
	error.message = message;
	error.description = description;
	return error;
}

/** An error as n8n shows it: n8n's own errors as they are, anything else wrapped, its message kept. */
function asNodeError(error: unknown, node: INode, itemIndex: number): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(node, error as Error, { itemIndex });
}

/** A failed token fetch reduced to DingTalk's reason or the network code: the raw error is dropped. */
function tokenFetchFailureOf(error: unknown, credentials: object): TokenFetchFailure {
	const answered = (credentials as Record<symbol, DingTalkFailure | undefined>)[TOKEN_FAILURE];
	return new TokenFetchFailure(answered, answered ? undefined : (networkCodeOf(error) ?? 'ERROR'));
}

/** Waits; false when n8n cancelled the execution before the time was up. */
async function waitUnlessCancelled(ms: number, signal?: AbortSignal): Promise<boolean> {
	if (!signal) {
		await sleep(ms);
		return true;
	}
	if (signal.aborted) return false;
	let onAbort = () => {};
	const aborted = new Promise<boolean>((resolve) => {
		onAbort = () => resolve(false);
		signal.addEventListener('abort', onAbort, { once: true });
	});
	// n8n 2.x's sleep ends early on abort; 1.x's ignores the signal, hence the race.
	const slept = (sleep as (ms: number, signal?: AbortSignal) => Promise<void>)(ms, signal).then(
		() => !signal.aborted,
		() => false,
	);
	try {
		return await Promise.race([slept, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}

/**
 * Counts the bytes a download's stream hands to its reader, however it is read (piped, iterated or
 * listened to: each chunk is emitted as `data`), and stops it with an error past `maxBytes`. It watches
 * the stream's events instead of adding a listener, which would set the stream flowing before its
 * reader is attached.
 */
function watchBytes(
	stream: {
		emit(event: string | symbol, ...args: unknown[]): boolean;
		destroy(error?: Error): void;
	},
	maxBytes: number,
): { bytes: number; overLimit: boolean; failure: unknown } {
	const watch = { bytes: 0, overLimit: false, failure: undefined as unknown };
	const emit = stream.emit.bind(stream);
	stream.emit = (event, ...args) => {
		if (event === 'data' && !watch.overLimit) {
			watch.bytes += (args[0] as Buffer).length;
			if (watch.bytes > maxBytes) {
				watch.overLimit = true;
				stream.destroy(new Error('the file is larger than Max File Size'));
				return false;
			}
		} else if (event === 'error') {
			watch.failure ??= args[0] ?? new Error('the download failed');
		}
		return emit(event, ...args);
	};
	return watch;
}

/** The first bytes of a download, read and put back so the stream still yields the whole file. */
async function peekHead(
	stream: AsyncIterable<Buffer> & {
		once(event: string, listener: (...args: unknown[]) => void): void;
		on(event: string, listener: (...args: unknown[]) => void): void;
		removeListener(event: string, listener: (...args: unknown[]) => void): void;
		read(): Buffer | null;
		unshift(chunk: Buffer): void;
		readableEnded?: boolean;
	},
): Promise<Buffer> {
	if (stream.readableEnded) return Buffer.alloc(0);
	return await new Promise((resolve, reject) => {
		const done = (head: Buffer) => {
			stream.removeListener('readable', onReadable);
			stream.removeListener('end', onEnd);
			stream.removeListener('error', onError);
			resolve(head);
		};
		const onReadable = () => {
			const chunk = stream.read();
			if (chunk === null) return;
			stream.unshift(chunk);
			done(chunk.subarray(0, 4096));
		};
		const onEnd = () => done(Buffer.alloc(0));
		const onError = (error: unknown) => {
			stream.removeListener('readable', onReadable);
			stream.removeListener('end', onEnd);
			reject(error);
		};
		stream.on('readable', onReadable);
		stream.once('end', onEnd);
		stream.once('error', onError);
	});
}

function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return 'an address it did not give';
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
