import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import { DingTalkApi } from '../../credentials/DingTalkApi.credentials';
import {
	appIdentityOf,
	ExpiredTokenError,
	familyOfUrl,
	redact,
	tokenFromAnswer,
	TokenRequestError,
} from '../../nodes/shared/app';

const credential = new DingTalkApi();
const app = {
	appType: 'internal',
	clientId: 'dingappkey',
	clientSecret: 'app-secret-value',
	region: 'custom',
	apiBaseUrl: 'http://127.0.0.1:3900/',
	legacyBaseUrl: 'http://127.0.0.1:3901',
	accessToken: 'tok-123',
} as unknown as ICredentialDataDecryptedObject;
// As n8n stores it after preAuthentication: the token with the app it was issued for.
const sandboxApp = { ...app, tokenIssuedFor: appIdentityOf(app as never) };

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
	it('sends no token that was issued for the app the credential named before an edit: n8n fetches one first', async () => {
		const edited = { ...sandboxApp, clientId: 'dinganotherapp' };
		await expect(authenticate(edited, { url: 'http://127.0.0.1:3900/v1.0/x' })).rejects.toThrow(
			ExpiredTokenError,
		);
	});
	it('judges the family by the path when one gateway serves both', async () => {
		const gateway = { ...sandboxApp, legacyBaseUrl: 'http://127.0.0.1:3900' };
		const legacy = await authenticate(gateway, { url: 'http://127.0.0.1:3900/media/upload' });
		const modern = await authenticate(gateway, {
			baseURL: 'http://127.0.0.1:3900',
			url: '/v2.0/x',
		});
		expect([legacy.qs, legacy.headers]).toEqual([{ access_token: 'tok-123' }, undefined]);
		expect([modern.qs, modern.headers]).toEqual([
			undefined,
			{ 'x-acs-dingtalk-access-token': 'tok-123' },
		]);
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
			tokenFromAnswer({ statusCode: 200, body: { accessToken: 'abc', expireIn: 7200 } }, 1000, app),
		).toEqual({
			accessToken: 'abc',
			expiresAt: 1000 + 7200 * 1000,
			tokenIssuedFor: appIdentityOf(app as never),
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
		expect(() =>
			tokenFromAnswer({ statusCode: 403, body: {}, headers: { 'x-acs-request-id': 'hdr-1' } }, 0),
		).toThrow('(request id hdr-1)');
		expect(() => tokenFromAnswer({ statusCode: 200, body: '<html>portal</html>' }, 0)).toThrow(
			'DingTalk did not issue an access token: <html>portal</html> [unexpectedAnswer]',
		);
		expect(call).toThrow(
			'DingTalk did not issue an access token: 无效的clientId或者clientSecret [invalidClientIdOrSecret] (request id r1)',
		);
	});
});

describe('secrets', () => {
	it('keeps the Suite Ticket a password field like the other secrets', () => {
		const secretFields = credential.properties.filter((property) =>
			['clientSecret', 'suiteSecret', 'suiteTicket', 'accessToken'].includes(property.name),
		);
		expect(secretFields.map((property) => [property.name, property.typeOptions?.password])).toEqual(
			[
				['clientSecret', true],
				['suiteSecret', true],
				['suiteTicket', true],
				['accessToken', true],
			],
		);
	});
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
