import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import { DingTalkApi } from '../../credentials/DingTalkApi.credentials';
import {
	appIdentityOf,
	familyOfUrl,
	redact,
	tokenFromAnswer,
	TokenRequestError,
} from '../../nodes/shared/app';

const credential = new DingTalkApi();
const sandboxApp = {
	appType: 'internal',
	clientId: 'dingappkey',
	clientSecret: 'app-secret-value',
	region: 'custom',
	apiBaseUrl: 'http://127.0.0.1:3900/',
	legacyBaseUrl: 'http://127.0.0.1:3901',
	accessToken: 'tok-123',
} as unknown as ICredentialDataDecryptedObject;

async function authenticate(
	credentials: ICredentialDataDecryptedObject,
	options: IHttpRequestOptions,
) {
	const fn = credential.authenticate as (
		c: ICredentialDataDecryptedObject,
		o: IHttpRequestOptions,
	) => Promise<IHttpRequestOptions>;
	return await fn(credentials, options);
}

describe('DingTalkApi.authenticate', () => {
	it('puts the token in the header for the new API', async () => {
		const options = await authenticate(sandboxApp, {
			url: '/v1.0/robot/messageFiles/download',
			baseURL: 'http://127.0.0.1:3900',
			method: 'POST',
		});
		expect(options.headers).toEqual({ 'x-acs-dingtalk-access-token': 'tok-123' });
		expect(options.qs).toBeUndefined();
	});
	it('puts the token in the access_token query for the legacy API', async () => {
		const options = await authenticate(sandboxApp, {
			url: '/media/upload',
			baseURL: 'http://127.0.0.1:3901',
			qs: { type: 'file' },
		});
		expect(options.qs).toEqual({ type: 'file', access_token: 'tok-123' });
		expect(options.headers).toBeUndefined();
	});
	it('sends the token to no other host (a signed file URL, or a look-alike host)', async () => {
		for (const url of [
			'http://127.0.0.1:3902/abc.file?Expires=1',
			'http://127.0.0.1:39000/v1.0/x',
			'https://api.dingtalk.com.evil.example/v1.0/x',
		]) {
			const options = await authenticate(sandboxApp, { url });
			expect(options.headers).toBeUndefined();
			expect(options.qs).toBeUndefined();
		}
	});
	it('uses the region hosts when the region is not custom', () => {
		const international = { ...sandboxApp, region: 'international' } as never;
		expect(familyOfUrl(international, 'https://api.dingtalk.io/v1.0/x')).toBe('new');
		expect(familyOfUrl(international, 'https://oapi.dingtalk.io/media/upload')).toBe('legacy');
		expect(familyOfUrl(international, 'https://api.dingtalk.com/v1.0/x')).toBeUndefined();
	});
});

describe('token answers', () => {
	it('stores the token with its expiry', () => {
		expect(
			tokenFromAnswer({ statusCode: 200, body: { accessToken: 'abc', expireIn: 7200 } }, 1000),
		).toEqual({
			accessToken: 'abc',
			expiresAt: 1000 + 7200 * 1000,
		});
	});
	it("raises DingTalk's own reason for a wrong key or secret, without the secret", () => {
		const call = () =>
			tokenFromAnswer(
				{
					statusCode: 400,
					body: {
						code: 'invalidClientIdOrSecret',
						message: '无效的clientId或者clientSecret',
						requestid: 'r1',
					},
				},
				0,
			);
		expect(call).toThrow(TokenRequestError);
		expect(call).toThrow(
			'DingTalk did not issue an access token: 无效的clientId或者clientSecret [invalidClientIdOrSecret] (request id r1)',
		);
	});
});

describe('secrets', () => {
	it('redacts known secrets and any access_token query', () => {
		expect(
			redact('failed: secret=app-secret-value url=/media/upload?access_token=zzz&type=file', [
				'app-secret-value',
			]),
		).toBe('failed: secret=[redacted] url=/media/upload?access_token=[redacted]&type=file');
	});
	it('gives two credentials of one app the same identity, and another secret another one', () => {
		const same = { ...sandboxApp, accessToken: 'other' } as never;
		const rotated = { ...sandboxApp, clientSecret: 'rotated' } as never;
		expect(appIdentityOf(sandboxApp as never)).toBe(appIdentityOf(same));
		expect(appIdentityOf(sandboxApp as never)).not.toBe(appIdentityOf(rotated));
	});
});
