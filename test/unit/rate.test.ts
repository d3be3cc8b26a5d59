// The adaptive rate window on its own, and in a simulation of DingTalk's limit (20 accepted calls in
// any rolling 1,000 ms per app and API) with one or more processes sharing one app.
import {
	bookCall,
	delayBeforeNextCall,
	newRateWindow,
	rebookCall,
	recordAccepted,
	recordAnswer,
	recordRefused,
	type SentCall,
} from '../../nodes/shared/rate';

describe('rate window', () => {
	it('spaces calls evenly: 20 per second leave 50 ms apart', () => {
		const window = newRateWindow(20, 0);
		const sent: number[] = [];
		for (let now = 0; sent.length < 21; now++) {
			if (delayBeforeNextCall(window, 20, now) === 0) {
				bookCall(window, 20, now);
				sent.push(now);
			}
		}
		expect(sent.slice(0, 3)).toEqual([0, 50, 100]);
		expect(sent[20]).toBe(1000);
	});

	it('after a refusal allows one call fewer and a slightly wider spacing; successes win both back', () => {
		const window = newRateWindow(20, 0);
		recordRefused(window);
		expect(window.allowance).toBe(18);
		expect(window.marginMs).toBeGreaterThan(0);
		for (let call = 0; call < 20; call++) recordAccepted(window, 20);
		expect(window.allowance).toBe(20);
		for (let call = 0; call < 1500; call++) recordAccepted(window, 20);
		expect(window.marginMs).toBe(0);
	});

	it('never exceeds the Calls per Second ceiling, also when the ceiling is lowered later', () => {
		const window = newRateWindow(20, 0);
		for (let call = 0; call < 100; call++) recordAccepted(window, 20);
		expect(window.allowance).toBe(20);
		bookCall(window, 5, 0);
		expect(delayBeforeNextCall(window, 5, 0)).toBe(200);
	});

	it('keeps its schedule when a call leaves a little late, and starts afresh after an idle spell', () => {
		const window = newRateWindow(20, 0);
		bookCall(window, 20, 0);
		bookCall(window, 20, 51);
		expect(delayBeforeNextCall(window, 20, 51)).toBe(49);
		bookCall(window, 20, 130);
		expect(delayBeforeNextCall(window, 20, 130)).toBe(50);
		bookCall(window, 20, 5000);
		expect(delayBeforeNextCall(window, 20, 5000)).toBe(50);
	});

	/** Books `count` calls on schedule (50 ms apart from 0), each answered `roundTrip(i)` ms after it left. */
	function bookOnSchedule(
		window: ReturnType<typeof newRateWindow>,
		count: number,
		roundTrip: (i: number) => number,
		leftLate: (i: number) => number = () => 0,
	) {
		for (let i = 0; i < count; i++) {
			const leftAt = i * 50 + leftLate(i);
			expect(delayBeforeNextCall(window, 20, leftAt)).toBe(0);
			recordAnswer(bookCall(window, 20, leftAt), leftAt + roundTrip(i));
		}
	}

	it('holds back the call a second after one that left late, so DingTalk never sees 21 within a second', () => {
		const window = newRateWindow(20, 0);
		bookOnSchedule(
			window,
			20,
			() => 2,
			(i) => (i === 0 ? 4 : 0),
		);
		// The schedule alone would let call 21 go at 1,000 ms: 996 ms after call 1 really left.
		expect(delayBeforeNextCall(window, 20, 1000)).toBe(4);
	});

	it('holds back the call a second after one that was slow on its way (its round trip took longer than the others)', () => {
		const window = newRateWindow(20, 0);
		bookOnSchedule(window, 20, (i) => (i === 0 ? 32 : 2));
		// Call 1's answer took 30 ms longer than the quickest: it may have reached DingTalk at 30 ms.
		expect(delayBeforeNextCall(window, 20, 1000)).toBe(30);
	});

	it('holds back by at most one spacing when an answer was very slow (more likely DingTalk taking its time)', () => {
		const window = newRateWindow(20, 0);
		bookOnSchedule(window, 20, (i) => (i === 0 ? 400 : 2));
		expect(delayBeforeNextCall(window, 20, 1000)).toBe(50);
	});

	it('does not hold back anything for a round trip that is long for every call (DingTalk far away)', () => {
		const window = newRateWindow(20, 0);
		bookOnSchedule(window, 20, () => 150);
		expect(delayBeforeNextCall(window, 20, 1000)).toBe(0);
	});

	it('keeps the spacing from when a late call (it waited for a token) can have arrived', () => {
		const window = newRateWindow(20, 0);
		const call = bookCall(window, 20, 0);
		rebookCall(window, 20, call, 300);
		expect(delayBeforeNextCall(window, 20, 300)).toBe(50);
	});
});

/**
 * Processes sending `perProcess` calls each, paced by their own windows, against one DingTalk limit.
 * Time moves in 1 ms steps; a call arrives `latency` (plus up to `jitter`) ms after it leaves, and its
 * answer `latency` ms after that. Refused calls are sent again.
 */
function simulate({
	processes,
	perProcess,
	serverLimit,
	ceiling = 20,
	latency = 0,
	jitter = 0,
}: {
	processes: number;
	perProcess: number;
	serverLimit: number;
	ceiling?: number;
	latency?: number;
	jitter?: number;
}) {
	let seed = 7;
	const random = () => ((seed = (seed * 16807) % 2147483647) % 1000) / 1000;
	const accepted: number[] = [];
	let refused = 0;
	const state = Array.from({ length: processes }, () => ({
		window: newRateWindow(ceiling, 0),
		left: perProcess,
		answers: [] as Array<{ at: number; ok: boolean; call: SentCall }>,
		doneAt: 0,
	}));
	const arrivals: Array<{ at: number; process: (typeof state)[number]; call: SentCall }> = [];
	const busy = () => state.some((p) => p.left > 0 || p.answers.length > 0) || arrivals.length > 0;
	for (let now = 0; busy(); now++) {
		if (now > 3_600_000) throw new Error('the simulation does not end');
		for (const process of state) {
			process.answers = process.answers.filter((answer) => {
				if (answer.at > now) return true;
				if (answer.ok) {
					recordAccepted(process.window, ceiling);
					recordAnswer(answer.call, now);
				} else {
					recordRefused(process.window);
					process.left++;
				}
				return false;
			});
			if (process.left === 0 && process.answers.length === 0 && process.doneAt === 0) {
				process.doneAt = now;
			}
			while (process.left > 0 && delayBeforeNextCall(process.window, ceiling, now) === 0) {
				const call = bookCall(process.window, ceiling, now);
				process.left--;
				arrivals.push({ at: now + latency + Math.floor(random() * jitter), process, call });
			}
		}
		// DingTalk counts calls in the order they arrive.
		arrivals.sort((a, b) => a.at - b.at);
		while (arrivals.length > 0 && arrivals[0].at <= now) {
			const { at, process, call } = arrivals.shift()!;
			while (accepted.length > 0 && at - accepted[0] >= 1000) accepted.shift();
			const ok = accepted.length < serverLimit;
			if (ok) accepted.push(at);
			else refused++;
			process.answers.push({ at: at + latency + 1, ok, call });
		}
	}
	return { seconds: Math.max(...state.map((p) => p.doneAt)) / 1000, refused };
}

describe('the window against a simulated DingTalk limit', () => {
	it('one process, 1,000 calls at 20/s: at the floor, without a refusal', () => {
		const { seconds, refused } = simulate({ processes: 1, perProcess: 1000, serverLimit: 20 });
		expect(seconds).toBeLessThanOrEqual(49.95 * 1.001);
		expect(refused).toBe(0);
	});

	it('one process whose calls reach DingTalk up to 5 ms late: within 2 % of the floor, at most 1 % refused', () => {
		const { seconds, refused } = simulate({
			processes: 1,
			perProcess: 1000,
			serverLimit: 20,
			jitter: 5,
		});
		expect(seconds).toBeLessThanOrEqual(49.95 * 1.02);
		expect(refused).toBeLessThanOrEqual(10);
	});

	it('300 calls over a 150 ms round trip: within 5 % of the floor', () => {
		const { seconds } = simulate({
			processes: 1,
			perProcess: 300,
			serverLimit: 20,
			latency: 75,
			jitter: 10,
		});
		expect(seconds).toBeLessThanOrEqual(14.95 * 1.05 + 0.15);
	});

	it('two processes sharing one app, 1,000 calls each: both done within 1.05x of the 100 s floor', () => {
		const { seconds } = simulate({ processes: 2, perProcess: 1000, serverLimit: 20 });
		expect(seconds).toBeLessThanOrEqual(99.95 * 1.05);
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
