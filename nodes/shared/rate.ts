import { RATE_WINDOW_MS } from './wire';

/**
 * DingTalk's limit of calls per second per app and API, kept from our side: a rolling window of the
 * calls we sent (on a monotonic clock), an allowance that adapts to what DingTalk accepts, and a small
 * margin for calls that arrive later than they left.
 *
 * - No blanket slack: a call refused for rate was not carried out, so an occasional refusal retried in
 *   the next free slot is cheaper than a margin on every window.
 * - Each refusal lowers the allowance by one call per window and widens the window a little; a window
 *   of successes raises the allowance by a few calls and narrows the margin again. Processes that share
 *   one app (queue-mode workers, two n8n instances) each settle at their share of DingTalk's limit
 *   without failing calls, and one left alone soon takes the whole limit again.
 * - The node's Calls per Second option stays the ceiling.
 */
export interface RateWindow {
	/** Monotonic times the calls in the window went out, oldest first. */
	times: number[];
	/** Calls allowed per window now: at most the ceiling, lowered by refusals. */
	allowance: number;
	/** Milliseconds added to the window after refusals; shrinks while calls succeed. */
	marginMs: number;
	lastUsed: number;
}

// Tuned in a simulation of DingTalk's rolling window (test/unit/rate.test.ts) and measured with
// `npm run bench`: raising by three calls per window of successes brings a process that another one
// left alone back to the full rate in a few seconds.
const RAISE_PER_WINDOW = 3;
const MARGIN_STEP_MS = 1;
const MAX_MARGIN_MS = 10;
const MARGIN_DECAY_MS = 0.1;

export function newRateWindow(ceiling: number, now: number): RateWindow {
	return { times: [], allowance: ceiling, marginMs: 0, lastUsed: now };
}

/** Milliseconds until one more call may go out (0: it may go now). */
export function delayBeforeNextCall(window: RateWindow, ceiling: number, now: number): number {
	const allowed = Math.max(1, Math.floor(Math.min(window.allowance, ceiling)));
	const length = RATE_WINDOW_MS + window.marginMs;
	while (window.times.length > 0 && now - window.times[0] >= length) window.times.shift();
	if (window.times.length < allowed) return 0;
	return Math.max(1, window.times[window.times.length - allowed] + length - now);
}

export function bookCall(window: RateWindow, now: number): void {
	window.times.push(now);
	window.lastUsed = now;
}

/** Moves a booked call to a later time: when it can have reached DingTalk at the latest. */
export function rebookCall(window: RateWindow, booked: number, now: number): void {
	const index = window.times.indexOf(booked);
	if (index >= 0) window.times.splice(index, 1);
	window.times.push(now);
	window.times.sort((a, b) => a - b);
}

export function recordAccepted(window: RateWindow, ceiling: number): void {
	window.allowance = Math.min(
		ceiling,
		window.allowance + RAISE_PER_WINDOW / Math.max(1, window.allowance),
	);
	window.marginMs = Math.max(0, window.marginMs - MARGIN_DECAY_MS);
}

export function recordRefused(window: RateWindow): void {
	window.allowance = Math.max(1, window.allowance - 1);
	window.marginMs = Math.min(MAX_MARGIN_MS, window.marginMs + MARGIN_STEP_MS);
}
