import type { IHttpRequestOptions } from 'n8n-workflow';
import {
	appIdentityOf,
	authenticateRequest,
	ExpiredTokenError,
	fullUrlOf,
	type DingTalkAppCredentials,
} from '../../nodes/shared/app';

// The credential's authenticate, as n8n's HTTP Request node and the node's own transport call it.
const NOW = 1_800_000_000_000;
const app: DingTalkAppCredentials = {
	appType: 'internal',
	clientId: 'key',
	clientSecret: 'secret',
	region: 'china',
	accessToken: 'tok-1',
	expiresAt: NOW + 3_600_000,
};
// As n8n stores it after preAuthentication: the token with the app it was issued for.
app.tokenIssuedFor = appIdentityOf(app);
const place = (options: object, credentials: Partial<DingTalkAppCredentials> = {}) => {
	const merged = { ...app, ...credentials };
	// A test that changes the app's region or hosts keeps the token issued for the changed app.
	if (!('tokenIssuedFor' in credentials)) merged.tokenIssuedFor = appIdentityOf(merged);
	return authenticateRequest(merged, options as IHttpRequestOptions, NOW);
};
const tokenOf = (options: IHttpRequestOptions) => ({
	header: (options.headers ?? {})['x-acs-dingtalk-access-token'],
	query: (options.qs ?? {}).access_token,
});

describe('the token is placed by the URL, whichever field holds it', () => {
	it.each([
		['a full url', { url: 'https://api.dingtalk.com/v1.0/im/x' }],
		['baseURL + url', { baseURL: 'https://api.dingtalk.com/', url: 'v1.0/im/x' }],
		['baseURL + /url', { baseURL: 'https://api.dingtalk.com', url: '/v1.0/im/x' }],
		["the HTTP Request node's uri", { uri: 'https://api.dingtalk.com/v1.0/im/x' }],
	])('new API, %s: header only', (_, options) => {
		expect(tokenOf(place(options))).toEqual({ header: 'tok-1', query: undefined });
	});

	it.each([
		['a full url', { url: 'https://oapi.dingtalk.com/topapi/v2/user/get' }],
		['baseURL + url', { baseURL: 'https://oapi.dingtalk.com', url: '/media/upload' }],
		["the HTTP Request node's uri", { uri: 'https://oapi.dingtalk.com/media/upload?type=file' }],
	])('legacy API, %s: access_token query only', (_, options) => {
		expect(tokenOf(place({ ...options, qs: { type: 'file' } }))).toEqual({
			header: undefined,
			query: 'tok-1',
		});
	});

	it('keeps the other query parameters and headers', () => {
		const options = place({
			uri: 'https://oapi.dingtalk.com/media/upload',
			qs: { type: 'file' },
			headers: { accept: 'application/json' },
		});
		expect(options.qs).toEqual({ type: 'file', access_token: 'tok-1' });
		expect(options.headers).toEqual({ accept: 'application/json' });
	});

	it('uses the international and custom hosts of the credential', () => {
		expect(
			tokenOf(place({ url: 'https://api.dingtalk.io/v1.0/x' }, { region: 'international' })),
		).toEqual({ header: 'tok-1', query: undefined });
		const custom = {
			region: 'custom' as const,
			apiBaseUrl: 'http://127.0.0.1:3900',
			legacyBaseUrl: 'http://127.0.0.1:3901/',
		};
		expect(tokenOf(place({ uri: 'http://127.0.0.1:3901/media/upload' }, custom)).query).toBe(
			'tok-1',
		);
		expect(tokenOf(place({ url: 'https://api.dingtalk.com/v1.0/x' }, custom))).toEqual({
			header: undefined,
			query: undefined,
		});
	});
});

describe('no token to another host', () => {
	it.each([
		[
			'a signed file URL',
			{ url: 'https://bucket.oss-cn-zhangjiakou.aliyuncs.com/x.file?Expires=1' },
		],
		['a look-alike host', { uri: 'https://api.dingtalk.com.evil.example/v1.0/x' }],
		['user info before another host', { url: 'https://api.dingtalk.com@evil.example/v1.0/x' }],
		[
			'a protocol-relative url beside a DingTalk baseURL',
			{ baseURL: 'https://api.dingtalk.com', url: '//evil.example/v1.0/x' },
		],
		[
			'an absolute url beside a DingTalk baseURL',
			{ baseURL: 'https://api.dingtalk.com', url: 'https://evil.example/x' },
		],
		['another scheme', { url: 'http://api.dingtalk.com/v1.0/x' }],
	])('%s: untouched', (_, options) => {
		expect(place(options)).toEqual(options);
	});
});

describe('a request that carries the token', () => {
	it('follows no redirect, in either request format n8n uses', () => {
		const options = place({ uri: 'https://api.dingtalk.com/v1.0/x' }) as IHttpRequestOptions & {
			followRedirect?: boolean;
			followAllRedirects?: boolean;
		};
		expect(options).toMatchObject({
			disableFollowRedirect: true,
			followRedirect: false,
			followAllRedirects: false,
		});
	});

	it('is refused without a token or with one past its recorded expiry, so n8n fetches a new one first', () => {
		const url = { uri: 'https://oapi.dingtalk.com/media/upload' };
		expect(() => place(url, { expiresAt: NOW })).toThrow(ExpiredTokenError);
		expect(() => place(url, { accessToken: '' })).toThrow(ExpiredTokenError);
		expect(() => place(url, { accessToken: undefined })).toThrow(ExpiredTokenError);
		expect(tokenOf(place(url, { expiresAt: NOW + 1 })).query).toBe('tok-1');
		// a token without a recorded expiry is used as it is
		expect(tokenOf(place(url, { expiresAt: undefined })).query).toBe('tok-1');
	});

	it('is not refused for another host, whatever the token', () => {
		expect(place({ url: 'https://example.com/' }, { accessToken: '' })).toEqual({
			url: 'https://example.com/',
		});
	});
});

describe('fullUrlOf', () => {
	it('reads url before uri, joins a relative url to baseURL and leaves absolute ones alone', () => {
		expect(fullUrlOf({ url: '/a', uri: 'https://x.example/b' } as never)).toBe('/a');
		expect(fullUrlOf({ baseURL: 'https://h.example/', url: 'a' })).toBe('https://h.example/a');
		expect(fullUrlOf({ baseURL: 'https://h.example', url: '//o.example/a' })).toBe('//o.example/a');
		expect(fullUrlOf({ url: '' })).toBe('');
	});
});
