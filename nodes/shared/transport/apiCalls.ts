import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestOptions,
	INode,
} from 'n8n-workflow';
import {
	appIdentityOf,
	asAppCredentials,
	baseUrlsOf,
	secretsOf,
	type DingTalkAppCredentials,
} from '../app';
import { SYSTEM_CLOCK, type Clock } from '../clock';
import {
	rebookCall,
	recordAccepted,
	recordAnswer,
	recordRefused,
	type RateWindow,
	type SentCall,
} from '../rate';
import { classifyAnswer, type ApiFamily } from '../wire';
import { apiError, cancelled, networkCodeOf, networkError, NOT_RESENT, tokenError } from './errors';
import { downloadSignedFile, putSignedFile } from './fileHost';
import type { TransportOptions } from './options';
import { rateWindowCount, rateWindowOf, sweepIdleRateWindows, takeRateSlot } from './rateWindows';
import {
	backoffMs,
	failedAttemptOfNetworkCode,
	failedAttemptOfVerdict,
	RATE_LIMIT_PATIENCE_MS,
	shouldRetry,
	type FailedAttempt,
} from './retry';
import { CREDENTIAL_TYPE, parseBody, type TransportContext, type TransportScope } from './scope';
import { replyThroughSession } from './sessionReply';
import { openStreamConnection, type StreamConnectionGrant } from './streamGateway';
import {
	currentTokenOf,
	forgetToken,
	sendWithToken,
	sweepIdleTokens,
	tokenCount,
	TokenFetchFailure,
} from './token';

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
	/**
	 * Whether the call may be sent again after DingTalk may have carried it out (a lost answer, a 5xx):
	 * true for look-ups and uploads, false for sends (duplicates in a chat), storage commits and deletes.
	 */
	repeatable: boolean;
}

/** A module function's parameters after the scope the transport hands it. */
type WithoutScope<P> = P extends [TransportScope, ...infer Rest] ? Rest : never;

/** Time as the transport sees it; tests give their own. */
export interface TransportTime {
	clock?: Clock;
	/** For the backoff's spread (0 to 1). */
	random?: () => number;
}

// Module state of an app nobody used for this long is dropped (tokens live two hours).
const IDLE_STATE_EXPIRY_MS = 3 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;
let lastSweep = 0;

/** Drops the state of apps and APIs nobody used lately, so weeks of rotating secrets leave nothing behind. */
function sweepIdleState(now: number): void {
	if (now - lastSweep < SWEEP_EVERY_MS) return;
	lastSweep = now;
	sweepIdleTokens(now, IDLE_STATE_EXPIRY_MS);
	sweepIdleRateWindows(now, IDLE_STATE_EXPIRY_MS);
}

/** How many apps and app-API pairs the module keeps state for (for tests of its expiry). */
export function transportStateSize(): { tokens: number; rateWindows: number } {
	return { tokens: tokenCount(), rateWindows: rateWindowCount() };
}

/**
 * The one place that sends requests to DingTalk: owns the token (fetched once per app, refreshed before
 * expiry and when DingTalk rejects it), the per-app-and-API rate limit, retries, error mapping and
 * redaction. The file host, the Stream gateway and session replies are in their own modules; they
 * share this run's scope.
 */
export class DingTalkTransport implements TransportScope {
	readonly credentials: DingTalkAppCredentials;

	readonly cancelSignal?: AbortSignal;

	readonly clock: Clock;

	readonly random: () => number;

	private readonly appIdentity: string;

	private readonly credentialSecrets: string[];

	/** The waits in progress, each ended early when n8n cancels the execution. */
	private readonly waiting = new Set<AbortController>();

	private constructor(
		readonly ctx: TransportContext,
		credentialData: IDataObject,
		readonly options: TransportOptions,
		time: TransportTime,
	) {
		this.credentials = asAppCredentials(credentialData as never);
		this.appIdentity = appIdentityOf(this.credentials);
		this.credentialSecrets = secretsOf(this.credentials);
		this.clock = time.clock ?? SYSTEM_CLOCK;
		this.random = time.random ?? Math.random;
		// Only an execution can be cancelled; a trigger closes its own connection.
		this.cancelSignal =
			'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
		// One listener for every wait of this run: 50 items waiting for their rate slot would otherwise
		// hang 50 listeners on n8n's one signal.
		this.cancelSignal?.addEventListener(
			'abort',
			() => {
				for (const wake of this.waiting) wake.abort();
			},
			{ once: true },
		);
	}

	static async open(
		ctx: TransportContext,
		options: TransportOptions,
		time: TransportTime = {},
	): Promise<DingTalkTransport> {
		const data = await ctx.getCredentials(CREDENTIAL_TYPE);
		const transport = new DingTalkTransport(ctx, data as IDataObject, options, time);
		sweepIdleState(transport.clock.now());
		return transport;
	}

	/** Sends a call and returns DingTalk's answer body; throws a NodeApiError that says what to do. */
	async call<T = IDataObject>(call: DingTalkCall, itemIndex: number): Promise<T> {
		const multipart = call.multipart ? await call.multipart() : undefined;
		let healed = false;
		let refusedSince: number | undefined;
		for (let attempt = 0; ; attempt++) {
			let outcome: Awaited<ReturnType<DingTalkTransport['sendWithToken']>>;
			try {
				outcome = await this.sendWithToken(call, multipart);
			} catch (error) {
				if (this.cancelSignal?.aborted) throw cancelled(this.node(), itemIndex);
				if (error instanceof TokenFetchFailure) {
					// Nothing was sent: the call waits for its token. Each waiting call counts it as one attempt.
					if (
						error.transient &&
						(await this.tryAgain(attempt, 'notSent', call.repeatable, itemIndex))
					)
						continue;
					throw tokenError(this.node(), this.secrets(), error, itemIndex);
				}
				const code = networkCodeOf(error) ?? 'ERROR';
				const failed = failedAttemptOfNetworkCode(code);
				if (await this.tryAgain(attempt, failed, call.repeatable, itemIndex)) continue;
				throw networkError(this.node(), code, call.repeatable, itemIndex);
			}

			const verdict = classifyAnswer(call.family, outcome);
			const window = this.rateWindowOf(call);
			if (verdict.kind === 'rateLimited') {
				// Not carried out: sent again in the next free slot, while everyone's allowance shrinks.
				recordRefused(window);
				refusedSince ??= this.clock.now();
				if (this.clock.now() - refusedSince < RATE_LIMIT_PATIENCE_MS) {
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
				forgetToken(this.appIdentity, outcome.token, this.clock.now());
				attempt--;
				continue;
			}
			const failed =
				verdict.kind === 'rateLimited' ? undefined : failedAttemptOfVerdict(verdict.kind);
			if (failed && (await this.tryAgain(attempt, failed, call.repeatable, itemIndex))) continue;
			const unsure =
				!call.repeatable &&
				(verdict.kind === 'maybeExecuted' || verdict.kind === 'unexpectedAnswer');
			throw apiError(
				this.node(),
				this.secrets(),
				verdict.failure,
				itemIndex,
				call.path,
				unsure ? NOT_RESENT : undefined,
			);
		}
	}

	/** Starts the download of a signed URL from DingTalk's file host (see fileHost.ts). */
	async downloadSignedFile<T>(
		...args: WithoutScope<Parameters<typeof downloadSignedFile<T>>>
	): Promise<T> {
		return await downloadSignedFile<T>(this, ...args);
	}

	/** Uploads a file with a signed PUT to DingTalk storage (see fileHost.ts). */
	async putSignedFile(...args: WithoutScope<Parameters<typeof putSignedFile>>): Promise<void> {
		return await putSignedFile(this, ...args);
	}

	/** Asks DingTalk's Stream gateway for an endpoint and ticket (see streamGateway.ts). */
	async openStreamConnection(): Promise<StreamConnectionGrant> {
		return await openStreamConnection(this);
	}

	/** Posts a reply to a robot message's sessionWebhook (see sessionReply.ts). */
	async replyThroughSession(
		...args: WithoutScope<Parameters<typeof replyThroughSession>>
	): Promise<{ expired: boolean }> {
		return await replyThroughSession(this, ...args);
	}

	node(): INode {
		return this.ctx.getNode();
	}

	/** The credential's secrets and the token in use now, which may have been fetched during this run. */
	secrets(): string[] {
		const { token } = currentTokenOf(this.appIdentity, this.clock.now());
		return token ? [...this.credentialSecrets, token] : this.credentialSecrets;
	}

	async tryAgain(
		attempt: number,
		failed: FailedAttempt,
		repeatable: boolean,
		itemIndex: number,
	): Promise<boolean> {
		if (!shouldRetry(attempt, this.options.maxRetries, failed, repeatable)) return false;
		await this.wait(backoffMs(attempt, this.random), itemIndex);
		return true;
	}

	async wait(ms: number, itemIndex?: number): Promise<void> {
		if (this.cancelSignal?.aborted) throw cancelled(this.node(), itemIndex);
		const wake = new AbortController();
		this.waiting.add(wake);
		try {
			await this.clock.sleep(ms, wake.signal);
		} finally {
			this.waiting.delete(wake);
		}
		if (this.cancelSignal?.aborted) throw cancelled(this.node(), itemIndex);
	}

	/** DingTalk's limit belongs to the app and the API. */
	rateWindowOf(api: { family: ApiFamily; path: string }): RateWindow {
		return rateWindowOf(
			`${this.appIdentity} ${api.family} ${api.path}`,
			this.options.callsPerSecond,
			this.clock.now(),
		);
	}

	async takeRateSlot(api: { family: ApiFamily; path: string }): Promise<SentCall> {
		return await takeRateSlot(
			this.rateWindowOf(api),
			this.options.callsPerSecond,
			this.clock,
			async (ms) => await this.wait(ms),
		);
	}

	/** Sends one attempt with the app's current token, becoming the one that fetches it when there is none. */
	private async sendWithToken(
		call: DingTalkCall,
		multipart: { body: Buffer; contentType: string } | undefined,
	) {
		return await sendWithToken(
			this.appIdentity,
			this.credentials,
			this.clock.now(),
			async (tokenOrCredentials) => await this.send(call, multipart, tokenOrCredentials),
		);
	}

	private async send(
		call: DingTalkCall,
		multipart: { body: Buffer; contentType: string } | undefined,
		tokenOrCredentials: string | DingTalkAppCredentials,
	) {
		const window = this.rateWindowOf(call);
		const sent = await this.takeRateSlot(call);
		const credentials =
			typeof tokenOrCredentials === 'string'
				? {
						...this.credentials,
						accessToken: tokenOrCredentials,
						expiresAt: currentTokenOf(this.appIdentity, this.clock.now()).expiresAt,
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
		const node = this.node();
		const response = (await this.ctx.helpers.httpRequestWithAuthentication.call(
			this.ctx,
			CREDENTIAL_TYPE,
			request,
			{
				credentialsDecrypted: {
					id: node.credentials?.[CREDENTIAL_TYPE]?.id ?? '',
					name: node.credentials?.[CREDENTIAL_TYPE]?.name ?? '',
					type: CREDENTIAL_TYPE,
					data: credentials as unknown as ICredentialDataDecryptedObject,
				},
			},
		)) as { statusCode: number; body: unknown; headers?: Record<string, unknown> };
		const answeredAt = this.clock.now();
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
}

function fillPath(path: string, params: Record<string, string> = {}): string {
	return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}
