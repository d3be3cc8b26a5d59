/**
 * The one retry policy of every loop that talks to DingTalk (API calls, the file host, session
 * replies): how many attempts, how long between them, and which failures may be repeated. A call that
 * is not repeatable (a send, a storage commit, a delete) is never sent again once DingTalk may have
 * carried it out.
 */

import type { Verdict } from '../wire';

/** How a failed attempt ended, as far as repeating it goes. */
export type FailedAttempt =
	/** Nothing reached the host (connection refused, host not found), or no token came: nothing happened. */
	| 'notSent'
	/** The host said it did nothing and to try later (busy, or refused for rate). */
	| 'refused'
	/** The request may have reached the host: a cut connection, a timeout, a 5xx answer. */
	| 'maybeCarriedOut';

// Node's network error codes that mean nothing reached the host, so any call may be sent again.
export const NOT_SENT_ERROR_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
]);

/** A network error, read as far as repeating it goes. */
export function failedAttemptOfNetworkCode(code: string): FailedAttempt {
	return NOT_SENT_ERROR_CODES.has(code) ? 'notSent' : 'maybeCarriedOut';
}

/** Whether an attempt that failed this way may be sent again (attempts left aside). */
export function mayRepeat(failed: FailedAttempt, repeatable: boolean): boolean {
	return failed !== 'maybeCarriedOut' || repeatable;
}

const FIRST_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 8000;

/** The wait before attempt `attempt + 1`: 0.5 s × 2^n up to 8 s, a random 50 to 100 % of it (callers apart). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
	const base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
	return base / 2 + random() * (base / 2);
}

/**
 * A call refused for DingTalk's rate limit was not carried out: it goes again in the next free slot
 * (no backoff: the rate window spaces it), for this long before the refusal is shown.
 */
export const RATE_LIMIT_PATIENCE_MS = 5 * 60 * 1000;

/**
 * Whether to try again after attempt `attempt` (0 for the first) failed: the failure allows it and
 * attempts are left (`maxRetries` after the first).
 */
export function shouldRetry(
	attempt: number,
	maxRetries: number,
	failed: FailedAttempt,
	repeatable: boolean,
): boolean {
	return attempt < maxRetries && mayRepeat(failed, repeatable);
}

/** An answer's verdict, read as far as repeating it goes; undefined when no attempt can change it. */
export function failedAttemptOfVerdict(kind: Verdict['kind']): FailedAttempt | undefined {
	if (kind === 'busy' || kind === 'rateLimited') return 'refused';
	if (kind === 'maybeExecuted') return 'maybeCarriedOut';
	return undefined;
}
