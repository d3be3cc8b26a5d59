/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
// The transport's rules with scripted answers: each test asserts the exact requests and their count,
// so a regression shows in milliseconds and names the rule.
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { inspect } from 'util';
import type { IDataObject } from 'n8n-workflow';
import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';
import { appIdentityOf, asAppCredentials } from '../../nodes/shared/app';
import {
	DEFAULT_TRANSPORT_OPTIONS,
	DingTalkTransport,
	transportStateSize,
	type DingTalkCall,
} from '../../nodes/shared/transport';
import {
	API,
	FakeN8n,
	freshApp,
	LOOKUP,
	networkError,
	SEND,
	settle,
	tokenAnswer,
	type Script,
} from './fake-n8n';

const UPLOAD: DingTalkCall = {
	family: 'legacy',
	method: 'POST',
	path: '/media/upload',
	query: { type: 'file' },
	repeatable: true,
};
const OK = { statusCode: 200, body: { space: { spaceId: '1' } } };

/** Tokens tok-1, tok-2, … from the token API; every other request answered by `api`. */
function script(api: Script, tokens: Script = (_r, i) => tokenAnswer(`tok-${i + 1}`)): Script {
	let tokenCount = 0;
	return (request, index) =>
		request.kind === 'token' ? tokens(request, tokenCount++) : api(request, index);
}

async function transportFor(
	fake: FakeN8n,
	options: Partial<typeof DEFAULT_TRANSPORT_OPTIONS> = {},
) {
	return await DingTalkTransport.open(fake.context(), { ...DEFAULT_TRANSPORT_OPTIONS, ...options });
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('a send is never sent twice when DingTalk may have carried it out', () => {
	it.each([
		[
			'a 503 answer with systemBusy',
			() => ({ statusCode: 503, body: { code: 'systemBusy', message: 'busy' } }),
		],
		[
			'a 500 answer',
			() => ({ statusCode: 500, body: { code: 'systemError', message: 'internal' } }),
		],
		['a dropped connection', () => Promise.reject(networkError('ECONNRESET'))],
		['a timeout', () => Promise.reject(networkError('ETIMEDOUT'))],
	])(
		'after %s: one request, and the error says it may have been delivered',
		async (_name, answer) => {
			const fake = new FakeN8n(freshApp(), script(answer as Script));
			const transport = await transportFor(fake);
			const { error } = await settle(transport.call(SEND, 0));
			expect(fake.count('api', SEND.path)).toBe(1);
			expect((error as Error & { description: string }).description).toContain(
				'DingTalk may already have delivered it',
			);
		},
	);

	it('a look-up gets the same answers retried until it succeeds', async () => {
		const answers = [
			{ statusCode: 503, body: { code: 'systemBusy' } },
			networkError('ECONNRESET'),
			OK,
		];
		const fake = new FakeN8n(
			freshApp(),
			script(() => {
				const next = answers.shift()!;
				if (next instanceof Error) throw next;
				return next;
			}),
		);
		const { value } = await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect(value).toEqual(OK.body);
		expect(fake.count('api', LOOKUP.path)).toBe(3);
	});

	it("keeps the node's own words: no invitation from n8n to retry, also when DingTalk's text names a network code", async () => {
		const n8nWords = Object.assign(
			new Error(
				'The connection to the server was closed unexpectedly, perhaps it is offline. You can retry the request immediately or wait and retry later.',
			),
			{ code: 'ECONNRESET' },
		);
		const fake = new FakeN8n(
			freshApp(),
			script(() => Promise.reject(n8nWords)),
		);
		const { error } = await settle((await transportFor(fake)).call(SEND, 0));
		const shown = error as Error & { description: string };
		expect(shown.message).toBe(
			'Could not reach DingTalk: the connection was cut before an answer came',
		);
		expect(shown.description).toBe(
			'Network error ECONNRESET. It was not sent again, because DingTalk may already have delivered it or carried it out: check the chat (or, for a file or folder, the space) before running it again.',
		);

		const echoing = new FakeN8n(
			freshApp(),
			script(() => ({
				statusCode: 400,
				body: { code: 'someNewCode', message: 'upstream ETIMEDOUT while sending' },
			})),
		);
		const { error: second } = await settle((await transportFor(echoing)).call(SEND, 0));
		expect((second as Error).message).toBe(
			'DingTalk returned an error: upstream ETIMEDOUT while sending [someNewCode]',
		);
	});
});

describe('a rejected token', () => {
	it('is replaced once and the call sent again with the new token', async () => {
		let calls = 0;
		const fake = new FakeN8n(
			freshApp(),
			script(() =>
				calls++ === 0 ? { statusCode: 400, body: { code: 'InvalidAuthentication' } } : OK,
			),
		);
		const { value } = await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect(value).toEqual(OK.body);
		const api = fake.requests.filter((request) => request.kind === 'api');
		expect(api.map((request) => request.headers['x-acs-dingtalk-access-token'])).toEqual([
			'tok-1',
			'tok-2',
		]);
		expect(fake.count('token')).toBe(2);
	});

	it('rebuilds nothing: a multipart body is built once and the same bytes go out again', async () => {
		let built = 0;
		let calls = 0;
		const fake = new FakeN8n(
			freshApp(),
			script(() =>
				calls++ === 0
					? { statusCode: 200, body: { errcode: 40014, errmsg: '不合法的access_token' } }
					: { statusCode: 200, body: { errcode: 0, media_id: '@m' } },
			),
		);
		const body = Buffer.from('--b\r\nmultipart\r\n--b--\r\n');
		const upload = {
			...UPLOAD,
			multipart: async () => ({
				body: (built++, body),
				contentType: 'multipart/form-data; boundary=b',
			}),
		};
		const { value } = await settle((await transportFor(fake)).call(upload, 0));
		expect(value).toMatchObject({ media_id: '@m' });
		expect(built).toBe(1);
		const api = fake.requests.filter((request) => request.kind === 'api');
		expect(api.map((request) => [request.qs.access_token, request.body])).toEqual([
			['tok-1', body],
			['tok-2', body],
		]);
	});

	it('is replaced only once: a second rejection is an error that says what to do', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => ({
				statusCode: 400,
				body: { code: 'InvalidAuthentication', message: 'bad token' },
			})),
		);
		const { error } = await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect(fake.count('api')).toBe(2);
		expect((error as Error).message).toBe(
			'DingTalk: DingTalk did not accept the access token, even a newly fetched one [InvalidAuthentication]',
		);
	});

	it.each(['40014', '42001', '40001'])('legacy errcode %s has guidance too', async (errcode) => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => ({ statusCode: 200, body: { errcode: Number(errcode), errmsg: 'x' } })),
		);
		const { error } = await settle((await transportFor(fake)).call(UPLOAD, 0));
		expect((error as Error).message).toContain('did not accept the access token');
		expect((error as Error & { description: string }).description).toContain('What to do: ');
	});
});

describe('the stored token', () => {
	it('serves the app it was issued for, without a token request', async () => {
		const app = freshApp();
		const stored = {
			...app,
			accessToken: 'stored-token',
			expiresAt: Date.now() + 3600_000,
			tokenIssuedFor: appIdentityOf(asAppCredentials(app)),
		};
		const fake = new FakeN8n(
			stored,
			script(() => OK),
		);
		await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect(fake.count('token')).toBe(0);
		expect(fake.requests[0].headers['x-acs-dingtalk-access-token']).toBe('stored-token');
	});

	it.each([
		['another AppKey', { clientId: 'dingotherapp' }],
		['another secret', { clientSecret: String(freshApp().clientSecret) }],
		['another API host', { apiBaseUrl: 'https://api2.example.test' }],
	])('is not used after the credential was edited to %s', async (_name, edit) => {
		const before = freshApp();
		const edited = {
			...before,
			...edit,
			accessToken: 'token-of-the-old-app',
			expiresAt: Date.now() + 3600_000,
			tokenIssuedFor: appIdentityOf(asAppCredentials(before)),
		};
		const fake = new FakeN8n(
			edited,
			script(() => OK),
		);
		await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect(fake.count('token')).toBe(1);
		const api = fake.requests.filter((request) => request.kind === 'api');
		expect(api.map((request) => request.headers['x-acs-dingtalk-access-token'])).toEqual(['tok-1']);
		expect(fake.persisted[0].tokenIssuedFor).toBe(appIdentityOf(asAppCredentials(edited)));
	});

	it('of a third-party app survives a new suite ticket, but not another authorised corp', () => {
		const suite = asAppCredentials({
			appType: 'thirdParty',
			suiteKey: 'suite',
			suiteSecret: String(freshApp().clientSecret),
			authCorpId: 'corpA',
			suiteTicket: 'ticket-1',
			region: 'china',
		} as never);
		expect(appIdentityOf({ ...suite, suiteTicket: 'ticket-2' })).toBe(appIdentityOf(suite));
		expect(appIdentityOf({ ...suite, authCorpId: 'corpB' })).not.toBe(appIdentityOf(suite));
	});
});

describe('one gateway for both API families (Custom region with equal base URLs)', () => {
	it('puts the legacy token in the access_token query, the new one in the header: judged by the path', async () => {
		const fake = new FakeN8n(
			freshApp({ apiBaseUrl: API, legacyBaseUrl: API }),
			script((request) =>
				request.url.includes('/media/upload')
					? { statusCode: 200, body: { errcode: 0, media_id: '@m' } }
					: OK,
			),
		);
		const transport = await transportFor(fake);
		const upload = {
			...UPLOAD,
			multipart: async () => ({
				body: Buffer.from('x'),
				contentType: 'multipart/form-data; boundary=b',
			}),
		};
		await settle(transport.call(upload, 0));
		await settle(transport.call(LOOKUP, 0));
		const [legacy, lookup] = fake.requests.filter((request) => request.kind === 'api');
		expect([legacy.qs.access_token, legacy.headers['x-acs-dingtalk-access-token']]).toEqual([
			'tok-1',
			undefined,
		]);
		expect([lookup.qs.access_token, lookup.headers['x-acs-dingtalk-access-token']]).toEqual([
			undefined,
			'tok-1',
		]);
		expect(fake.count('token')).toBe(1);
	});
});

describe('token request failures', () => {
	it.each([
		['a 503', () => ({ statusCode: 503, body: { code: 'systemBusy' } })],
		[
			'a rate-limit answer',
			() => ({ statusCode: 403, body: { code: 'Forbidden.AccessDenied.QpsLimitForApi' } }),
		],
		['a network error', () => Promise.reject(networkError('ECONNRESET'))],
	])('%s of the token API is retried like a look-up', async (_name, failure) => {
		const fake = new FakeN8n(
			freshApp(),
			script(
				() => OK,
				(_r, i) => (i === 0 ? (failure as Script)(_r, i) : tokenAnswer('tok-ok')),
			),
		);
		const { value } = await settle((await transportFor(fake)).call(SEND, 0));
		expect(value).toEqual(OK.body);
		expect(fake.count('token')).toBe(2);
		expect(fake.count('api')).toBe(1);
	});

	it('one failed refresh does not fail the calls waiting on it: 5 calls, one failed and one good token request', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(
				() => OK,
				(_r, i) =>
					i === 0 ? { statusCode: 500, body: { code: 'systemError' } } : tokenAnswer('tok-ok'),
			),
		);
		const transport = await transportFor(fake);
		const outcomes = await settle(
			Promise.all([0, 1, 2, 3, 4].map((index) => transport.call(LOOKUP, index))),
		);
		expect(outcomes.error).toBeUndefined();
		expect(fake.count('token')).toBe(2);
		expect(fake.count('api')).toBe(5);
	});

	it('a network failure while fetching the token before a send says that nothing was sent', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(
				() => OK,
				() => Promise.reject(networkError('ECONNRESET')),
			),
		);
		const { error } = await settle((await transportFor(fake, { maxRetries: 1 })).call(SEND, 0));
		expect(fake.count('api')).toBe(0);
		const shown = error as Error & { description: string };
		expect(shown.message).toBe(
			'Could not reach DingTalk to get an access token: the connection was cut before an answer came',
		);
		expect(shown.description).toContain('Nothing was sent');
		expect(shown.description).not.toContain('may already have delivered');
	});

	it("a wrong secret fails at once, with DingTalk's request id from the header and nothing of the request", async () => {
		const app = freshApp();
		const fake = new FakeN8n(
			app,
			script(
				() => OK,
				() => ({
					statusCode: 400,
					body: { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' },
					headers: { 'x-acs-request-id': 'REQ-TOKEN-1' },
				}),
			),
		);
		const { error } = await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect(fake.count('token')).toBe(1);
		const shown = error as Error & { description: string };
		expect(shown.message).toContain('[invalidClientIdOrSecret]');
		expect(shown.description).toContain('Request ID: REQ-TOKEN-1');
		expect(shown.description).toContain('Nothing was sent');
		expect(inspect(error, { depth: 20 })).not.toContain(String(app.clientSecret));
	});

	it.each([
		['invalidSuiteTicket', 'suite_ticket'],
		['invalidAuthCorpId', 'org_suite_auth'],
	])('%s says where the right value comes from', async (code, source) => {
		const fake = new FakeN8n(
			freshApp({
				appType: 'thirdParty',
				suiteKey: 'suite',
				suiteSecret: String(freshApp().clientSecret),
				authCorpId: 'corp',
				suiteTicket: 'ticket',
			}),
			script(
				() => OK,
				() => ({ statusCode: 400, body: { code, message: 'no' } }),
			),
		);
		const { error } = await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect((error as Error & { description: string }).description).toContain(source);
	});
});

describe('rate limit', () => {
	/** A DingTalk that accepts `limit` calls in any rolling second (on the fake clock) and refuses the rest. */
	function limitedTo(limit: number) {
		const accepted: number[] = [];
		const refusals = { count: 0 };
		const answer: Script = () => {
			const now = performance.now();
			while (accepted.length > 0 && now - accepted[0] >= 1000) accepted.shift();
			if (accepted.length >= limit) {
				refusals.count++;
				return {
					statusCode: 403,
					body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' },
				};
			}
			accepted.push(now);
			return OK;
		};
		return { answer, refusals };
	}

	it('two executions of one app against a DingTalk that allows 10/s: every call succeeds, both share the limit', async () => {
		const server = limitedTo(10);
		const app = freshApp();
		const first = new FakeN8n(app, script(server.answer));
		const second = new FakeN8n(app, script(server.answer));
		const [a, b] = [await transportFor(first), await transportFor(second)];
		const started = performance.now();
		const { error } = await settle(
			Promise.all(
				Array.from({ length: 100 }, (_, index) => (index % 2 ? a : b).call(LOOKUP, index)),
			),
		);
		const seconds = (performance.now() - started) / 1000;
		expect(error).toBeUndefined();
		// 100 calls at 10 in any rolling second: 9 s at the least. The shared allowance settles there.
		expect(seconds).toBeGreaterThanOrEqual(9);
		expect(seconds).toBeLessThan(9.9 * 1.15);
		expect(server.refusals.count).toBeLessThan(40);
	});

	it('a refused call goes again in the next free slot, however often: bounded by time, not by Max Retries', async () => {
		const server = limitedTo(1);
		const fake = new FakeN8n(freshApp(), script(server.answer));
		const transport = await transportFor(fake, { maxRetries: 0 });
		const { error } = await settle(
			Promise.all(Array.from({ length: 8 }, (_, index) => transport.call(LOOKUP, index))),
		);
		expect(error).toBeUndefined();
		expect(server.refusals.count).toBeGreaterThan(0);
	});

	it('a call DingTalk keeps refusing for rate gives up after 5 minutes, saying so', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => ({
				statusCode: 403,
				body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' },
			})),
		);
		const started = performance.now();
		const { error } = await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect(performance.now() - started).toBeGreaterThanOrEqual(5 * 60 * 1000);
		expect((error as Error).message).toBe(
			"DingTalk: DingTalk's limit of calls per second for this app and API was exceeded, even after retries [Forbidden.AccessDenied.QpsLimitForAppkeyAndApi]",
		);
	});

	it('counts the call that fetched a slow token from when its answer came: the 21st call waits a second after that', async () => {
		const sentAt: number[] = [];
		const fake = new FakeN8n(
			freshApp(),
			script(
				() => {
					sentAt.push(performance.now());
					return OK;
				},
				async () => {
					await new Promise((resolve) => setTimeout(resolve, 300));
					return tokenAnswer('tok-slow');
				},
			),
		);
		const transport = await transportFor(fake);
		const started = performance.now();
		await settle(
			Promise.all(Array.from({ length: 21 }, (_, index) => transport.call(LOOKUP, index))),
		);
		expect(sentAt).toHaveLength(21);
		expect(sentAt[0] - started).toBeGreaterThanOrEqual(300);
		expect(sentAt[20] - sentAt[0]).toBeGreaterThanOrEqual(1000);
	});

	it('keeps counting on a monotonic clock: setting the wall clock back does not stall an app', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => OK),
		);
		const transport = await transportFor(fake, { callsPerSecond: 2 });
		await settle(Promise.all([transport.call(LOOKUP, 0), transport.call(LOOKUP, 1)]));
		jest.setSystemTime(Date.now() - 3600_000);
		const started = performance.now();
		await settle(transport.call(LOOKUP, 2));
		expect(performance.now() - started).toBeLessThan(2000);
		expect(fake.count('api')).toBe(3);
	});

	it('a wait ends when n8n cancels the execution', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => ({
				statusCode: 403,
				body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' },
			})),
		);
		const transport = await transportFor(fake, { callsPerSecond: 1 });
		const pending = settle(transport.call(LOOKUP, 0));
		await jest.advanceTimersByTimeAsync(100);
		fake.abort.abort();
		const { error } = await pending;
		expect((error as Error).message).toBe('The execution was cancelled');
		expect(fake.count('api')).toBe(1);
	});
});

describe('module state', () => {
	it('expires: apps nobody used for hours leave nothing behind', async () => {
		const before = transportStateSize();
		for (let index = 0; index < 30; index++) {
			const fake = new FakeN8n(
				freshApp(),
				script(() => OK),
			);
			await settle((await transportFor(fake)).call(LOOKUP, 0));
		}
		expect(transportStateSize().tokens).toBeGreaterThanOrEqual(before.tokens + 30);
		jest.advanceTimersByTime(4 * 3600_000);
		await transportFor(
			new FakeN8n(
				freshApp(),
				script(() => OK),
			),
		);
		expect(transportStateSize()).toEqual({ tokens: 0, rateWindows: 0 });
	});
});

describe('requests go where the user pointed them', () => {
	it('a redirect is not followed: an error names the host it pointed to', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => ({
				statusCode: 307,
				headers: { location: 'https://elsewhere.example:8443/v1.0/x?sig=1' },
			})),
		);
		const { error } = await settle((await transportFor(fake)).call(LOOKUP, 0));
		expect(
			fake.requests.filter((r) => r.kind === 'api').every((r) => r.options.disableFollowRedirect),
		).toBe(true);
		expect(fake.count('api')).toBe(1);
		const shown = error as Error & { description: string };
		expect(shown.message).toBe(
			'DingTalk: the address answered with a redirect, which the node does not follow [redirect]',
		);
		expect(shown.description).toContain("DingTalk's message: redirected to elsewhere.example:8443");
		expect(shown.description).not.toContain('sig=1');
	});

	it.each([
		[
			'an HTML page',
			'<html><body>Access denied: your IP is banned</body></html>',
			'Access denied: your IP is banned',
		],
		['an empty body', '', '(an empty body)'],
	])(
		'a 200 answer with %s is an error with the status and what came back',
		async (_name, body, shown) => {
			const fake = new FakeN8n(
				freshApp(),
				script(() => ({ statusCode: 200, body })),
			);
			const { error } = await settle((await transportFor(fake)).call(LOOKUP, 0));
			expect((error as Error).message).toBe(
				"DingTalk: the answer is not DingTalk's JSON [unexpectedAnswer]",
			);
			expect((error as Error & { httpCode: string }).httpCode).toBe('200');
			expect((error as Error & { description: string }).description).toContain(shown);
		},
	);

	it.each([
		['http://127.0.0.1:9000/a.file', 'china'],
		['http://10.1.2.3/a.file', 'china'],
		['http://169.254.169.254/latest/meta-data', 'international'],
		['http://[::1]/a.file', 'china'],
		['http://localhost/a.file', 'china'],
		['file:///etc/passwd', 'custom'],
	])(
		'a signed URL %s is not fetched with the %s region, and the error says which rule',
		async (url, region) => {
			const fake = new FakeN8n(
				freshApp({ region }),
				script(() => OK),
			);
			const transport = await transportFor(fake);
			const { error } = await settle(transport.downloadSignedFile(url, 0, 1024, readAll));
			expect(fake.requests).toHaveLength(0);
			const shown = error as Error & { description: string };
			expect(shown.message).toBe('DingTalk gave a download link the node does not fetch');
			expect(shown.description).toMatch(
				/^The link was refused because (it points to .+, a loopback, private|its scheme is file)/,
			);
			expect(shown.description).not.toContain(url);
		},
	);

	it('a signed URL to your own host is fetched with the Custom region, with no token and no redirects', async () => {
		const fake = new FakeN8n(freshApp(), () => ({
			statusCode: 200,
			body: Readable.from([Buffer.from('%PDF-1.4 rest of the file')]),
			headers: { 'content-length': '25' },
		}));
		const transport = await transportFor(fake);
		const { value } = await settle(
			transport.downloadSignedFile('http://127.0.0.1:3902/a.file?Signature=x', 0, 1024, readAll),
		);
		expect(value?.size).toBe(25);
		expect(value?.head.toString()).toBe('%PDF-1.4 rest of the file');
		expect(value?.whole.toString()).toBe('%PDF-1.4 rest of the file');
		expect(fake.requests).toHaveLength(1);
		expect(fake.requests[0]).toMatchObject({ kind: 'file', headers: {} });
		expect(fake.requests[0].options.disableFollowRedirect).toBe(true);
	});

	it('a file larger than Max File Size is refused from the announced size, before it is read', async () => {
		let read = false;
		const body = Readable.from(
			(async function* () {
				read = true;
				yield Buffer.alloc(10);
			})(),
		);
		const fake = new FakeN8n(freshApp(), () => ({
			statusCode: 200,
			body,
			headers: { 'content-length': '5000' },
		}));
		const { error } = await settle(
			(await transportFor(fake)).downloadSignedFile('http://127.0.0.1/a.file', 0, 4096, readAll),
		);
		expect((error as Error).message).toBe(
			'The file is 5,000 bytes, more than the 4,096 bytes allowed by "Max File Size"',
		);
		expect(read).toBe(false);
	});

	/** A host that sends `chunks` with no size announced, then fails with `failure` if given. */
	const chunkedHost = (chunks: number, failure?: Error) => {
		const served = { chunks: 0 };
		const body = Readable.from(
			(async function* () {
				for (let i = 0; i < chunks; i++) {
					served.chunks++;
					yield Buffer.alloc(1024, i === 0 ? 0x25 : 0x61);
				}
				if (failure) throw failure;
			})(),
		);
		return { served, answer: () => ({ statusCode: 200, body, headers: {} }) };
	};

	it.each([
		['read by a listener, as n8n keeps a file in memory', readByListener],
		['piped, as n8n writes a file to disk', readByPipe],
		['iterated', readAll],
	])(
		'a file with no announced size is stopped at Max File Size as it arrives (%s)',
		async (_how, read) => {
			const host = chunkedHost(1000);
			const fake = new FakeN8n(freshApp(), host.answer);
			const { error } = await settle(
				(await transportFor(fake)).downloadSignedFile('http://127.0.0.1/a.file', 0, 10_000, read),
			);
			expect((error as Error).message).toBe(
				'The file is larger than the 10,000 bytes allowed by "Max File Size"',
			);
			expect((error as Error & { description: string }).description).toMatch(
				/stopped at the limit and nothing was kept/,
			);
			// Stopped at the limit: what was read ahead is a few chunks, not the whole 1 MB.
			expect(host.served.chunks).toBeLessThan(100);
		},
	);

	it.each([
		['read by a listener', readByListener],
		['piped', readByPipe],
		['iterated', readAll],
	])('a file within Max File Size with no announced size comes whole (%s)', async (_how, read) => {
		const host = chunkedHost(8);
		const fake = new FakeN8n(freshApp(), host.answer);
		const { value } = await settle(
			(await transportFor(fake)).downloadSignedFile('http://127.0.0.1/a.file', 0, 8192, read),
		);
		expect(value?.whole.length).toBe(8192);
		expect(value?.size).toBeUndefined();
	});

	it("a connection cut mid-file gets the node's own error, saying how far it came, with no URL", async () => {
		const host = chunkedHost(
			3,
			networkError('ECONNRESET', 'aborted http://127.0.0.1/a.file?Signature=x'),
		);
		const fake = new FakeN8n(freshApp(), host.answer);
		const { error } = await settle(
			(await transportFor(fake)).downloadSignedFile(
				'http://127.0.0.1/a.file?Signature=x',
				0,
				1_000_000,
				readByListener,
			),
		);
		const shown = error as Error & { description: string };
		expect(shown.message).toBe(
			"The download from DingTalk's file host broke off after 3,072 bytes: the connection was cut",
		);
		expect(shown.description).toBe(
			'Network error ECONNRESET. Nothing was kept; run the node again to get a fresh download link.',
		);
		expect(JSON.stringify(error)).not.toContain('Signature=x');
	});

	it.each([
		['http://169.254.169.254/latest/meta-data', 'china'],
		['http://10.0.0.5/bucket/key', 'international'],
		['ftp://storage.example/key', 'custom'],
	])('a signed upload address %s is not sent to with the %s region', async (url, region) => {
		const fake = new FakeN8n(
			freshApp({ region }),
			script(() => OK),
		);
		const transport = await transportFor(fake);
		const { error } = await settle(
			transport.putSignedFile({ url, headers: {} }, async () => Buffer.from('x'), 1, 0),
		);
		expect(fake.requests).toHaveLength(0);
		const shown = error as Error & { description: string };
		expect(shown.message).toBe(
			'DingTalk gave an upload address the node does not send the file to',
		);
		expect(shown.description).toMatch(
			/^The address was refused because (it points to|its scheme is)/,
		);
		expect(shown.description).not.toContain(url);
	});
});

describe('the Stream endpoint', () => {
	const gatewayAnswering = (endpoint: string) => () => ({
		statusCode: 200,
		body: { endpoint, ticket: 'ticket-0123456789' },
	});

	it.each([
		[
			'ws://wss-open-connection.dingtalk.com/connect',
			'china',
			/its scheme is ws, and the ticket goes only over wss/,
		],
		['https://wss-open-connection.dingtalk.com/connect', 'international', /its scheme is https/],
		['wss://user:pw@gateway.example/connect', 'china', /user name or password/],
	])(
		'%s with the %s region is not connected to: the ticket never travels in clear',
		async (endpoint, region, reason) => {
			const fake = new FakeN8n(freshApp({ region }), gatewayAnswering(endpoint));
			const grant = await (await transportFor(fake)).openStreamConnection();
			expect(grant.ok).toBe(false);
			if (grant.ok) return;
			// Tried again later, with backoff: the next answer may hold another endpoint.
			expect(grant.final).toBe(false);
			expect(grant.error.message).toBe(
				'DingTalk: the Stream endpoint DingTalk gave was not connected to [streamEndpointRefused]',
			);
			expect(grant.error.description).toMatch(reason);
			expect(JSON.stringify(grant.error)).not.toContain('ticket-0123456789');
		},
	);

	it.each([
		['wss://wss-open-connection.dingtalk.com/connect', 'china'],
		['ws://127.0.0.1:3904/connect', 'custom'],
	])('%s with the %s region is connected to', async (endpoint, region) => {
		const fake = new FakeN8n(freshApp({ region }), gatewayAnswering(endpoint));
		const grant = await (await transportFor(fake)).openStreamConnection();
		expect(grant).toEqual({ ok: true, endpoint, ticket: 'ticket-0123456789' });
	});
});

type Download = Parameters<Parameters<DingTalkTransport['downloadSignedFile']>[3]>[0];

/** Reads a download as n8n's binary helpers do, in one of their ways, and hands back what came. */
async function readAll(download: Download) {
	const chunks: Buffer[] = [];
	if (Buffer.isBuffer(download.stream)) chunks.push(download.stream);
	else for await (const chunk of download.stream) chunks.push(chunk);
	return { ...download, whole: Buffer.concat(chunks) };
}

async function readByListener(download: Download) {
	const stream = download.stream as unknown as Readable;
	// n8n attaches its reader after awaiting other work: nothing may flow before that.
	await new Promise((resolve) => setTimeout(resolve, 20));
	const whole = await new Promise<Buffer>((resolve, reject) => {
		const chunks: Buffer[] = [];
		stream.on('data', (chunk: Buffer) => chunks.push(chunk));
		stream.once('end', () => resolve(Buffer.concat(chunks)));
		stream.once('error', reject);
	});
	return { ...download, whole };
}

async function readByPipe(download: Download) {
	const chunks: Buffer[] = [];
	await new Promise((resolve) => setTimeout(resolve, 20));
	await pipeline(
		download.stream as unknown as Readable,
		new Writable({
			write(chunk: Buffer, _encoding, done) {
				chunks.push(chunk);
				done();
			},
		}),
	);
	return { ...download, whole: Buffer.concat(chunks) };
}

describe('error guidance', () => {
	it.each([
		[SEND, 'ConvFile.File.Send'],
		[LOOKUP, 'ConvFile.Space.Read'],
	])(
		'a user without rights: the remedy names the permission of the operation that failed',
		async (call, permission) => {
			const fake = new FakeN8n(
				freshApp(),
				script(() => ({ statusCode: 403, body: { code: 'permissionDenied', message: 'no' } })),
			);
			const { error } = await settle((await transportFor(fake)).call(call, 0));
			expect((error as Error & { description: string }).description).toContain(
				`check that the app has the permission ${permission}.`,
			);
		},
	);
});

describe('redaction', () => {
	it('hides every form a secret takes in a DingTalk message', async () => {
		const app = freshApp();
		const secret = `${String(app.clientSecret)}/+=`;
		const echoed = [
			`secret ${secret}`,
			`encoded ${encodeURIComponent(secret)}`,
			'json {"accessToken":"tok-1","appSecret":"abc"}',
			'header x-acs-dingtalk-access-token: tok-1',
			'url https://f.example/a.file?OSSAccessKeyId=AK123&Expires=9&Signature=abc%2Bdef',
			'query ?access_token=tok-1&type=file',
		].join(' | ');
		const fake = new FakeN8n(
			{ ...app, clientSecret: secret },
			script(() => ({ statusCode: 400, body: { code: 'paramError', message: echoed } })),
		);
		const { error } = await settle((await transportFor(fake)).call(LOOKUP, 0));
		const shown = inspect(error, { depth: 20 });
		for (const leaked of [secret, 'tok-1', 'AK123', 'abc%2Bdef', '"abc"'])
			expect(shown).not.toContain(leaked);
		expect((error as Error & { description: string }).description).toContain(
			'"accessToken":"[redacted]"',
		);
	});
});

describe('the node refuses settings that make no sense, before any request', () => {
	async function run(fake: FakeN8n) {
		return await settle(new DingTalk().execute.call(fake.context()));
	}
	const lookup: IDataObject = {
		resource: 'groupSpace',
		operation: 'get',
		openConversationId: 'cidGroup==',
		operatorUnionId: 'unionAlice',
	};

	it.each([0, -1, '', 'fast', 1.5, 21])('Calls per Second of %j', async (value) => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => OK),
			{ ...lookup, requestOptions: { callsPerSecond: value } },
		);
		const { error } = await run(fake);
		expect((error as Error).message).toBe(
			`Request Options > Calls per Second: "${value}" is not a whole number from 1 to 20`,
		);
		expect(fake.requests).toHaveLength(0);
	});

	it('Retry On Fail on a send: refused, saying why and what to use instead', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => OK),
			{
				resource: 'file',
				operation: 'sendToUser',
				receiverUnionId: 'unionAlice',
				spaceId: '1',
				fileId: 'd1',
			},
		);
		fake.node = { ...fake.node, retryOnFail: true };
		const { error } = await run(fake);
		expect((error as Error).message).toBe(
			'Retry On Fail is on: it would send the messages of this node again, the delivered ones too',
		);
		expect((error as Error & { description: string }).description).toContain(
			'Turn off Settings > Retry On Fail',
		);
		expect(fake.requests).toHaveLength(0);
	});

	it('Retry On Fail on a look-up is fine', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => OK),
			lookup,
		);
		fake.node = { ...fake.node, retryOnFail: true };
		const { value } = await run(fake);
		expect(value?.[0][0].json).toEqual({ spaceId: '1' });
	});
});

describe('memory', () => {
	it('Media > Upload refuses an oversized file from its metadata, without reading it', async () => {
		const fake = new FakeN8n(
			freshApp(),
			script(() => OK),
			{ resource: 'media', operation: 'upload', binaryPropertyName: 'data', mediaType: 'auto' },
			[
				{
					json: {},
					binary: {
						data: {
							id: 'big',
							data: 'filesystem-v2',
							fileName: 'big.pdf',
							mimeType: 'application/pdf',
						},
					},
				},
			],
		);
		fake.binaryStore = new Proxy(
			{},
			{ get: (_t, key) => (key === 'big' ? { length: 2 * 1024 ** 3 } : undefined) },
		) as never;
		const context = fake.context();
		context.helpers.getBinaryStream = async () => {
			throw new Error('the node read the file');
		};
		const { error } = await settle(new DingTalk().execute.call(context));
		expect((error as Error).message).toBe(
			'Input Binary Field: "big.pdf" is 2,147,483,648 bytes; DingTalk accepts file files up to 20 MB (20 × 1,048,576 bytes)',
		);
		expect(fake.requests).toHaveLength(0);
	});

	it('Media > Upload writes the file straight into the one multipart body', async () => {
		const bytes = Buffer.alloc(300 * 1024, 7);
		const fake = new FakeN8n(
			freshApp(),
			script(() => ({
				statusCode: 200,
				body: { errcode: 0, media_id: '@m', type: 'file', created_at: 1 },
			})),
			{ resource: 'media', operation: 'upload', binaryPropertyName: 'data', mediaType: 'auto' },
			[
				{
					json: {},
					binary: {
						data: {
							id: 'f',
							data: 'filesystem-v2',
							fileName: 'a.pdf',
							mimeType: 'application/pdf',
						},
					},
				},
			],
			{ f: bytes },
		);
		const { value, error } = await settle(new DingTalk().execute.call(fake.context()));
		expect(error).toBeUndefined();
		expect(value?.[0][0].json).toMatchObject({ mediaId: '@m', fileSize: bytes.length });
		const sent = fake.requests[1].body as Buffer;
		expect(sent.indexOf(bytes)).toBeGreaterThan(0);
		expect(sent.length).toBeLessThan(bytes.length + 1024);
	});
});
