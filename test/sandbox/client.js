'use strict';
// For the sandbox's own tests: one sandbox per test file, reset before each test with a fresh token of
// the demo app, and calls to its hosts that answer { status, headers, json, text, buffer }.
const { createSandbox, DEMO } = require('./server');

function useSandbox() {
	const state = { sandbox: null, urls: null, token: null };

	beforeAll(async () => {
		state.sandbox = createSandbox();
		state.urls = await state.sandbox.start();
	});
	afterAll(() => state.sandbox.stop());
	beforeEach(async () => {
		state.sandbox.reset();
		state.token = await state.appToken();
	});

	// body: JSON; form: an urlencoded form; raw: sent as it is (with your own headers)
	async function call(url, { method = 'POST', body, headers = {}, form, raw } = {}) {
		const init = { method, headers: { ...headers }, body: raw };
		if (form) {
			init.headers['content-type'] = 'application/x-www-form-urlencoded';
			init.body = new URLSearchParams(form).toString();
		} else if (body !== undefined) {
			init.headers['content-type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
		const res = await fetch(url, init);
		const buffer = Buffer.from(await res.arrayBuffer());
		const text = buffer.toString('utf8');
		let json = null;
		try {
			json = JSON.parse(text);
		} catch {
			// not JSON: the test reads text or buffer
		}
		return { status: res.status, headers: res.headers, json, text, buffer };
	}

	Object.assign(state, {
		call,
		/** A new-API call with the token (or `token: null` for none, or another token). */
		api(path, { token = state.token, headers = {}, ...rest } = {}) {
			const withToken = token ? { 'x-acs-dingtalk-access-token': token, ...headers } : headers;
			return call(state.urls.apiBaseUrl + path, { headers: withToken, ...rest });
		},
		/** A legacy call with the token in ?access_token= (`token: null`: none). */
		legacy(path, { token = state.token, ...rest } = {}) {
			const query = token ? `${path.includes('?') ? '&' : '?'}access_token=${token}` : '';
			return call(state.urls.legacyBaseUrl + path + query, rest);
		},
		async appToken(app = DEMO.app) {
			const res = await call(`${state.urls.apiBaseUrl}/v1.0/oauth2/accessToken`, {
				body: { appKey: app.appKey, appSecret: app.appSecret },
			});
			return res.json.accessToken;
		},
		async suiteToken() {
			const { suiteKey, suiteSecret, authCorpId, suiteTicket } = DEMO.suite;
			const res = await call(`${state.urls.apiBaseUrl}/v1.0/oauth2/corpAccessToken`, {
				body: { suiteKey, suiteSecret, authCorpId, suiteTicket },
			});
			return res.json.accessToken;
		},
	});
	return state;
}

/** A new-API error: status and code, with a message and the request id. */
function expectApiError(res, status, code) {
	expect({ status: res.status, code: res.json?.code }).toEqual({ status, code });
	expect(res.json.message).toEqual(expect.any(String));
	expect(res.json.requestid).toBe(res.headers.get('x-acs-request-id'));
}

/** A legacy answer: HTTP 200 with this errcode. */
function expectErrcode(res, errcode) {
	expect({ status: res.status, errcode: res.json?.errcode }).toEqual({ status: 200, errcode });
	expect(res.json.errmsg).toEqual(expect.any(String));
}

module.exports = { useSandbox, expectApiError, expectErrcode };
