import type {
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INode,
	ITriggerFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';
import type { DingTalkAppCredentials } from '../app';
import type { Clock } from '../clock';
import type { RateWindow, SentCall } from '../rate';
import type { ApiFamily } from '../wire';
import type { TransportOptions } from './options';
import type { FailedAttempt } from './retry';

export const CREDENTIAL_TYPE = 'dingTalkApi';

/** A regular node's execution or a trigger's: they have the binary helpers too. */
export type ExecutionContext = IExecuteFunctions | ITriggerFunctions | IWebhookFunctions;

/** Where the transport runs: an execution, or the editor loading a picker's list (credential and request helpers). */
export type TransportContext = ExecutionContext | ILoadOptionsFunctions;

/**
 * What the transport's parts (API calls, file host, Stream gateway, session replies) share for one
 * node run: the context, the app, the options, time, and the rate window.
 */
export interface TransportScope {
	readonly ctx: TransportContext;
	readonly credentials: DingTalkAppCredentials;
	readonly options: TransportOptions;
	readonly clock: Clock;
	readonly random: () => number;
	/** Only an execution can be cancelled; a trigger closes its own connection. */
	readonly cancelSignal?: AbortSignal;
	node(): INode;
	/** The credential's secrets and the token in use now: hidden in every message. */
	secrets(): string[];
	/** Waits `ms`; throws the cancellation when n8n cancels the execution first. */
	wait(ms: number, itemIndex?: number): Promise<void>;
	/**
	 * The retry policy applied: true, after the backoff, when attempt `attempt` (0 for the first) failed
	 * in a way that may be repeated and attempts are left; false when it must not go again.
	 */
	tryAgain(
		attempt: number,
		failed: FailedAttempt,
		repeatable: boolean,
		itemIndex: number,
	): Promise<boolean>;
	/** The rate window of this app and an API (DingTalk's limit belongs to both). */
	rateWindowOf(api: { family: ApiFamily; path: string }): RateWindow;
	/** Waits for the next free slot of DingTalk's limit for this app and API, and books it. */
	takeRateSlot(api: { family: ApiFamily; path: string }): Promise<SentCall>;
}

/** A body as DingTalk's JSON when it is JSON, else as it came. */
export function parseBody(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	try {
		return JSON.parse(body);
	} catch {
		return body;
	}
}
