import { sleep } from 'n8n-workflow';

/**
 * Time as a parameter: a monotonic clock and a pause that ends early on abort. The transport and the
 * Stream client take one from outside, so tests move time themselves and assert exact times.
 */
export interface Clock {
	now: () => number;
	sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Waits `ms`, or less when `signal` aborts. n8n-workflow 1.x's sleep takes no signal: the abort is awaited beside it. */
async function pause(ms: number, signal?: AbortSignal): Promise<void> {
	if (!signal) return await sleep(ms);
	if (signal.aborted) return;
	let onAbort!: () => void;
	const aborted = new Promise<void>((resolve) => {
		onAbort = resolve;
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		await Promise.race([
			(sleep as (ms: number, signal?: AbortSignal) => Promise<void>)(ms, signal).catch(
				() => undefined,
			),
			aborted,
		]);
	} finally {
		// A loop that pauses every second for weeks must not pile up listeners.
		signal.removeEventListener('abort', onAbort);
	}
}

/** The clock of a running n8n: monotonic, so setting the wall clock neither stalls nor hurries a wait. */
export const SYSTEM_CLOCK: Clock = { now: () => performance.now(), sleep: pause };
