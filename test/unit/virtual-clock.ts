/* eslint-disable @n8n/community-nodes/no-restricted-globals */
// Time as a parameter: a clock the test moves forward, so minutes of reconnects, silences and waits run
// in milliseconds and every time asserted is exact.
import type { Clock } from '../../nodes/shared/clock';

interface Timer {
	at: number;
	order: number;
	fire: () => void;
}

/** Lets every promise that can settle now settle (a macrotask turn runs all queued microtasks). */
export const settleNow = async () => await new Promise((resolve) => setImmediate(resolve));

export class VirtualClock implements Clock {
	time = 0;

	private timers: Timer[] = [];

	private order = 0;

	now = () => this.time;

	sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
		if (signal?.aborted) return;
		await new Promise<void>((resolve) => {
			const onAbort = () => {
				this.timers = this.timers.filter((other) => other !== timer);
				resolve();
			};
			const timer = this.at(this.time + Math.max(0, ms), () => {
				signal?.removeEventListener('abort', onAbort);
				resolve();
			});
			signal?.addEventListener('abort', onAbort, { once: true });
		});
	};

	/** Runs `fire` when the clock reaches `at`. */
	at(at: number, fire: () => void): Timer {
		const timer = { at, order: this.order++, fire };
		this.timers.push(timer);
		return timer;
	}

	/** Calls `fire` after `ms` of virtual time. */
	after(ms: number, fire: () => void): void {
		this.at(this.time + ms, fire);
	}

	/** Moves time forward by `ms`, firing timers in order and letting what they start settle. */
	async advance(ms: number): Promise<void> {
		const end = this.time + ms;
		for (;;) {
			await settleNow();
			const next = this.timers
				.filter((timer) => timer.at <= end)
				.sort((a, b) => a.at - b.at || a.order - b.order)[0];
			if (!next) break;
			this.timers = this.timers.filter((timer) => timer !== next);
			this.time = next.at;
			next.fire();
		}
		this.time = end;
		await settleNow();
	}

	/**
	 * Runs `promise` to its end, moving time from timer to timer; says when it ended. Fails when nothing
	 * is left to wait for but the promise is still pending (it waits on something other than this clock).
	 */
	async run<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; at: number }> {
		let done = false;
		const outcome = promise.then(
			(value) => ({ value }),
			(error: unknown) => ({ error }),
		);
		void outcome.then(() => (done = true));
		for (;;) {
			await settleNow();
			if (done) return { ...(await outcome), at: this.time };
			const next = Math.min(...this.timers.map((timer) => timer.at));
			if (!Number.isFinite(next)) throw new Error('pending, with no timer left on the clock');
			await this.advance(next - this.time);
		}
	}

	/** Timers still waiting (a closed connection must leave none). */
	get pending(): number {
		return this.timers.length;
	}
}
