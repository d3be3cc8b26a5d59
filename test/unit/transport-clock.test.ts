/* eslint-disable @n8n/community-nodes/no-restricted-imports */
// The transport's timing rules on a virtual clock it is given: each test asserts the exact times its
// requests left, and minutes of waiting take milliseconds. The backoff's random spread is pinned to its
// top (random = 1), so a wait is exactly 0.5 s × 2^n, at most 8 s.
import { Readable } from 'stream';
import { DEFAULT_TRANSPORT_OPTIONS, DingTalkTransport } from '../../nodes/shared/transport';
import {
	FakeN8n,
	freshApp,
	LOOKUP,
	networkError,
	SEND,
	tokenAnswer,
	type Script,
} from './fake-n8n';
import { VirtualClock } from './virtual-clock';

const OK = { statusCode: 200, body: { ok: true } };
const BUSY = { statusCode: 400, body: { code: 'systemBusy', message: 'busy' } };
const SERVER_ERROR = { statusCode: 500, body: { code: 'systemError', message: 'internal' } };
const RATE_REFUSAL = {
	statusCode: 403,
	body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' },
};

/** A DingTalk answering API calls from `answers` in turn (the last one again), recording when each came. */
function dingTalk(clock: VirtualClock, ...answers: Array<object | Error>) {
	const at: number[] = [];
	const script: Script = (request) => {
		if (request.kind === 'token') return tokenAnswer('tok');
		at.push(clock.time);
		const next = answers.length > 1 ? answers.shift()! : answers[0];
		if (next instanceof Error) throw next;
		return next as never;
	};
	return { at, fake: new FakeN8n(freshApp(), script) };
}

async function transportOn(
	clock: VirtualClock,
	fake: FakeN8n,
	options: Partial<typeof DEFAULT_TRANSPORT_OPTIONS> = {},
) {
	return await DingTalkTransport.open(
		fake.context(),
		{ ...DEFAULT_TRANSPORT_OPTIONS, ...options },
		{ clock, random: () => 1 },
	);
}

describe('retries, in exact time', () => {
	it('a busy answer goes again after 0.5, 1, 2, 4 and 8 s, then 8 s again: the backoff is capped', async () => {
		const clock = new VirtualClock();
		const { at, fake } = dingTalk(clock, BUSY);
		const transport = await transportOn(clock, fake, { maxRetries: 6 });
		const { error, at: failedAt } = await clock.run(transport.call(LOOKUP, 0));
		expect(at).toEqual([0, 500, 1500, 3500, 7500, 15_500, 23_500]);
		expect(failedAt).toBe(23_500);
		expect((error as Error).message).toBe('DingTalk: DingTalk is busy [systemBusy]');
	});

	it('a look-up answered with a 5xx goes again after the backoff; a send never goes again', async () => {
		const clock = new VirtualClock();
		const lookup = dingTalk(clock, SERVER_ERROR, OK);
		const { value } = await clock.run((await transportOn(clock, lookup.fake)).call(LOOKUP, 0));
		expect(value).toEqual(OK.body);
		expect(lookup.at).toEqual([0, 500]);

		const send = dingTalk(clock, SERVER_ERROR, OK);
		const { error } = await clock.run((await transportOn(clock, send.fake)).call(SEND, 0));
		await clock.advance(60_000);
		expect(send.at).toEqual([clock.time - 60_000]);
		expect((error as Error & { description: string }).description).toContain(
			'DingTalk may already have delivered it',
		);
	});

	it('a send whose connection was refused goes again (nothing reached DingTalk); one whose connection was cut does not', async () => {
		const clock = new VirtualClock();
		const refused = dingTalk(clock, networkError('ECONNREFUSED'), OK);
		const { value } = await clock.run((await transportOn(clock, refused.fake)).call(SEND, 0));
		expect(value).toEqual(OK.body);
		expect(refused.at).toEqual([0, 500]);

		const cut = dingTalk(clock, networkError('ECONNRESET'), OK);
		const started = clock.time;
		const { error } = await clock.run((await transportOn(clock, cut.fake)).call(SEND, 0));
		expect(cut.at).toEqual([started]);
		expect((error as Error).message).toBe(
			'Could not reach DingTalk: the connection was cut before an answer came',
		);
	});

	it('Max Retries 0: a look-up fails at its first busy answer', async () => {
		const clock = new VirtualClock();
		const { at, fake } = dingTalk(clock, BUSY);
		await clock.run((await transportOn(clock, fake, { maxRetries: 0 })).call(LOOKUP, 0));
		expect(at).toEqual([0]);
	});
});

describe('the rate window, in exact time', () => {
	it('a refused call goes again in the next free slot: 50 ms later at 20 calls a second, with no backoff', async () => {
		const clock = new VirtualClock();
		const { at, fake } = dingTalk(clock, RATE_REFUSAL, OK);
		const { value } = await clock.run(
			(await transportOn(clock, fake, { maxRetries: 0 })).call(LOOKUP, 0),
		);
		expect(value).toEqual(OK.body);
		expect(at).toEqual([0, 50]);
	});

	it('calls leave evenly spaced: 5 a second are 200 ms apart', async () => {
		const clock = new VirtualClock();
		const { at, fake } = dingTalk(clock, OK);
		const transport = await transportOn(clock, fake, { callsPerSecond: 5 });
		await clock.run(
			Promise.all([0, 1, 2, 3].map(async (index) => await transport.call(LOOKUP, index))),
		);
		expect(at).toEqual([0, 200, 400, 600]);
	});

	it('a call refused for rate again and again gives up after 5 minutes, not before', async () => {
		const clock = new VirtualClock();
		const { at, fake } = dingTalk(clock, RATE_REFUSAL);
		const { error, at: failedAt } = await clock.run(
			(await transportOn(clock, fake)).call(LOOKUP, 0),
		);
		expect(at[at.length - 2]).toBeLessThan(5 * 60 * 1000);
		expect(failedAt).toBe(at[at.length - 1]);
		expect(failedAt).toBeGreaterThanOrEqual(5 * 60 * 1000);
		// After refusals the spacing is at most (1,000 ms + 20 ms margin) / 1 call.
		expect(failedAt).toBeLessThanOrEqual(5 * 60 * 1000 + 1020);
		expect((error as Error).message).toContain('[Forbidden.AccessDenied.QpsLimitForAppkeyAndApi]');
	});
});

describe('cancellation, in exact time', () => {
	it('a call waiting for its backoff ends the moment n8n cancels, and nothing more is sent', async () => {
		const clock = new VirtualClock();
		const { at, fake } = dingTalk(clock, BUSY);
		const transport = await transportOn(clock, fake);
		clock.after(200, () => fake.abort.abort());
		const { error, at: endedAt } = await clock.run(transport.call(LOOKUP, 0));
		expect((error as Error).message).toBe('The execution was cancelled');
		expect(endedAt).toBe(200);
		expect(at).toEqual([0]);
		expect(clock.pending).toBe(0);
	});

	it("many calls waiting for their slots all end at the cancel, with one listener on n8n's signal", async () => {
		const clock = new VirtualClock();
		const { fake } = dingTalk(clock, OK);
		const signal = fake.abort.signal;
		const added = jest.spyOn(signal, 'addEventListener');
		const transport = await transportOn(clock, fake, { callsPerSecond: 1 });
		clock.after(1500, () => fake.abort.abort());
		const outcomes = await clock.run(
			Promise.allSettled(
				Array.from({ length: 30 }, async (_, index) => await transport.call(LOOKUP, index)),
			),
		);
		expect(outcomes.at).toBe(1500);
		const failed = outcomes.value!.filter((outcome) => outcome.status === 'rejected');
		expect(failed).toHaveLength(28);
		expect(added).toHaveBeenCalledTimes(1);
	});
});

describe("DingTalk's file host, in exact time", () => {
	const file = () => ({
		statusCode: 200,
		body: Readable.from([Buffer.from('%PDF-1.4')]),
		headers: { 'content-length': '8' },
	});
	const readAll = async () => 'read';

	it('a download answered with a 5xx goes again after the backoff (a GET is safe to repeat)', async () => {
		const clock = new VirtualClock();
		const { at, fake } = dingTalk(clock);
		const answers = [{ statusCode: 503, body: Readable.from([]) }, file()];
		const sentAt: number[] = [];
		const transport = await DingTalkTransport.open(
			new FakeN8n(fake.credential, () => {
				sentAt.push(clock.time);
				return answers.shift()!;
			}).context(),
			DEFAULT_TRANSPORT_OPTIONS,
			{ clock, random: () => 1 },
		);
		const { value } = await clock.run(
			transport.downloadSignedFile('http://127.0.0.1/a.file', 0, 1024, readAll),
		);
		expect(value).toBe('read');
		expect(sentAt).toEqual([0, 500]);
		expect(at).toEqual([]);
	});

	it.each([
		[
			'download',
			(t: DingTalkTransport) =>
				t.downloadSignedFile('http://127.0.0.1/a.file?Signature=s', 0, 1024, readAll),
		],
		[
			'upload',
			(t: DingTalkTransport) =>
				t.putSignedFile(
					{ url: 'http://127.0.0.1/a.file?Signature=s', headers: {} },
					async () => Buffer.from('x'),
					1,
					0,
				),
		],
	])(
		'a signed %s is never redirected: asked not to follow, a redirect fails at once, naming only the host',
		async (_name, act) => {
			const clock = new VirtualClock();
			const requests: Array<{ disableFollowRedirect?: boolean }> = [];
			const fake = new FakeN8n(freshApp(), (request) => {
				requests.push(request.options);
				return {
					statusCode: 302,
					body: Readable.from([]),
					headers: { location: 'https://elsewhere.example/steal?Signature=s' },
				};
			});
			const transport = await DingTalkTransport.open(fake.context(), DEFAULT_TRANSPORT_OPTIONS, {
				clock,
				random: () => 1,
			});
			const { error } = await clock.run<unknown>(act(transport));
			expect(requests).toHaveLength(1);
			expect(requests[0].disableFollowRedirect).toBe(true);
			expect(JSON.stringify(error)).not.toContain('Signature=s');
			expect((error as Error).message).toMatch(/HTTP 302/);
		},
	);
});
