import type {
	IAuthenticate,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import {
	asAppCredentials,
	authenticateRequest,
	tokenFromAnswer,
	tokenRequestOf,
} from '../nodes/shared/app';
import { PATHS, REGION_BASE_URLS } from '../nodes/shared/wire';

export class DingTalkApi implements ICredentialType {
	name = 'dingTalkApi';

	displayName = 'DingTalk API';

	icon: Icon = { light: 'file:../icons/dingtalk.svg', dark: 'file:../icons/dingtalk.dark.svg' };

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-dingtalk-files#credentials';

	// The HTTP Request node can call any DingTalk API with this credential.
	httpRequestNode = {
		name: 'DingTalk',
		docsUrl: 'https://open.dingtalk.com/document/',
		apiBaseUrlPlaceholder: 'https://api.dingtalk.com/v1.0/',
	};

	properties: INodeProperties[] = [
		{
			displayName: 'App Type',
			name: 'appType',
			type: 'options',
			options: [
				{
					name: 'Internal App',
					value: 'internal',
					description: 'An app created by your organisation in the DingTalk developer console',
				},
				{
					name: 'Third-Party Enterprise App',
					value: 'thirdParty',
					description: 'An ISV suite authorised by another organisation',
				},
			],
			default: 'internal',
		},
		{
			displayName: 'Client ID (AppKey)',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { appType: ['internal'] } },
		},
		{
			displayName: 'Client Secret (AppSecret)',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { appType: ['internal'] } },
		},
		{
			displayName: 'Suite Key',
			name: 'suiteKey',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { appType: ['thirdParty'] } },
		},
		{
			displayName: 'Suite Secret',
			name: 'suiteSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { appType: ['thirdParty'] } },
		},
		{
			displayName: 'Authorized Corp ID',
			name: 'authCorpId',
			type: 'string',
			default: '',
			required: true,
			description: 'The corpId of the organisation that authorised the suite',
			displayOptions: { show: { appType: ['thirdParty'] } },
		},
		// The ticket is what DingTalk trades for the organisation's token: a secret like the others.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'Suite Ticket',
			name: 'suiteTicket',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The latest suite ticket DingTalk pushed to your suite (about every 5 hours)',
			displayOptions: { show: { appType: ['thirdParty'] } },
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'options',
			options: [
				{ name: 'China (Dingtalk.com)', value: 'china' },
				{ name: 'International (Dingtalk.io)', value: 'international' },
				{
					name: 'Custom',
					value: 'custom',
					description: 'Private deployments, proxies and the local DingTalk sandbox',
				},
			],
			default: 'china',
			description: 'An app belongs to one region; its credentials do not work in the other',
		},
		{
			displayName: 'API Base URL',
			name: 'apiBaseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.dingtalk.com',
			description: 'Base URL of the new API (/v1.0/...)',
			displayOptions: { show: { region: ['custom'] } },
		},
		{
			displayName: 'Legacy API Base URL',
			name: 'legacyBaseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://oapi.dingtalk.com',
			description: 'Base URL of the legacy API (/media/upload, /topapi/...)',
			displayOptions: { show: { region: ['custom'] } },
		},
		{
			displayName: 'Robot Code',
			name: 'robotCode',
			type: 'string',
			default: '',
			description:
				"The robot's code, used when a node leaves it empty. For an internal app's robot it is the AppKey, which is used when this is empty.",
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'Expires At',
			name: 'expiresAt',
			type: 'hidden',
			default: 0,
		},
		{
			// Which app the stored token was issued for: after the credential is edited to another app,
			// corp or secret, the old token is not used.
			displayName: 'Token Issued For',
			name: 'tokenIssuedFor',
			type: 'hidden',
			// A hash that includes the app's secret.
			typeOptions: { password: true },
			default: '',
		},
	];

	// n8n calls this when the stored token is empty and persists what it returns, so one token serves
	// every execution; the node's transport empties the field when the token expires or DingTalk rejects it.
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const app = asAppCredentials(credentials);
		const answer = (await this.helpers.httpRequest(tokenRequestOf(app))) as {
			statusCode?: number;
			body?: unknown;
			headers?: Record<string, unknown>;
		};
		return tokenFromAnswer(answer, Date.now(), credentials);
	}

	// The token goes in a header for the new API and in the query for the legacy API, and to no other host;
	// the HTTP Request node uses this too (see authenticateRequest).
	authenticate: IAuthenticate = async (credentials, requestOptions): Promise<IHttpRequestOptions> =>
		authenticateRequest(asAppCredentials(credentials), requestOptions, Date.now());

	// A token request: free of the monthly quota and of API permissions. A wrong key or secret already
	// fails in preAuthentication with DingTalk's own reason. Built from the wire constants, not copies.
	test: ICredentialTestRequest = {
		request: {
			method: 'POST',
			// No braces inside the expression: n8n's template parser would end it early.
			baseURL: `={{$credentials.region === "custom" ? $credentials.apiBaseUrl : ($credentials.region === "international" ? "${REGION_BASE_URLS.international.new}" : "${REGION_BASE_URLS.china.new}")}}`,
			url: `={{$credentials.appType === "thirdParty" ? "${PATHS.thirdPartyAppGrant}" : "${PATHS.internalAppGrant}"}}`,
			body: {
				appKey: '={{$credentials.appType === "thirdParty" ? undefined : $credentials.clientId}}',
				appSecret:
					'={{$credentials.appType === "thirdParty" ? undefined : $credentials.clientSecret}}',
				suiteKey: '={{$credentials.appType === "thirdParty" ? $credentials.suiteKey : undefined}}',
				suiteSecret:
					'={{$credentials.appType === "thirdParty" ? $credentials.suiteSecret : undefined}}',
				authCorpId:
					'={{$credentials.appType === "thirdParty" ? $credentials.authCorpId : undefined}}',
				suiteTicket:
					'={{$credentials.appType === "thirdParty" ? $credentials.suiteTicket : undefined}}',
			},
		},
	};
}
