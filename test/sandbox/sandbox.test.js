'use strict';
// Tests of the DingTalk sandbox itself, over real HTTP: the other integration and e2e tests trust it.
const crypto = require('node:crypto');
const FormData = require('form-data');
const { createSandbox, DEMO, PATHS } = require('./server');

const P = PATHS;
const MiB = 1024 * 1024;
const { alice, bob, carol, outsider } = DEMO.users;
const GROUP = DEMO.group.openConversationId;
const SPACE = DEMO.group.space.spaceId;

let sandbox;
let urls;

beforeAll(async () => {
	sandbox = createSandbox();
	urls = await sandbox.start();
});
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.reset());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

async function call(url, { method = 'POST', body, token, headers = {}, raw, signal } = {}) {
	const allHeaders = { ...headers };
	if (token) allHeaders['x-acs-dingtalk-access-token'] = token;
	let payload = raw;
	if (body !== undefined) {
		allHeaders['content-type'] = 'application/json';
		payload = JSON.stringify(body);
	}
	const res = await fetch(url, { method, headers: allHeaders, body: payload, signal });
	const buffer = Buffer.from(await res.arrayBuffer());
	let json = null;
	try {
		json = JSON.parse(buffer.toString('utf8'));
	} catch {
		// not JSON: tests look at text or buffer
	}
	return { status: res.status, headers: res.headers, buffer, text: buffer.toString('utf8'), json };
}
const api = (path, options) => call(urls.apiBaseUrl + path, options);
const withUnion = (path, unionId) => `${path}?unionId=${encodeURIComponent(unionId)}`;

async function appToken(app = DEMO.app) {
	const res = await api(P.appToken, { body: { appKey: app.appKey, appSecret: app.appSecret } });
	expect(res.status).toBe(200);
	return res.json.accessToken;
}

async function suiteToken() {
	const { suiteKey, suiteSecret, authCorpId, suiteTicket } = DEMO.suite;
	const res = await api(P.corpToken, { body: { suiteKey, suiteSecret, authCorpId, suiteTicket } });
	expect(res.status).toBe(200);
	return res.json.accessToken;
}

// new-API error family: status + {code, message, requestid} with requestid == x-acs-request-id
function expectApiError(res, status, code) {
	expect({ status: res.status, code: res.json && res.json.code }).toEqual({ status, code });
	expect(typeof res.json.message).toBe('string');
	expect(res.json.message.length).toBeGreaterThan(0);
	expect(res.json.requestid).toEqual(expect.any(String));
	expect(res.json.requestid).toBe(res.headers.get('x-acs-request-id'));
}

// legacy error family: always HTTP 200 with {errcode, errmsg}
function expectLegacyError(res, errcode) {
	expect(res.status).toBe(200);
	expect(res.json.errcode).toBe(errcode);
	expect(typeof res.json.errmsg).toBe('string');
}

async function upload({
	token,
	type = 'image',
	queryType,
	filename = 'team photo.png',
	bytes = DEMO.files.photoPng.bytes,
	contentType = 'image/png',
	field = 'media',
	headers,
} = {}) {
	const form = new FormData();
	if (type !== null) form.append('type', type);
	if (field) form.append(field, bytes, { filename, contentType });
	const params = new URLSearchParams();
	if (token) params.set('access_token', token);
	if (queryType) params.set('type', queryType);
	return call(`${urls.legacyBaseUrl}/media/upload?${params}`, {
		headers: { ...form.getHeaders(), ...headers },
		raw: form.getBuffer(),
	});
}

// reads an answer's body as it arrives, hashing it; complete is false when the connection was cut
async function readStream(res) {
	const hash = crypto.createHash('sha256');
	let received = 0;
	let complete = true;
	try {
		for await (const chunk of res.body) {
			hash.update(chunk);
			received += chunk.length;
		}
	} catch {
		complete = false;
	}
	return { received, sha256: hash.digest('hex'), complete };
}

async function downloadUrl(token, downloadCode = DEMO.downloadCodes.reportPdf) {
	const res = await api(P.robotDownload, {
		token,
		body: { downloadCode, robotCode: DEMO.app.robotCode },
	});
	expect(res.status).toBe(200);
	return res.json.downloadUrl;
}

describe('start/stop', () => {
	test('four HTTP hosts and the Stream WebSocket gateway on five ports, base URLs without trailing slash', () => {
		const { streamBaseUrl, ...http } = urls;
		const ports = Object.values(http).map((url) => {
			expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
			return new URL(url).port;
		});
		expect(streamBaseUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
		expect(new Set([...ports, new URL(streamBaseUrl).port]).size).toBe(5);
		expect(sandbox.apiBaseUrl).toBe(urls.apiBaseUrl);
	});

	test('a second sandbox starts and stops on its own ports', async () => {
		const other = createSandbox();
		const otherUrls = await other.start();
		expect(otherUrls.apiBaseUrl).not.toBe(urls.apiBaseUrl);
		const res = await call(`${otherUrls.apiBaseUrl}${P.appToken}`, {
			body: { appKey: DEMO.app.appKey, appSecret: DEMO.app.appSecret },
		});
		expect(res.status).toBe(200);
		await other.stop();
		await expect(
			fetch(`${otherUrls.apiBaseUrl}${P.appToken}`, { method: 'POST' }),
		).rejects.toThrow();
	});
});

describe('access tokens', () => {
	test('internal app: 32 hex chars, 7200 s, the same token while valid', async () => {
		const first = await api(P.appToken, {
			body: { appKey: DEMO.app.appKey, appSecret: DEMO.app.appSecret },
		});
		expect(first.status).toBe(200);
		expect(first.json).toEqual({
			accessToken: expect.stringMatching(/^[0-9a-f]{32}$/),
			expireIn: 7200,
		});
		expect(first.headers.get('content-type')).toMatch(/^application\/json/);
		expect(first.headers.get('x-acs-request-id')).toBeTruthy();
		expect(await appToken()).toBe(first.json.accessToken);
		expect(sandbox.tokenFetches()).toBe(2);
	});

	test('a repeat call extends the token', async () => {
		sandbox.setTokenLifetime(2);
		const token = await appToken();
		await sleep(1200);
		expect(await appToken()).toBe(token);
		await sleep(1200); // 2,400 ms after the first issue, 1,200 ms after the extension
		expect(
			(await api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } }))
				.status,
		).toBe(200);
	});

	test('wrong key or secret -> 400 invalidClientIdOrSecret', async () => {
		expectApiError(
			await api(P.appToken, { body: { appKey: DEMO.app.appKey, appSecret: 'wrong' } }),
			400,
			'invalidClientIdOrSecret',
		);
		expectApiError(
			await api(P.appToken, { body: { appKey: 'nobody', appSecret: DEMO.app.appSecret } }),
			400,
			'invalidClientIdOrSecret',
		);
		expect(sandbox.tokenFetches()).toBe(0);
	});

	test('missing fields -> MissingParameter, non-JSON body -> 400', async () => {
		expectApiError(
			await api(P.appToken, { body: { appKey: DEMO.app.appKey } }),
			400,
			'MissingParameter',
		);
		expectApiError(await api(P.appToken, { body: {} }), 400, 'MissingParameter');
		const notJson = await api(P.appToken, {
			raw: 'appKey=x&appSecret=y',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
		});
		expect(notJson.status).toBe(400);
		expect(notJson.json.requestid).toBe(notJson.headers.get('x-acs-request-id'));
		const broken = await api(P.appToken, {
			raw: '{"appKey":',
			headers: { 'content-type': 'application/json' },
		});
		expect(broken.status).toBe(400);
	});

	test('third-party suite: a new token on every call; bad values refused', async () => {
		const a = await suiteToken();
		const b = await suiteToken();
		expect(a).toMatch(/^[0-9a-f]{32}$/);
		expect(b).not.toBe(a);
		expect(sandbox.tokenFetches()).toBe(2);
		const good = { ...DEMO.suite };
		expectApiError(
			await api(P.corpToken, { body: { ...good, suiteTicket: 'stale' } }),
			400,
			'invalidSuiteTicket',
		);
		expectApiError(
			await api(P.corpToken, { body: { ...good, suiteSecret: 'wrong' } }),
			400,
			'invalidClientIdOrSecret',
		);
		expectApiError(
			await api(P.corpToken, { body: { ...good, authCorpId: 'dingunknowncorp' } }),
			400,
			'invalidAuthCorpId',
		);
		expectApiError(
			await api(P.corpToken, { body: { suiteKey: good.suiteKey } }),
			400,
			'MissingParameter',
		);
	});

	test('/oauth2/corpAccessToken without /v1.0 and unknown paths -> 404 NotFound', async () => {
		expectApiError(
			await api('/oauth2/corpAccessToken', { body: { ...DEMO.suite } }),
			404,
			'NotFound',
		);
		expectApiError(await api('/v1.0/nothing/here', { body: {} }), 404, 'NotFound');
		expectApiError(await api(P.appToken, { method: 'GET' }), 404, 'NotFound');
	});

	test('legacy /gettoken shares the token store with the new API', async () => {
		const token = await appToken();
		const res = await call(
			`${urls.legacyBaseUrl}/gettoken?appkey=${DEMO.app.appKey}&appsecret=${DEMO.app.appSecret}`,
			{ method: 'GET' },
		);
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ errcode: 0, errmsg: 'ok', access_token: token, expires_in: 7200 });
		const wrong = await call(
			`${urls.legacyBaseUrl}/gettoken?appkey=${DEMO.app.appKey}&appsecret=nope`,
			{ method: 'GET' },
		);
		expectLegacyError(wrong, 40096);
		expect(wrong.json.access_token).toBeUndefined();
		expectLegacyError(
			await call(
				`${urls.legacyBaseUrl}/gettoken?appkey=${DEMO.app.appKey}&appsecret=${DEMO.app.appSecret}`,
			),
			43001,
		);
		expect(sandbox.tokenFetches()).toBe(2);
	});

	test('missing header -> 400 AuthenticationFailed.MissingParameter; unknown -> 400 InvalidAuthentication', async () => {
		const body = { openConversationId: GROUP };
		expectApiError(
			await api(withUnion(P.spaceQuery, alice), { body }),
			400,
			'AuthenticationFailed.MissingParameter',
		);
		// the new API ignores a token in the query
		const token = await appToken();
		expectApiError(
			await api(`${withUnion(P.spaceQuery, alice)}&access_token=${token}`, { body }),
			400,
			'AuthenticationFailed.MissingParameter',
		);
		const unknown = await api(withUnion(P.spaceQuery, alice), { token: 'f'.repeat(32), body });
		expectApiError(unknown, 400, 'InvalidAuthentication');
		expect(unknown.json.message).toBe('不合法的access_token');
	});

	test('an expired token answers as invalid on both hosts, never 401', async () => {
		sandbox.setTokenLifetime(0.3);
		const res = await api(P.appToken, {
			body: { appKey: DEMO.app.appKey, appSecret: DEMO.app.appSecret },
		});
		expect(res.json.expireIn).toBe(1);
		const token = res.json.accessToken;
		expect(
			(await api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } }))
				.status,
		).toBe(200);
		await sleep(350);
		expectApiError(
			await api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } }),
			400,
			'InvalidAuthentication',
		);
		expectLegacyError(await upload({ token }), 40014);
		const fresh = await appToken();
		expect(fresh).not.toBe(token);
	});

	test('invalidateTokens() makes every issued token invalid', async () => {
		const app = await appToken();
		const suite = await suiteToken();
		sandbox.invalidateTokens();
		for (const token of [app, suite]) {
			expectApiError(
				await api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } }),
				400,
				'InvalidAuthentication',
			);
		}
		expectLegacyError(await upload({ token: app }), 40014);
		expect(await appToken()).not.toBe(app);
		const last = sandbox.requests.at(-2);
		expect(last).toMatchObject({ host: 'legacy', tokenValid: false, appKey: null, errcode: 40014 });
	});

	test('invalidateTokensAfter(n): the n-th counted call succeeds, the next one meets a dead token', async () => {
		const token = await appToken();
		sandbox.invalidateTokensAfter(2);
		const query = () =>
			api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } });
		expect((await query()).status).toBe(200);
		expect((await query()).status).toBe(200);
		expectApiError(await query(), 400, 'InvalidAuthentication');
		expect(await appToken()).not.toBe(token);
	});

	test('issuedTokens() lists every token handed out since the last reset', async () => {
		const first = await appToken();
		const suite = await suiteToken();
		expect(sandbox.issuedTokens()).toEqual([first, suite]);
		sandbox.reset();
		expect(sandbox.issuedTokens()).toEqual([]);
	});
});

describe('group space query', () => {
	let token;
	beforeEach(async () => {
		token = await appToken();
	});
	const query = (unionId, body, t = token) =>
		api(withUnion(P.spaceQuery, unionId), { token: t, body });

	test('a member gets the space', async () => {
		const res = await query(alice, { openConversationId: GROUP });
		expect(res.status).toBe(200);
		expect(res.json).toEqual({
			space: {
				spaceId: '8000001',
				corpId: 'dingsandboxcorp',
				createTime: '2026-01-05T09:00Z',
				modifiedTime: '2026-11-20T16:30Z',
			},
		});
		expect(res.headers.get('x-acs-request-id')).toBeTruthy();
		expect((await query(bob, { openConversationId: GROUP }, await suiteToken())).status).toBe(200);
	});

	test('parameter errors', async () => {
		expectApiError(
			await api(P.spaceQuery, { token, body: { openConversationId: GROUP } }),
			400,
			'paramError',
		);
		expectApiError(await query(alice, {}), 400, 'paramError');
		expectApiError(
			await query(alice, { openConversationId: '' }),
			400,
			'paramError.conversationId',
		);
		expectApiError(
			await query(alice, { openConversationId: 'chat123' }),
			400,
			'paramError.conversationId',
		);
	});

	test('unknown, other-corp and non-member', async () => {
		expectApiError(
			await query(alice, { openConversationId: 'cidNoSuchGroup==' }),
			404,
			'conversationNotExist',
		);
		expectApiError(
			await query(alice, { openConversationId: DEMO.otherCorpGroup.openConversationId }),
			403,
			'acrossOrgAccessForbidden',
		);
		expectApiError(
			await query(outsider, { openConversationId: GROUP }, await appToken(DEMO.otherCorpApp)),
			403,
			'acrossOrgAccessForbidden',
		);
		expectApiError(await query(carol, { openConversationId: GROUP }), 403, 'permissionDenied');
		expectApiError(await query(outsider, { openConversationId: GROUP }), 403, 'permissionDenied');
	});

	test('a revoked scope -> 403 AccessTokenPermissionDenied listing the scope; granting restores it', async () => {
		sandbox.revokeScope(DEMO.app.appKey, 'ConvFile.Space.Read');
		const res = await query(alice, { openConversationId: GROUP });
		expectApiError(res, 403, 'Forbidden.AccessDenied.AccessTokenPermissionDenied');
		expect(res.json.accessdenieddetail).toEqual({ requiredScopes: ['ConvFile.Space.Read'] });
		sandbox.grantScope(DEMO.app.appKey, 'ConvFile.Space.Read');
		expect((await query(alice, { openConversationId: GROUP })).status).toBe(200);
	});
});

describe('send a file to a user (as the app)', () => {
	let token;
	beforeEach(async () => {
		token = await appToken();
	});
	const send = (unionId, body, t = token) =>
		api(withUnion(P.sendToUser, unionId), { token: t, body });

	test('success: the file object without uuid, in the app chat; recorded in sent', async () => {
		const res = await send(carol, { spaceId: SPACE, dentryId: DEMO.dentries.reportPdf });
		expect(res.status).toBe(200);
		expect(res.json).toEqual({
			file: {
				id: 'dentry-report-pdf',
				conversationId: `cidAppChat${carol}`,
				spaceId: SPACE,
				parentId: '0',
				type: 'FILE',
				name: 'Q3 report.pdf',
				size: DEMO.files.reportPdf.size,
				path: '/Q3 report.pdf',
				version: 1,
				status: 'NORMAL',
				extension: 'pdf',
				creatorId: alice,
				modifierId: alice,
				createTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/),
				modifiedTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/),
			},
		});
		expect(sandbox.sent).toEqual([
			expect.objectContaining({
				endpoint: P.sendToUser,
				unionId: carol,
				spaceId: SPACE,
				dentryId: DEMO.dentries.reportPdf,
				time: expect.any(Number),
			}),
		]);
	});

	test('errors', async () => {
		const body = { spaceId: SPACE, dentryId: DEMO.dentries.reportPdf };
		expectApiError(await api(P.sendToUser, { token, body }), 400, 'paramError');
		expectApiError(await send(alice, { dentryId: DEMO.dentries.reportPdf }), 400, 'paramError');
		expectApiError(await send(alice, { ...body, spaceId: '' }), 400, 'paramError.spaceId');
		expectApiError(await send(alice, { ...body, spaceId: 'space one' }), 400, 'paramError.spaceId');
		expectApiError(await send(alice, { ...body, dentryId: '' }), 400, 'paramError.dentryId');
		expectApiError(await send(alice, { ...body, dentryId: 'bad id!' }), 400, 'paramError.dentryId');
		expectApiError(await send(alice, { ...body, spaceId: '999' }), 404, 'spaceNotExist');
		expectApiError(
			await send(alice, { ...body, spaceId: DEMO.otherCorpGroup.space.spaceId }),
			404,
			'spaceNotExist',
		);
		expectApiError(
			await send(alice, { ...body, dentryId: 'dentry-missing' }),
			404,
			'dentryNotExist',
		);
		expectApiError(
			await send(alice, { ...body, dentryId: DEMO.dentries.deleted }),
			404,
			'dentryNotExist',
		);
		expectApiError(
			await send(alice, { ...body, dentryId: DEMO.dentries.folder }),
			400,
			'paramError.dentryId',
		);
		expectApiError(await send(outsider, body), 400, 'permissionDenied');
		expect(sandbox.sent).toEqual([]);
	});

	test('a third-party suite may use it', async () => {
		expect(
			(await send(bob, { spaceId: SPACE, dentryId: DEMO.dentries.photoPng }, await suiteToken()))
				.status,
		).toBe(200);
	});
});

describe('send a file link to a group / the file itself to a group', () => {
	let token;
	beforeEach(async () => {
		token = await appToken();
	});
	const body = { spaceId: SPACE, dentryId: DEMO.dentries.reportPdf, openConversationId: GROUP };

	test('link: the original file with a uuid', async () => {
		const res = await api(withUnion(P.sendLink, alice), { token, body });
		expect(res.status).toBe(200);
		expect(res.json.file).toMatchObject({
			id: 'dentry-report-pdf',
			conversationId: GROUP,
			spaceId: SPACE,
			type: 'FILE',
			name: 'Q3 report.pdf',
			path: '/Q3 report.pdf',
			uuid: expect.any(String),
		});
		expect(sandbox.sent).toEqual([
			expect.objectContaining({
				endpoint: P.sendLink,
				unionId: alice,
				openConversationId: GROUP,
				dentryId: body.dentryId,
			}),
		]);
	});

	test('file to group: a new id (the copy) with a uuid', async () => {
		const res = await api(withUnion(P.sendToGroup, bob), { token, body });
		expect(res.status).toBe(200);
		expect(res.json.file.id).not.toBe(body.dentryId);
		expect(res.json.file).toMatchObject({
			conversationId: GROUP,
			spaceId: SPACE,
			name: 'Q3 report.pdf',
			size: DEMO.files.reportPdf.size,
			uuid: expect.any(String),
			creatorId: bob,
		});
		const again = await api(withUnion(P.sendToGroup, bob), { token, body });
		expect(again.json.file.id).not.toBe(res.json.file.id);
		expect(sandbox.sent.map((s) => s.endpoint)).toEqual([P.sendToGroup, P.sendToGroup]);
	});

	test('the link endpoint is internal-only: a suite token gets 403', async () => {
		const suite = await suiteToken();
		expectApiError(
			await api(withUnion(P.sendLink, alice), { token: suite, body }),
			403,
			'Forbidden.AccessDenied.AccessTokenPermissionDenied',
		);
		expect((await api(withUnion(P.sendToGroup, alice), { token: suite, body })).status).toBe(200);
	});

	test.each([P.sendLink, P.sendToGroup])('errors of %s', async (path) => {
		const send = (unionId, b) => api(withUnion(path, unionId), { token, body: b });
		expectApiError(await api(path, { token, body }), 400, 'paramError');
		expectApiError(
			await send(alice, { ...body, openConversationId: undefined }),
			400,
			'paramError',
		);
		expectApiError(
			await send(alice, { ...body, openConversationId: 'group-1' }),
			400,
			'paramError.conversationId',
		);
		expectApiError(await send(alice, { ...body, spaceId: 'x' }), 400, 'paramError.spaceId');
		expectApiError(await send(alice, { ...body, dentryId: '' }), 400, 'paramError.dentryId');
		expectApiError(
			await send(alice, { ...body, openConversationId: 'cidUnknown==' }),
			404,
			'conversationNotExist',
		);
		expectApiError(
			await send(alice, { ...body, openConversationId: DEMO.otherCorpGroup.openConversationId }),
			403,
			'acrossOrgAccessForbidden',
		);
		expectApiError(await send(carol, body), 403, 'permissionDenied');
		expectApiError(await send(alice, { ...body, spaceId: '123' }), 404, 'spaceNotExist');
		expectApiError(
			await send(alice, { ...body, dentryId: DEMO.dentries.deleted }),
			404,
			'dentryNotExist',
		);
		expect(sandbox.sent).toEqual([]);
	});

	test('a folder: folderNotSupport when sending the file itself', async () => {
		const folder = { ...body, dentryId: DEMO.dentries.folder };
		expectApiError(
			await api(withUnion(P.sendToGroup, alice), { token, body: folder }),
			400,
			'folderNotSupport',
		);
	});

	test('sending needs ConvFile.File.Send', async () => {
		sandbox.revokeScope(DEMO.app.appKey, 'ConvFile.File.Send');
		for (const path of [P.sendLink, P.sendToGroup, P.sendToUser]) {
			const res = await api(withUnion(path, alice), { token, body });
			expectApiError(res, 403, 'Forbidden.AccessDenied.AccessTokenPermissionDenied');
			expect(res.json.accessdenieddetail.requiredScopes).toEqual(['ConvFile.File.Send']);
		}
	});
});

describe('robot message file download and the file host', () => {
	let token;
	beforeEach(async () => {
		token = await appToken();
	});
	const download = (downloadCode, robotCode = DEMO.app.robotCode, t = token) =>
		api(P.robotDownload, { token: t, body: { downloadCode, robotCode } });

	test('a signed URL on the file host that serves the exact bytes', async () => {
		const before = Math.floor(Date.now() / 1000);
		const url = await downloadUrl(token);
		const parsed = new URL(url);
		expect(parsed.origin).toBe(urls.fileBaseUrl);
		expect(parsed.pathname).toMatch(/^\/[A-Za-z0-9]+\.file$/);
		expect(Number(parsed.searchParams.get('Expires'))).toBeGreaterThanOrEqual(before + 3600);
		expect(parsed.searchParams.get('Signature')).toMatch(/^[0-9a-f]{64}$/);
		const file = await call(url, { method: 'GET' });
		expect(file.status).toBe(200);
		expect(file.headers.get('content-type')).toBe('application/octet-stream');
		expect(file.headers.get('content-disposition')).toBe(
			`attachment; filename="${parsed.pathname.slice(1)}"`,
		);
		expect(file.buffer.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
		expect(sha256(file.buffer)).toBe(DEMO.files.reportPdf.sha256);
		expect(file.buffer.length).toBeGreaterThan(2000);
		expect(sandbox.requests.at(-1)).toMatchObject({
			host: 'files',
			status: 200,
			tokenHeader: false,
			hadQueryToken: false,
			counted: false,
		});
	});

	test('PNG and AMR codes; a code issued by a test', async () => {
		const png = await call(await downloadUrl(token, DEMO.downloadCodes.photoPng), {
			method: 'GET',
		});
		expect(png.buffer.subarray(0, 8)).toEqual(
			Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		);
		expect(sha256(png.buffer)).toBe(DEMO.files.photoPng.sha256);
		const amr = await call(await downloadUrl(token, DEMO.downloadCodes.voiceAmr), {
			method: 'GET',
		});
		expect(amr.buffer.subarray(0, 6).toString('latin1')).toBe('#!AMR\n');
		const code = sandbox.issueDownloadCode({
			fileName: 'notes.txt',
			bytes: Buffer.from('hello sandbox'),
		});
		const mine = await call(await downloadUrl(token, code), { method: 'GET' });
		expect(mine.text).toBe('hello sandbox');
	});

	test('errors of the download API', async () => {
		const empty = await download(DEMO.downloadCodes.reportPdf, '');
		expectApiError(empty, 400, 'invalidParameter.robotCode.empty');
		expect(empty.json.message).toBe('The bot robotCode is empty.');
		const noCode = await download('');
		expectApiError(noCode, 400, 'invalidParameter.robotCode.empty');
		expect(noCode.json.message).toBe('The bot downloadCode is empty.');
		expectApiError(
			await api(P.robotDownload, { token, body: {} }),
			400,
			'invalidParameter.robotCode.empty',
		);
		expectApiError(await download('dlcode-nope'), 400, 'invalidParameter.robotCode.downloadCode');
		expectApiError(
			await download(DEMO.downloadCodes.expired),
			400,
			'invalidParameter.robotCode.downloadCode',
		);
		const mismatch = await download(DEMO.downloadCodes.otherRobot);
		expectApiError(mismatch, 400, 'invalidParameter.robotCode.auth');
		expect(mismatch.json.message).toMatch(/^This downloadCode does not match the bot robotCode/);
		const otherOrg = await download(DEMO.downloadCodes.otherCorp);
		expectApiError(otherOrg, 400, 'invalidParameter.robotCode.auth');
		expect(otherOrg.json.message).toMatch(/organization/);
		// the right robot for the other-robot code works
		expect((await download(DEMO.downloadCodes.otherRobot, DEMO.otherRobotCode)).status).toBe(200);
		expectApiError(
			await download(
				DEMO.downloadCodes.reportPdf,
				DEMO.app.robotCode,
				await appToken(DEMO.otherCorpApp),
			),
			400,
			'invalidParameter.robotCode.auth',
		);
	});

	test('tampered and expired URLs are refused like OSS', async () => {
		const url = new URL(await downloadUrl(token));
		const signature = url.searchParams.get('Signature');
		const badSig = new URL(url);
		badSig.searchParams.set(
			'Signature',
			signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0'),
		);
		const res1 = await call(badSig.href, { method: 'GET' });
		expect(res1.status).toBe(403);
		expect(res1.text).toContain('<Code>SignatureDoesNotMatch</Code>');
		const laterExpiry = new URL(url);
		laterExpiry.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 3600));
		expect((await call(laterExpiry.href, { method: 'GET' })).text).toContain(
			'<Code>SignatureDoesNotMatch</Code>',
		);
		const otherPath = new URL(url);
		otherPath.pathname = '/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.file';
		expect((await call(otherPath.href, { method: 'GET' })).status).toBe(403);
		const bare = await call(`${url.origin}${url.pathname}`, { method: 'GET' });
		expect(bare.status).toBe(403);
		expect(bare.text).toContain('<Code>AccessDenied</Code>');

		sandbox.setDownloadUrlLifetime(-5);
		const expired = await call(await downloadUrl(token), { method: 'GET' });
		expect(expired.status).toBe(403);
		expect(expired.text).toContain('<Code>AccessDenied</Code>');
		expect(expired.text).toContain('Request has expired');

		const good = url.href;
		sandbox.reset(); // forgets issued files
		const gone = await call(good, { method: 'GET' });
		expect(gone.status).toBe(404);
		expect(gone.text).toContain('<Code>NoSuchKey</Code>');
	});

	test('a generated file (size, not bytes): hashed in well under 2 s at 100 MiB, streamed by the file host', async () => {
		const size = 100 * MiB;
		const started = Date.now();
		const { attachments } = await sandbox.robot.sendMessage({
			type: 'file',
			fileName: 'big.bin',
			size,
		});
		expect(Date.now() - started).toBeLessThan(2000);
		const [big] = attachments;
		expect(big).toEqual({
			downloadCode: expect.any(String),
			fileName: 'big.bin',
			size,
			sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
		});
		const res = await fetch(await downloadUrl(token, big.downloadCode));
		expect(res.status).toBe(200);
		expect(res.headers.get('content-length')).toBe(String(size));
		expect(await readStream(res)).toEqual({ received: size, sha256: big.sha256, complete: true });
		// not a multiple of the 64 KiB chunks; the same bytes on every download of a code
		const odd = sandbox.issueDownloadCode({ fileName: 'odd.bin', size: 100_001 });
		const once = await readStream(await fetch(await downloadUrl(token, odd)));
		const twice = await readStream(await fetch(await downloadUrl(token, odd)));
		expect(once).toEqual({ received: 100_001, sha256: twice.sha256, complete: true });
		const empty = await fetch(await downloadUrl(token, sandbox.issueDownloadCode({ size: 0 })));
		expect(await readStream(empty)).toEqual({ received: 0, sha256: sha256(''), complete: true });
		expect(() => sandbox.issueDownloadCode({ size: -1 })).toThrow(/size/);
		expect(() => sandbox.issueDownloadCode({ size: 1, bytes: Buffer.from('x') })).toThrow(
			/not both/,
		);
	});

	test('setFileHost({ chunked: true }): downloads without Content-Length; reset() and the control API', async () => {
		expect(() => sandbox.setFileHost({ chunked: 'yes' })).toThrow(/true or false/);
		expect(sandbox.setFileHost({ chunked: true })).toEqual({ chunked: true });
		const url = await downloadUrl(token);
		const chunked = await fetch(url);
		expect(chunked.headers.get('content-length')).toBeNull();
		expect(chunked.headers.get('transfer-encoding')).toBe('chunked');
		expect(await readStream(chunked)).toEqual({
			received: DEMO.files.reportPdf.size,
			sha256: DEMO.files.reportPdf.sha256,
			complete: true,
		});
		const generated = await fetch(
			await downloadUrl(token, sandbox.issueDownloadCode({ size: 5000 })),
		);
		expect(generated.headers.get('content-length')).toBeNull();
		expect((await readStream(generated)).received).toBe(5000);
		sandbox.reset();
		token = await appToken();
		const plain = await fetch(await downloadUrl(token));
		expect(plain.headers.get('content-length')).toBe(String(DEMO.files.reportPdf.size));
		await plain.arrayBuffer();
		const control = await api('/_sandbox/file-host', { body: { chunked: true } });
		expect(control.json).toEqual({ chunked: true });
		expect((await api('/_sandbox/state', { method: 'GET' })).json.fileHost).toEqual({
			chunked: true,
		});
		expect((await fetch(await downloadUrl(token))).headers.get('content-length')).toBeNull();
	});

	test('takeMostFilesAtOnce() gives the most downloads that were open at the same time, then counts afresh', async () => {
		sandbox.takeMostFilesAtOnce();
		const urls = await Promise.all([1, 2, 3].map(async () => await downloadUrl(token)));
		// Each answer is held 300 ms: the three overlap.
		sandbox.failNext({ path: '*', host: 'files' }, { delayMs: 300 }, 3);
		await Promise.all(urls.map(async (url) => await readStream(await fetch(url))));
		expect(sandbox.takeMostFilesAtOnce()).toBe(3);
		for (const url of urls) await readStream(await fetch(url));
		expect(sandbox.takeMostFilesAtOnce()).toBe(1);
	});

	test("failNext({ path: '*', host: 'files' }, { cutAfterBytes }): 200 and the real headers, then the connection is cut", async () => {
		expect(() => sandbox.failNext({ path: '*' }, { cutAfterBytes: 10 })).toThrow(/files/);
		expect(() => sandbox.failNext({ path: '*', host: 'files' }, { cutAfterBytes: -1 })).toThrow(
			/integer/,
		);
		sandbox.failNext({ path: '*', host: 'files' }, { cutAfterBytes: 1000 });
		const url = await downloadUrl(token);
		const cut = await fetch(url);
		expect(cut.status).toBe(200);
		expect(cut.headers.get('content-length')).toBe(String(DEMO.files.reportPdf.size));
		expect(await readStream(cut)).toMatchObject({ received: 1000, complete: false });
		expect(await readStream(await fetch(url))).toEqual({
			received: DEMO.files.reportPdf.size,
			sha256: DEMO.files.reportPdf.sha256,
			complete: true,
		});
		// a generated file answered chunked, cut inside its fourth 64 KiB chunk
		sandbox.setFileHost({ chunked: true });
		sandbox.failNext({ path: '*', host: 'files' }, { cutAfterBytes: 200_000 });
		const big = await fetch(await downloadUrl(token, sandbox.issueDownloadCode({ size: 5 * MiB })));
		expect(big.headers.get('content-length')).toBeNull();
		expect(await readStream(big)).toMatchObject({ received: 200_000, complete: false });
		expect(sandbox.requests.filter((r) => r.host === 'files').map((r) => r.status)).toEqual([
			200, 200, 200,
		]);
	});

	test('a token sent to the file host is served but logged', async () => {
		const url = await downloadUrl(token);
		expect((await call(url, { method: 'GET', token })).status).toBe(200);
		expect((await call(`${url}&access_token=${token}`, { method: 'GET' })).status).toBe(200);
		const fileEntries = sandbox.requests.filter((r) => r.host === 'files');
		expect(fileEntries.map((r) => [r.tokenHeader, r.hadQueryToken, r.tokenValid])).toEqual([
			[true, false, true],
			[false, true, true],
		]);
		expect(fileEntries[1].query.access_token).toBe('<redacted>');
	});
});

describe('media upload (legacy host, multipart)', () => {
	let token;
	beforeEach(async () => {
		token = await appToken();
	});

	test('success: media_id, bytes stored, multipart parsed into the log', async () => {
		const before = Date.now();
		const res = await upload({ token });
		expect(res.status).toBe(200);
		expect(res.json).toEqual({
			errcode: 0,
			errmsg: 'ok',
			type: 'image',
			media_id: expect.stringMatching(/^@lA\w+$/),
			created_at: expect.any(Number),
		});
		expect(res.json.created_at).toBeGreaterThanOrEqual(before);
		const stored = sandbox.media.get(res.json.media_id);
		expect(stored).toMatchObject({
			type: 'image',
			filename: 'team photo.png',
			contentType: 'image/png',
			size: DEMO.files.photoPng.size,
			sha256: DEMO.files.photoPng.sha256,
			appKey: DEMO.app.appKey,
		});
		expect(stored.bytes.equals(DEMO.files.photoPng.bytes)).toBe(true);
		expect(sandbox.requests.at(-1)).toMatchObject({
			host: 'legacy',
			path: '/media/upload',
			query: { access_token: '<redacted>' },
			hadQueryToken: true,
			tokenValid: true,
			appKey: DEMO.app.appKey,
			status: 200,
			errcode: 0,
			counted: true,
			body: {
				fields: { type: 'image' },
				file: {
					fieldName: 'media',
					filename: 'team photo.png',
					contentType: 'image/png',
					size: DEMO.files.photoPng.size,
					sha256: DEMO.files.photoPng.sha256,
				},
			},
		});
	});

	test('type from the query when the field is absent; jpeg/JPG count as jpg; a suite token works too', async () => {
		expect(
			(
				await upload({
					token,
					type: null,
					queryType: 'file',
					filename: 'Q3 report.pdf',
					bytes: DEMO.files.reportPdf.bytes,
					contentType: 'application/pdf',
				})
			).json,
		).toMatchObject({ errcode: 0, type: 'file' });
		expect(
			(await upload({ token, filename: 'a.jpeg', contentType: 'image/jpeg' })).json.errcode,
		).toBe(0);
		expect(
			(await upload({ token, filename: 'B.JPG', contentType: 'image/jpeg' })).json.errcode,
		).toBe(0);
		expect(
			(
				await upload({
					token,
					type: 'voice',
					filename: 'voice.amr',
					bytes: DEMO.files.voiceAmr.bytes,
					contentType: 'audio/amr',
				})
			).json.errcode,
		).toBe(0);
		expect(
			(
				await upload({
					token: await suiteToken(),
					type: 'video',
					filename: 'clip.mp4',
					bytes: Buffer.alloc(100, 1),
					contentType: 'video/mp4',
				})
			).json.errcode,
		).toBe(0);
		expect(sandbox.media.size).toBe(5);
	});

	test('token errors: missing -> 88/40000, invalid -> 40014 (HTTP 200)', async () => {
		const missing = await upload({});
		expectLegacyError(missing, 88);
		expect(missing.json.sub_code).toBe('40000');
		// a header token does not count on the legacy host
		expectLegacyError(await upload({ headers: { 'x-acs-dingtalk-access-token': token } }), 88);
		expectLegacyError(await upload({ token: '0'.repeat(32) }), 40014);
		expect(sandbox.media.size).toBe(0);
	});

	test('form errors: 43008, 41005, 40004, 40005', async () => {
		expectLegacyError(
			await call(`${urls.legacyBaseUrl}/media/upload?access_token=${token}`, {
				body: { type: 'image' },
			}),
			43008,
		);
		expectLegacyError(await upload({ token, field: 'file' }), 41005);
		expectLegacyError(await upload({ token, field: null }), 41005);
		expectLegacyError(await upload({ token, type: 'document' }), 40004);
		expectLegacyError(await upload({ token, type: null }), 40004);
		expectLegacyError(await upload({ token, type: 'voice' }), 40005);
		expectLegacyError(await upload({ token, type: 'file', filename: 'setup.exe' }), 40005);
		expectLegacyError(await upload({ token, filename: 'noextension' }), 40005);
		expect(sandbox.media.size).toBe(0);
	});

	test('size limits use 2^20-byte MiB', async () => {
		const voice = (size) =>
			upload({
				token,
				type: 'voice',
				filename: 'long.mp3',
				contentType: 'audio/mpeg',
				bytes: Buffer.alloc(size, 7),
			});
		expect((await voice(2 * MiB)).json.errcode).toBe(0);
		const over = await voice(2 * MiB + 1);
		expectLegacyError(over, 40006);
		expect(over.json.errmsg).toContain('2097152');
		expectLegacyError(await upload({ token, bytes: Buffer.alloc(0) }), 40006);
		const image = (size) => upload({ token, filename: 'big.png', bytes: Buffer.alloc(size, 3) });
		expect((await image(20 * MiB)).json.errcode).toBe(0);
		expectLegacyError(await image(20 * MiB + 1), 40006);
		expect(sandbox.media.size).toBe(2);
	});

	test('needs qyapi_base (errcode 60011)', async () => {
		sandbox.revokeScope(DEMO.app.appKey, 'qyapi_base');
		const res = await upload({ token });
		expectLegacyError(res, 60011);
		expect(res.json.errmsg).toContain('qyapi_base');
	});
});

describe('rate limiting', () => {
	const spaceCall = (token) =>
		api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } });

	test('per app and API in a rolling 1000 ms window; token calls not counted', async () => {
		sandbox.setRateLimit({ enabled: true, perSecond: 3 });
		const token = await appToken();
		const burst = await Promise.all([1, 2, 3, 4].map(() => spaceCall(token)));
		expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 403]);
		expectApiError(
			burst.find((r) => r.status === 403),
			403,
			'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
		);
		// another API, another app and the token API have their own budgets
		expect(
			(
				await api(P.robotDownload, {
					token,
					body: { downloadCode: DEMO.downloadCodes.reportPdf, robotCode: DEMO.app.robotCode },
				})
			).status,
		).toBe(200);
		expect(
			(
				await api(withUnion(P.spaceQuery, outsider), {
					token: await appToken(DEMO.otherCorpApp),
					body: { openConversationId: DEMO.otherCorpGroup.openConversationId },
				})
			).status,
		).toBe(200);
		for (let i = 0; i < 5; i++) await appToken();

		const spaceEntries = sandbox.requests.filter(
			(r) => r.path === P.spaceQuery && r.appKey === DEMO.app.appKey,
		);
		expect(spaceEntries.map((r) => [r.status, r.counted]).sort()).toEqual([
			[200, true],
			[200, true],
			[200, true],
			[403, false],
		]);
		expect(
			sandbox.requests.filter((r) => r.path === P.appToken).every((r) => r.counted === false),
		).toBe(true);

		// Still inside the window of the burst; then, once it has passed, accepted again.
		const burstAt = Math.min(...spaceEntries.map((entry) => entry.time));
		expect((await spaceCall(token)).status).toBe(403);
		await sleep(Math.max(0, burstAt + 1100 - Date.now()));
		expect((await spaceCall(token)).status).toBe(200);
	});

	test('the token check comes first; the legacy host answers 90018', async () => {
		sandbox.setRateLimit({ enabled: true, perSecond: 1 });
		const token = await appToken();
		expect((await spaceCall(token)).status).toBe(200);
		expectApiError(await spaceCall('e'.repeat(32)), 400, 'InvalidAuthentication');
		expect((await upload({ token })).json.errcode).toBe(0);
		expectLegacyError(await upload({ token }), 90018);
		sandbox.setRateLimit({ enabled: false });
		expect((await upload({ token })).json.errcode).toBe(0);
	});

	test('the file host is never limited', async () => {
		sandbox.setRateLimit({ enabled: true, perSecond: 1 });
		const url = await downloadUrl(await appToken());
		const statuses = await Promise.all(
			[1, 2, 3].map(async () => (await call(url, { method: 'GET' })).status),
		);
		expect(statuses).toEqual([200, 200, 200]);
	});
});

describe('round trip', () => {
	it('delays every API answer by the round trip, counting the call halfway', async () => {
		sandbox.setRoundTrip(300);
		const token = await appToken();
		sandbox.clearLog();
		const started = Date.now();
		const res = await api(withUnion(P.spaceQuery, alice), {
			token,
			body: { openConversationId: GROUP },
		});
		const took = Date.now() - started;
		expect(res.status).toBe(200);
		expect(took).toBeGreaterThanOrEqual(300);
		const [entry] = sandbox.requests;
		expect(entry.time - started).toBeGreaterThanOrEqual(150);
		expect(entry.time - started).toBeLessThan(took);
	});
});

describe('fault injection', () => {
	test('{status, body} for the next N matching requests, still logged', async () => {
		const token = await appToken();
		sandbox.failNext(
			{ path: P.spaceQuery },
			{ status: 503, body: { code: 'ServiceUnavailable', message: 'try later' } },
			2,
		);
		const call1 = await api(withUnion(P.spaceQuery, alice), {
			token,
			body: { openConversationId: GROUP },
		});
		const call2 = await api(withUnion(P.spaceQuery, alice), {
			token,
			body: { openConversationId: GROUP },
		});
		const call3 = await api(withUnion(P.spaceQuery, alice), {
			token,
			body: { openConversationId: GROUP },
		});
		expect([call1.status, call2.status, call3.status]).toEqual([503, 503, 200]);
		expect(call1.json).toEqual({ code: 'ServiceUnavailable', message: 'try later' });
		const entries = sandbox.requests.filter((r) => r.path === P.spaceQuery);
		expect(entries.map((r) => [r.status, r.code])).toEqual([
			[503, 'ServiceUnavailable'],
			[503, 'ServiceUnavailable'],
			[200, null],
		]);
		expect(entries[0].body).toEqual({ openConversationId: GROUP });
	});

	test('host in the match; legacy-shaped faults', async () => {
		const token = await appToken();
		sandbox.failNext({ path: '/media/upload', host: 'api' }, { status: 500, body: {} });
		expect((await upload({ token })).json.errcode).toBe(0);
		sandbox.failNext(
			{ path: '/media/upload', host: 'legacy' },
			{ status: 200, body: { errcode: -1, errmsg: '系统繁忙' } },
		);
		expectLegacyError(await upload({ token }), -1);
		expect((await upload({ token })).json.errcode).toBe(0);
		expect(
			sandbox.requests.filter((r) => r.path === '/media/upload').map((r) => r.errcode),
		).toEqual([0, -1, 0]);
	});

	test('{delayMs} holds the answer, then handles normally', async () => {
		const token = await appToken();
		sandbox.failNext({ path: P.sendToUser }, { delayMs: 300 });
		const started = Date.now();
		const res = await api(withUnion(P.sendToUser, alice), {
			token,
			body: { spaceId: SPACE, dentryId: DEMO.dentries.reportPdf },
		});
		expect(Date.now() - started).toBeGreaterThanOrEqual(280);
		expect(res.status).toBe(200);
	});

	test('a client that times out during a delay: the server still does the work', async () => {
		const token = await appToken();
		sandbox.failNext({ path: P.sendToUser }, { delayMs: 300 });
		const request = api(withUnion(P.sendToUser, alice), {
			token,
			body: { spaceId: SPACE, dentryId: DEMO.dentries.reportPdf },
			signal: AbortSignal.timeout(80),
		});
		await expect(request).rejects.toThrow();
		for (let i = 0; i < 50 && sandbox.sent.length === 0; i++) await sleep(20);
		expect(sandbox.sent).toHaveLength(1);
		for (let i = 0; i < 50 && !sandbox.requests.some((r) => r.path === P.sendToUser); i++)
			await sleep(20);
		expect(sandbox.requests.find((r) => r.path === P.sendToUser)).toMatchObject({ status: 200 });
	});

	test('{destroy: true} drops the connection; the request is logged without a status', async () => {
		const token = await appToken();
		sandbox.failNext({ path: P.robotDownload }, { destroy: true });
		await expect(
			api(P.robotDownload, {
				token,
				body: { downloadCode: DEMO.downloadCodes.reportPdf, robotCode: DEMO.app.robotCode },
			}),
		).rejects.toThrow();
		expect(sandbox.requests.at(-1)).toMatchObject({
			path: P.robotDownload,
			status: null,
			tokenValid: true,
		});
		expect(
			(
				await api(P.robotDownload, {
					token,
					body: { downloadCode: DEMO.downloadCodes.reportPdf, robotCode: DEMO.app.robotCode },
				})
			).status,
		).toBe(200);
	});
});

describe('request log', () => {
	test('one entry per request with the documented fields; no token or secret anywhere', async () => {
		const token = await appToken();
		const suite = await suiteToken();
		await call(
			`${urls.legacyBaseUrl}/gettoken?appkey=${DEMO.app.appKey}&appsecret=${DEMO.app.appSecret}`,
			{ method: 'GET' },
		);
		await api(withUnion(P.spaceQuery, alice), {
			token: suite,
			body: { openConversationId: GROUP },
		});
		await upload({ token });
		await api(withUnion(P.spaceQuery, alice), {
			token: 'a'.repeat(32),
			body: { openConversationId: GROUP },
		});
		expect(sandbox.requests).toHaveLength(6);
		const [tokenCall, suiteCall, legacyCall, query, uploadCall, bad] = sandbox.requests;
		expect(tokenCall).toEqual({
			time: expect.any(Number),
			host: 'api',
			method: 'POST',
			path: P.appToken,
			query: {},
			hadQueryToken: false,
			tokenHeader: false,
			tokenValid: null,
			appKey: DEMO.app.appKey,
			status: 200,
			code: null,
			errcode: null,
			body: { appKey: DEMO.app.appKey, appSecret: '<redacted>' },
			counted: false,
		});
		expect(suiteCall.body).toMatchObject({ suiteSecret: '<redacted>', suiteTicket: '<redacted>' });
		expect(legacyCall).toMatchObject({
			host: 'legacy',
			query: { appkey: DEMO.app.appKey, appsecret: '<redacted>' },
			errcode: 0,
		});
		expect(query).toMatchObject({
			tokenHeader: true,
			tokenValid: true,
			appKey: DEMO.suite.suiteKey,
			query: { unionId: alice },
			counted: true,
			status: 200,
		});
		expect(uploadCall).toMatchObject({ host: 'legacy', hadQueryToken: true, tokenValid: true });
		expect(bad).toMatchObject({
			tokenHeader: true,
			tokenValid: false,
			appKey: null,
			status: 400,
			code: 'InvalidAuthentication',
			counted: false,
		});
		const text = JSON.stringify(sandbox.requests);
		for (const secret of [
			token,
			suite,
			DEMO.app.appSecret,
			DEMO.suite.suiteSecret,
			DEMO.suite.suiteTicket,
		])
			expect(text).not.toContain(secret);
		expect(sandbox.requests.every((r, i, all) => i === 0 || r.time >= all[i - 1].time)).toBe(true);
	});

	test('clearLog() empties the log in place and resets tokenFetches', async () => {
		const log = sandbox.requests;
		await appToken();
		expect(sandbox.tokenFetches()).toBe(1);
		sandbox.clearLog();
		expect(log).toHaveLength(0);
		expect(sandbox.requests).toBe(log);
		expect(sandbox.tokenFetches()).toBe(0);
	});

	test('every answer has its own request id', async () => {
		const ids = [];
		for (let i = 0; i < 3; i++) ids.push((await api('/v1.0/unknown', { body: {} })).json.requestid);
		expect(new Set(ids).size).toBe(3);
	});
});

describe('control API over HTTP', () => {
	const control = (path, body) =>
		call(`${urls.apiBaseUrl}/_sandbox/${path}`, body === undefined ? { method: 'GET' } : { body });

	test('requests, reset, invalidate-tokens, token-lifetime, rate-limit, media; control calls are not logged', async () => {
		const token = await appToken();
		const listed = await control('requests');
		expect(listed.status).toBe(200);
		expect(listed.json).toHaveLength(1);
		expect(listed.json[0].path).toBe(P.appToken);

		expect((await control('invalidate-tokens', {})).status).toBe(200);
		expectApiError(
			await api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } }),
			400,
			'InvalidAuthentication',
		);

		await control('token-lifetime', { seconds: 60 });
		expect(
			(await api(P.appToken, { body: { appKey: DEMO.app.appKey, appSecret: DEMO.app.appSecret } }))
				.json.expireIn,
		).toBe(60);

		await control('rate-limit', { enabled: true, perSecond: 1 });
		const fresh = await appToken();
		await upload({ token: fresh });
		expectLegacyError(await upload({ token: fresh }), 90018);

		const uploaded = [...sandbox.media.keys()][0];
		const info = await control(`media/${encodeURIComponent(uploaded)}`);
		expect(info.json).toMatchObject({
			media_id: uploaded,
			type: 'image',
			size: DEMO.files.photoPng.size,
			sha256: DEMO.files.photoPng.sha256,
		});
		expect(info.json.bytes).toBeUndefined();
		expect((await control('media/unknown')).status).toBe(404);

		expect(sandbox.requests.some((r) => r.path.startsWith('/_sandbox'))).toBe(false);
		await control('reset', {});
		expect(sandbox.requests).toHaveLength(0);
		expect(sandbox.media.size).toBe(0);
		expect(
			(await api(P.appToken, { body: { appKey: DEMO.app.appKey, appSecret: DEMO.app.appSecret } }))
				.json.expireIn,
		).toBe(7200);
	});

	test('fail-next, scopes, download codes and state over HTTP', async () => {
		const token = await appToken();
		await control('fail-next', {
			match: { path: P.spaceQuery },
			response: { status: 429, body: { code: 'system.busy', message: 'busy' } },
		});
		expect(
			(await api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } }))
				.status,
		).toBe(429);
		await control('scopes', {
			appKey: DEMO.app.appKey,
			scope: 'ConvFile.Space.Read',
			granted: false,
		});
		expect(
			(await api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } }))
				.status,
		).toBe(403);
		const issued = await control('download-codes', {
			fileName: 'x.txt',
			base64: Buffer.from('over http').toString('base64'),
		});
		expect(
			(await call(await downloadUrl(token, issued.json.downloadCode), { method: 'GET' })).text,
		).toBe('over http');
		const state = await control('state');
		expect(state.json).toMatchObject({
			tokenFetches: 1,
			rateLimit: { enabled: false, perSecond: 20 },
			apiBaseUrl: urls.apiBaseUrl,
		});
		expect((await control('nope', {})).status).toBe(404);
	});
});

describe('reset()', () => {
	test('restores seed state, tokens, rate limit, faults and scopes', async () => {
		const token = await appToken();
		sandbox.setRateLimit({ enabled: true, perSecond: 1 });
		sandbox.failNext({ path: P.spaceQuery }, { status: 500, body: {} });
		sandbox.revokeScope(DEMO.app.appKey, 'ConvFile.Space.Read');
		sandbox.setTokenLifetime(5);
		await api(withUnion(P.sendToUser, alice), {
			token,
			body: { spaceId: SPACE, dentryId: DEMO.dentries.reportPdf },
		});
		sandbox.reset();
		expect(sandbox.sent).toHaveLength(0);
		expectApiError(
			await api(withUnion(P.spaceQuery, alice), { token, body: { openConversationId: GROUP } }),
			400,
			'InvalidAuthentication',
		);
		const fresh = await api(P.appToken, {
			body: { appKey: DEMO.app.appKey, appSecret: DEMO.app.appSecret },
		});
		expect(fresh.json.expireIn).toBe(7200);
		const results = [];
		for (let i = 0; i < 3; i++)
			results.push(
				(
					await api(withUnion(P.spaceQuery, alice), {
						token: fresh.json.accessToken,
						body: { openConversationId: GROUP },
					})
				).status,
			);
		expect(results).toEqual([200, 200, 200]);
	});
});
