import type { Clock } from '../clock';
import {
	bookCall,
	delayBeforeNextCall,
	newRateWindow,
	type RateWindow,
	type SentCall,
} from '../rate';

/**
 * The rate windows of every app and API this n8n process calls, in module memory: concurrent
 * executions share them. The pacing rules themselves are in ../rate.ts.
 */
const rateWindows = new Map<string, RateWindow>();

export function rateWindowOf(key: string, ceiling: number, now: number): RateWindow {
	let window = rateWindows.get(key);
	if (!window) {
		window = newRateWindow(ceiling, now);
		rateWindows.set(key, window);
	}
	return window;
}

/** Waits for the next free slot of `window` (at most `ceiling` calls a second), and books it. */
export async function takeRateSlot(
	window: RateWindow,
	ceiling: number,
	clock: Clock,
	wait: (ms: number) => Promise<void>,
): Promise<SentCall> {
	for (;;) {
		const now = clock.now();
		const delay = delayBeforeNextCall(window, ceiling, now);
		if (delay === 0) return bookCall(window, ceiling, now);
		await wait(delay);
	}
}

/** Drops the windows nobody used for `idleMs`. */
export function sweepIdleRateWindows(now: number, idleMs: number): void {
	for (const [key, window] of rateWindows) {
		if (now - window.lastUsed > idleMs) rateWindows.delete(key);
	}
}

export function rateWindowCount(): number {
	return rateWindows.size;
}
