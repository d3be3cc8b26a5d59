import { RATE_WINDOW_MS } from './wire';

/**
 * DingTalk's limit of calls per second per app and API, kept from our side by pacing: calls to one app
 * and API leave at least (1,000 ms + margin) / allowance apart, on a monotonic clock, and never more
 * than the ceiling's number of calls within (1,000 ms + margin) of when they reached DingTalk.
 *
 * - Paced, not in bursts: a burst of 20 calls leaves n8n over some 100 ms (each request is prepared
 *   in turn), so counting them when they were booked would let the next burst overlap them at
 *   DingTalk. Evenly spaced calls leave when they are booked, and the floor of (calls - 1) / rate is
 *   reached.
 * - On schedule: a call that leaves a few milliseconds late (a timer fires after its time) does not
 *   push every later call back; one that leaves later than that (a busy process), or the first after
 *   an idle spell, starts the schedule again from now, so calls are never bunched to catch up.
 * - Counted as DingTalk counts: a call that was late, or slow on its way (the first of a run opens a
 *   connection; a busy process prepares a request slowly), holds back the call a full count after it,
 *   which would otherwise reach DingTalk within the same second. How long a call was on its way is
 *   estimated from its answer: what its round trip took beyond the quickest recent one, up to a
 *   slot.
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
	/** The latest calls, oldest first: as many as the ceiling allows in one second. */
	recent: SentCall[];
}

/** A call as the window remembers it: when it left, and when its answer came (once it has). */
export interface SentCall {
	leftAt: number;
	answeredAt?: number;
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
	return { nextFreeAt: now, allowance: ceiling, marginMs: 0, lastUsed: now, recent: [] };
}

function spacingMs(window: RateWindow, ceiling: number): number {
	return (RATE_WINDOW_MS + window.marginMs) / Math.max(1, Math.min(window.allowance, ceiling));
}

function callsPerWindow(ceiling: number): number {
	return Math.max(1, Math.floor(ceiling));
}

/**
 * The latest a call can have reached DingTalk, as far as we know: when it left, plus what its round
 * trip took beyond the quickest recent one (that much it may have spent on its way there), but at
 * most one spacing: a slow answer is more often DingTalk taking its time, and waiting longer than a
 * slot costs more than the refusal it might spare.
 */
function reachedBy(call: SentCall, quickestRoundTrip: number, spacing: number): number {
	if (call.answeredAt === undefined) return call.leftAt;
	const slowerBy = call.answeredAt - call.leftAt - quickestRoundTrip;
	return call.leftAt + Math.min(spacing, Math.max(0, slowerBy));
}

/** When the next call may leave without being one too many within a second of those before it. */
function rollingFreeAt(window: RateWindow, ceiling: number): number {
	const count = callsPerWindow(ceiling);
	if (window.recent.length < count) return -Infinity;
	let quickest = Infinity;
	for (const call of window.recent) {
		if (call.answeredAt !== undefined) quickest = Math.min(quickest, call.answeredAt - call.leftAt);
	}
	const countFrom = window.recent[window.recent.length - count];
	return (
		reachedBy(countFrom, quickest, spacingMs(window, ceiling)) + RATE_WINDOW_MS + window.marginMs
	);
}

/** Milliseconds until one more call may go out (0: it may go now). */
export function delayBeforeNextCall(window: RateWindow, ceiling: number, now: number): number {
	return Math.max(0, window.nextFreeAt - now, rollingFreeAt(window, ceiling) - now);
}

/** Books the next call at `now`: the one after it leaves a spacing after this one's slot. */
export function bookCall(window: RateWindow, ceiling: number, now: number): SentCall {
	const spacing = spacingMs(window, ceiling);
	const late = now - window.nextFreeAt;
	const slot = late >= 0 && late <= Math.min(CATCH_UP_MS, spacing / 2) ? window.nextFreeAt : now;
	window.nextFreeAt = slot + spacing;
	window.lastUsed = now;
	const call: SentCall = { leftAt: now };
	window.recent.push(call);
	const kept = callsPerWindow(ceiling);
	if (window.recent.length > kept) window.recent.splice(0, window.recent.length - kept);
	return call;
}

/** The answer to a call came: from then on it tells how long the call may have been on its way. */
export function recordAnswer(call: SentCall, now: number): void {
	call.answeredAt = now;
}

/**
 * A booked call reached DingTalk later than it was booked (it first waited for a token): it counts
 * from now, the latest it can have arrived, and the next call keeps its spacing from then.
 */
export function rebookCall(window: RateWindow, ceiling: number, call: SentCall, now: number): void {
	call.leftAt = now;
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
