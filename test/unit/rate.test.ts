// The adaptive rate window on its own, and in a simulation of DingTalk's limit (20 accepted calls in
// any rolling 1,000 ms per app and API) with one or more processes sharing one app.
import {
	bookCall,
	delayBeforeNextCall,
	newRateWindow,
	recordAccepted,
	recordRefused,
	type RateWindow,
} from '../../nodes/shared/rate';

describe('rate window', () => {
	it('lets the ceiling through at once, then waits for the oldest call to leave the window', () => {
		const window = newRateWindow(20, 0);
		for (let call = 0; call < 20; call++) {
			expect(delayBeforeNextCall(window, 20, 0)).toBe(0);
			bookCall(window, 0);
		}
		expect(delayBeforeNextCall(window, 20, 0)).toBe(1000);
		expect(delayBeforeNextCall(window, 20, 999)).toBe(1);
		expect(delayBeforeNextCall(window, 20, 1000)).toBe(0);
	});

	it('after a refusal allows one call fewer and a slightly longer window; successes win both back', () => {
		const window = newRateWindow(20, 0);
		recordRefused(window);
		expect(window.allowance).toBe(19);
		expect(window.marginMs).toBeGreaterThan(0);
		for (let call = 0; call < 100; call++) recordAccepted(window, 20);
		expect(window.allowance).toBe(20);
		expect(window.marginMs).toBe(0);
	});

	it('never exceeds the Calls per Second ceiling, also when the ceiling is lowered later', () => {
		const window = newRateWindow(20, 0);
		for (let call = 0; call < 100; call++) recordAccepted(window, 20);
		expect(window.allowance).toBe(20);
		for (let call = 0; call < 5; call++) bookCall(window, 0);
		expect(delayBeforeNextCall(window, 5, 0)).toBe(1000);
	});
});

/**
 * Processes sending `perProcess` calls each through their own window against one server window.
 * Time moves in 1 ms steps; a call arrives `latency` ms after it leaves and its answer as long after.
 */
function simulate({
	processes,
	perProcess,
	serverLimit,
	ceiling = 20,
	latency = 0,
}: {
	processes: number;
	perProcess: number;
	serverLimit: number;
	ceiling?: number;
	latency?: number;
}) {
	const accepted: number[] = [];
	let refused = 0;
	const state = Array.from({ length: processes }, () => ({
		window: newRateWindow(ceiling, 0) as RateWindow,
		left: perProcess,
		inFlight: [] as Array<{ answerAt: number; ok: boolean }>,
		doneAt: 0,
	}));
	for (let now = 0; state.some((p) => p.left > 0 || p.inFlight.length > 0); now++) {
		if (now > 3_600_000) throw new Error('the simulation does not end');
		for (const process of state) {
			process.inFlight = process.inFlight.filter((call) => {
				if (call.answerAt > now) return true;
				if (call.ok) recordAccepted(process.window, ceiling);
				else {
					recordRefused(process.window);
					process.left++;
				}
				return false;
			});
			if (process.left === 0 && process.inFlight.length === 0 && process.doneAt === 0) {
				process.doneAt = now;
			}
			while (process.left > 0 && delayBeforeNextCall(process.window, ceiling, now) === 0) {
				bookCall(process.window, now);
				process.left--;
				const arrival = now + latency;
				while (accepted.length > 0 && arrival - accepted[0] >= 1000) accepted.shift();
				const ok = accepted.length < serverLimit;
				if (ok) accepted.push(arrival);
				else refused++;
				process.inFlight.push({ answerAt: arrival + latency + 1, ok });
			}
		}
	}
	return { seconds: Math.max(...state.map((p) => p.doneAt)) / 1000, refused };
}

describe('the window against a simulated DingTalk limit', () => {
	it('one process, 1,000 calls at 20/s: within 2 % of the floor, without a refusal', () => {
		const { seconds, refused } = simulate({ processes: 1, perProcess: 1000, serverLimit: 20 });
		expect(seconds).toBeLessThanOrEqual(49.95 * 1.02);
		expect(refused).toBe(0);
	});

	it('two processes sharing one app, 1,000 calls each: both done within 1.03x of the 100 s floor', () => {
		const { seconds, refused } = simulate({ processes: 2, perProcess: 1000, serverLimit: 20 });
		expect(seconds).toBeLessThanOrEqual(99.95 * 1.03);
		expect(refused).toBeLessThan(200);
	});

	it('three processes sharing one app: within 1.05x of the floor', () => {
		const { seconds } = simulate({ processes: 3, perProcess: 600, serverLimit: 20 });
		expect(seconds).toBeLessThanOrEqual(89.95 * 1.05);
	});

	it('DingTalk allows 10/s while the node is set to 20: at least 90 % of the allowed rate', () => {
		const { seconds } = simulate({ processes: 1, perProcess: 500, serverLimit: 10 });
		expect(500 / seconds).toBeGreaterThanOrEqual(9);
	});
});
