import { RATE_WINDOW_MS } from './wire';

/**
 * DingTalk's limit of calls per second per app and API, kept from our side by pacing: calls to one app
 * and API leave at least (1,000 ms + margin) / allowance apart, on a monotonic clock.
 *
 * - Paced, not in bursts: a burst of 20 calls leaves n8n over some 100 ms (each request is prepared
 *   in turn), so counting them when they were booked would let the next burst overlap them at
 *   DingTalk. Evenly spaced calls leave when they are booked, and the floor of (calls - 1) / rate is
 *   reached.
 * - On schedule: a call that leaves a few milliseconds late (a timer fires after its time) does not
 *   push every later call back; one that leaves later than that (a busy process), or the first after
 *   an idle spell, starts the schedule again from now, so calls are never bunched to catch up.
 * - No blanket slack: a call refused for rate was not carried out, so an occasional refusal sent
 *   again in the next free slot is cheaper than a margin on every call. Each refusal widens the
 *   spacing a little (the margin) and lowers the allowance by a tenth; successes raise the allowance
 *   by a few calls per second of successes and narrow the margin again. Processes that share one
 *   app (queue-mode workers, two n8n instances) each settle at their share of DingTalk's limit
 *   without failing calls, and one left alone soon takes the whole limit again.
 * - The node's Calls per Second option stays the ceiling.
 */
export interface RateWindow {
	/** Monotonic time from which the next call may leave. */
	nextFreeAt: number;
	/** Calls allowed per second now: at most the ceiling, lowered by refusals. */
	allowance: number;
	/** Milliseconds added to each second after refusals; shrinks while calls succeed. */
	marginMs: number;
	lastUsed: number;
}

// Tuned in a simulation of DingTalk's rolling window (test/unit/rate.test.ts) and measured with
// `npm run bench`.
const RAISE_PER_SECOND_OF_SUCCESSES = 3;
const LOWER_ON_REFUSAL = 0.9;
const MARGIN_STEP_MS = 3;
const MAX_MARGIN_MS = 20;
const MARGIN_DECAY_MS = 0.002;
const CATCH_UP_MS = 5;

export function newRateWindow(ceiling: number, now: number): RateWindow {
	return { nextFreeAt: now, allowance: ceiling, marginMs: 0, lastUsed: now };
}

function spacingMs(window: RateWindow, ceiling: number): number {
	return (RATE_WINDOW_MS + window.marginMs) / Math.max(1, Math.min(window.allowance, ceiling));
}

/** Milliseconds until one more call may go out (0: it may go now). */
export function delayBeforeNextCall(window: RateWindow, now: number): number {
	return Math.max(0, window.nextFreeAt - now);
}

/** Books the next call at `now`: the one after it leaves a spacing after this one's slot. */
export function bookCall(window: RateWindow, ceiling: number, now: number): void {
	const spacing = spacingMs(window, ceiling);
	const late = now - window.nextFreeAt;
	const slot = late >= 0 && late <= Math.min(CATCH_UP_MS, spacing / 2) ? window.nextFreeAt : now;
	window.nextFreeAt = slot + spacing;
	window.lastUsed = now;
}

/**
 * A booked call reached DingTalk later than it was booked (it first waited for a token): the next
 * call keeps its spacing from now, the latest the late one can have arrived.
 */
export function rebookCall(window: RateWindow, ceiling: number, now: number): void {
	window.nextFreeAt = Math.max(window.nextFreeAt, now + spacingMs(window, ceiling));
}

export function recordAccepted(window: RateWindow, ceiling: number): void {
	window.allowance = Math.min(
		ceiling,
		window.allowance + RAISE_PER_SECOND_OF_SUCCESSES / Math.max(1, window.allowance),
	);
	window.marginMs = Math.max(0, window.marginMs - MARGIN_DECAY_MS);
}

export function recordRefused(window: RateWindow): void {
	window.allowance = Math.max(1, window.allowance * LOWER_ON_REFUSAL);
	window.marginMs = Math.min(MAX_MARGIN_MS, window.marginMs + MARGIN_STEP_MS);
}
