import { ERROR_GUIDE } from '../../nodes/shared/errorGuide';
import { classifyAnswer } from '../../nodes/shared/wire';

describe('classifyAnswer: new API', () => {
	it('accepts a 2xx answer', () => {
		expect(classifyAnswer('new', { status: 200, body: { space: {} } })).toEqual({ kind: 'ok' });
	});

	it('reads HTTP 400 InvalidAuthentication as a stale token, never as a plain failure', () => {
		const verdict = classifyAnswer('new', {
			status: 400,
			body: { code: 'InvalidAuthentication', message: '不合法的access_token', requestid: 'req-1' },
		});
		expect(verdict).toEqual({
			kind: 'invalidToken',
			failure: {
				status: 400,
				code: 'InvalidAuthentication',
				message: '不合法的access_token',
				requestId: 'req-1',
			},
		});
	});

	it.each([
		[403, 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', 'rateLimited'],
		[403, 'Forbidden.AccessDenied.QpsLimitForApi', 'rateLimited'],
		[403, 'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi', 'rateLimited'],
		[403, 'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi', 'rateLimited'],
		[429, 'system.busy', 'busy'],
		[429, 'Throttling', 'rateLimited'],
		[500, 'systemError', 'maybeExecuted'],
		// A 5xx may have been carried out whatever its code: never read as "busy", which is resent.
		[503, 'systemBusy', 'maybeExecuted'],
		[504, 'system.busy', 'maybeExecuted'],
		[504, 'HTTP 504', 'maybeExecuted'],
		[403, 'permissionDenied', 'failed'],
		[404, 'dentryNotExist', 'failed'],
	])('status %i code %s is %s', (status, code, kind) => {
		expect(
			classifyAnswer('new', { status, body: code.startsWith('HTTP') ? '' : { code, message: 'm' } })
				.kind,
		).toBe(kind);
	});

	it('reads a redirect as a failure naming only the host it pointed to', () => {
		expect(
			classifyAnswer('new', {
				status: 302,
				body: '',
				headers: { location: 'https://portal.example/login?token=abc' },
			}),
		).toMatchObject({
			kind: 'redirected',
			failure: { status: 302, code: 'redirect', message: 'redirected to portal.example' },
		});
	});

	it.each([
		[
			'an HTML page',
			'<html>\n  <body>IP banned</body>\n</html>',
			'<html> <body>IP banned</body> </html>',
		],
		['an empty body', '', '(an empty body)'],
		['a JSON string', 'x'.repeat(300), `${'x'.repeat(200)}…`],
	])(
		'reads a 2xx answer with %s as unexpected, with its first characters',
		(_name, body, glimpse) => {
			expect(classifyAnswer('new', { status: 200, body })).toEqual({
				kind: 'unexpectedAnswer',
				failure: { status: 200, code: 'unexpectedAnswer', message: glimpse, requestId: undefined },
			});
		},
	);

	it('carries the scopes DingTalk says are missing, and the request id from the header', () => {
		const verdict = classifyAnswer('new', {
			status: 403,
			headers: { 'x-acs-request-id': 'hdr-9' },
			body: {
				code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
				message: 'no permission',
				accessdenieddetail: { requiredScopes: ['ConvFile.Space.Read'] },
			},
		});
		expect(verdict).toMatchObject({
			kind: 'failed',
			failure: { requestId: 'hdr-9', requiredScopes: ['ConvFile.Space.Read'] },
		});
	});
});

describe('classifyAnswer: legacy API (errors arrive with HTTP 200)', () => {
	it('accepts errcode 0', () => {
		expect(
			classifyAnswer('legacy', { status: 200, body: { errcode: 0, media_id: 'x' } }).kind,
		).toBe('ok');
	});

	it.each([
		[{ errcode: 40014, errmsg: 'invalid token' }, 'invalidToken', '40014'],
		[{ errcode: 42001, errmsg: 'expired' }, 'invalidToken', '42001'],
		[{ errcode: 40001, errmsg: 'invalid credential' }, 'invalidToken', '40001'],
		[{ errcode: 88, sub_code: '40014', errmsg: 'x' }, 'invalidToken', '88/40014'],
		[{ errcode: 88, sub_code: '40000', errmsg: 'missing' }, 'failed', '88/40000'],
		[{ errcode: 90018, errmsg: 'qps' }, 'rateLimited', '90018'],
		[{ errcode: 90002, errmsg: 'qps' }, 'rateLimited', '90002'],
		[{ errcode: -1, errmsg: 'busy' }, 'busy', '-1'],
		[{ errcode: 15, errmsg: 'timeout' }, 'maybeExecuted', '15'],
		[{ errcode: 40004, errmsg: 'bad media type' }, 'failed', '40004'],
	])('%j is %s', (body, kind, code) => {
		const verdict = classifyAnswer('legacy', { status: 200, body });
		expect(verdict.kind).toBe(kind);
		expect(verdict.kind !== 'ok' && verdict.failure.code).toBe(code);
	});

	it('treats an answer that is not JSON as a failure, not a success', () => {
		expect(classifyAnswer('legacy', { status: 200, body: '<html>banned</html>' })).toEqual({
			kind: 'unexpectedAnswer',
			failure: expect.objectContaining({
				code: 'unexpectedAnswer',
				message: '<html>banned</html>',
			}),
		});
	});
});

describe('ERROR_GUIDE', () => {
	// Every code DingTalk documents for the five operations has a meaning and an action.
	const documented = [
		'paramError',
		'paramError.conversationId',
		'paramError.spaceId',
		'paramError.dentryId',
		'permissionDenied',
		'acrossOrgAccessForbidden',
		'conversationNotExist',
		'spaceNotExist',
		'dentryNotExist',
		'folderNotSupport',
		'systemError',
		'unknownError',
		'invalidParameter.robotCode.empty',
		'invalidParameter.robotCode.auth',
		'invalidParameter.robotCode.downloadCode',
		'40004',
		'40005',
		'40006',
		'43008',
		'invalidClientIdOrSecret',
		'Forbidden.AccessDenied.AccessTokenPermissionDenied',
		'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
		'90018',
		'-1',
		'60011',
		'InvalidAuthentication',
		'40014',
		'42001',
		'40001',
		'88/40014',
		'invalidSuiteTicket',
		'invalidAuthCorpId',
		'redirect',
		'unexpectedAnswer',
	];
	it.each(documented)('explains %s', (code) => {
		expect(ERROR_GUIDE[code]?.meaning).toBeTruthy();
		expect(ERROR_GUIDE[code]?.action).toBeTruthy();
	});

	it("names the failed operation's permission when a user lacks rights", () => {
		expect(ERROR_GUIDE.permissionDenied.action).toContain('{permission}');
	});

	it('tells which permission to grant for a missing API permission', () => {
		expect(ERROR_GUIDE['Forbidden.AccessDenied.AccessTokenPermissionDenied'].action).toContain(
			'{scopes}',
		);
	});
});
