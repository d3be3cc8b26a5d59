// A stand-in for the n8n execution context, for unit tests of the transport's rules: every request the
// node makes is recorded and answered by a script, and n8n's credential handling is reproduced (the
// credential's preAuthentication when the token field is empty, then its authenticate).
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
} from 'n8n-workflow';
import { DingTalkApi } from '../../credentials/DingTalkApi.credentials';
import type { DingTalkCall } from '../../nodes/shared/transport';

export interface RecordedRequest {
	kind: 'token' | 'api' | 'file';
	method: string;
	url: string;
	qs: IDataObject;
	headers: IDataObject;
	body: unknown;
	options: IHttpRequestOptions;
}

export interface ScriptedAnswer {
	statusCode: number;
	body?: unknown;
	headers?: IDataObject;
}

/** Answers one request, or throws (a network error: an Error with a `code`). */
export type Script = (
	request: RecordedRequest,
	index: number,
) => ScriptedAnswer | Promise<ScriptedAnswer>;

/** A look-up: safe to repeat. */
export const LOOKUP: DingTalkCall = {
	family: 'new',
	method: 'POST',
	path: '/v1.0/convFile/conversations/spaces/query',
	query: { unionId: 'unionAlice' },
	json: { openConversationId: 'cidGroup==' },
	repeatable: true,
};
/** A send: never repeated once DingTalk may have carried it out. */
export const SEND: DingTalkCall = {
	family: 'new',
	method: 'POST',
	path: '/v1.0/convFile/apps/conversations/files/send',
	query: { unionId: 'unionAlice' },
	json: { spaceId: '1', dentryId: 'd1' },
	repeatable: false,
};
export const API = 'https://api.example.test';
export const OAPI = 'https://oapi.example.test';

let secretCounter = 0;
/** Credential data of an app no other test uses (module state is keyed by the app). */
export function freshApp(extra: IDataObject = {}): ICredentialDataDecryptedObject {
	secretCounter++;
	return {
		appType: 'internal',
		clientId: `dingkey${secretCounter}`,
		clientSecret: `app-secret-${secretCounter}-0123456789`,
		region: 'custom',
		apiBaseUrl: API,
		legacyBaseUrl: OAPI,
		accessToken: '',
		expiresAt: 0,
		...extra,
	};
}

export function networkError(code: string, message = `connect ${code}`): Error {
	return Object.assign(new Error(message), { code });
}

const credentialType = new DingTalkApi();
const TOKEN_PATHS = ['/v1.0/oauth2/accessToken', '/v1.0/oauth2/corpAccessToken'];

function urlOf(options: IHttpRequestOptions): string {
	const url = options.url ?? '';
	return /^https?:/.test(url) ? url : `${options.baseURL ?? ''}${url}`;
}

export class FakeN8n {
	readonly requests: RecordedRequest[] = [];

	/** What n8n persisted from preAuthentication, in order. */
	readonly persisted: IDataObject[] = [];

	readonly abort = new AbortController();

	node: INode = {
		id: 'node',
		name: 'DingTalk',
		type: 'n8n-nodes-dingtalk-files.dingTalk',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: { dingTalkApi: { id: 'cred', name: 'cred' } },
	};

	constructor(
		public credential: ICredentialDataDecryptedObject,
		private readonly script: Script,
		public parameters: IDataObject = {},
		public items: INodeExecutionData[] = [{ json: {} }],
		public binaryStore: Record<string, Buffer> = {},
	) {}

	count(kind: RecordedRequest['kind'], path?: string): number {
		return this.requests.filter(
			(request) => request.kind === kind && (path === undefined || request.url.endsWith(path)),
		).length;
	}

	private async answer(kind: RecordedRequest['kind'], options: IHttpRequestOptions) {
		const request: RecordedRequest = {
			kind,
			method: options.method ?? 'GET',
			url: urlOf(options),
			qs: (options.qs ?? {}) as IDataObject,
			headers: (options.headers ?? {}) as IDataObject,
			body: options.body,
			options,
		};
		this.requests.push(request);
		const answer = await this.script(request, this.requests.length - 1);
		return { headers: {}, ...answer };
	}

	context(): IExecuteFunctions {
		const fake = this as FakeN8n;
		const httpRequest = async (options: IHttpRequestOptions) => {
			const url = urlOf(options);
			const kind = TOKEN_PATHS.some((path) => url.endsWith(path)) ? 'token' : 'file';
			return await fake.answer(kind, options);
		};
		const helpers = {
			httpRequest,
			async httpRequestWithAuthentication(
				this: unknown,
				_type: string,
				options: IHttpRequestOptions,
				additional: { credentialsDecrypted: { data: ICredentialDataDecryptedObject } },
			) {
				const data = additional.credentialsDecrypted.data;
				if (!data.accessToken) {
					const output = await credentialType.preAuthentication.call(
						{ helpers: { httpRequest } } as never,
						data,
					);
					Object.assign(data, output);
					fake.persisted.push({ ...output });
				}
				const authenticate = credentialType.authenticate as unknown as (
					c: ICredentialDataDecryptedObject,
					o: IHttpRequestOptions,
				) => Promise<IHttpRequestOptions>;
				return await fake.answer('api', await authenticate(data, options));
			},
			async getBinaryMetadata(id: string) {
				return { fileSize: fake.binaryStore[id]?.length ?? 0 };
			},
			async getBinaryStream(id: string) {
				const bytes = fake.binaryStore[id];
				if (!bytes) throw new Error(`no binary ${id}`);
				async function* chunks() {
					for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
						yield bytes.subarray(offset, offset + 64 * 1024);
					}
				}
				return chunks();
			},
			async getBinaryDataBuffer() {
				throw new Error('the node read a whole binary into memory');
			},
			async prepareBinaryData(data: Buffer, fileName: string, mimeType: string) {
				return { data: data.toString('base64'), fileName, mimeType };
			},
		};
		return {
			getCredentials: async () => fake.credential,
			getNode: () => fake.node,
			getInputData: () => fake.items,
			getNodeParameter: (name: string, _index: number, fallback?: unknown) =>
				name in fake.parameters ? fake.parameters[name] : fallback,
			getExecutionCancelSignal: () => fake.abort.signal,
			continueOnFail: () => false,
			helpers,
		} as unknown as IExecuteFunctions;
	}
}

/** A token answer of DingTalk's new API. */
export const tokenAnswer = (token: string): ScriptedAnswer => ({
	statusCode: 200,
	body: { accessToken: token, expireIn: 7200 },
});

/** Runs a promise to its end while fake timers advance. */
export async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
	let done = false;
	const outcome = promise.then(
		(value) => ({ value }),
		(error: unknown) => ({ error }),
	);
	void outcome.then(() => (done = true));
	while (!done) await jest.advanceTimersByTimeAsync(50);
	return await outcome;
}
