// Runs the DingTalk node in-process in a real n8n-core ExecuteContext (n8n's own request and binary
// helpers), with a credentials helper that does what n8n's does for our credential: decrypt, call
// preAuthentication when the token is empty, persist what it returns, authenticate each request.
import { ExecuteContext } from 'n8n-core';
import {
	Workflow,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type INodeType,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { DingTalkApi } from '../../credentials/DingTalkApi.credentials';
import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';

const credentialType = new DingTalkApi();
const nodeType = new DingTalk();

/** A stored credential, as n8n keeps it; `persisted` counts what preAuthentication stored. */
export class StoredCredential {
	persisted = 0;

	constructor(public data: ICredentialDataDecryptedObject) {}
}

export async function runDingTalkNode(options: {
	credential: StoredCredential;
	parameters: IDataObject;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
}): Promise<INodeExecutionData[]> {
	const { credential } = options;
	const node: INode = {
		id: 'dingtalk-node',
		name: 'DingTalk',
		type: 'n8n-nodes-dingtalk-files.dingTalk',
		typeVersion: 1,
		position: [0, 0],
		parameters: options.parameters as INode['parameters'],
		credentials: { dingTalkApi: { id: 'stored', name: 'stored' } },
		onError: options.continueOnFail ? 'continueRegularOutput' : undefined,
	};
	const nodeTypes = {
		getByName: () => nodeType as INodeType,
		getByNameAndVersion: () => nodeType as INodeType,
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({
		id: 'wf',
		name: 'wf',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes,
		settings: {},
	});
	const credentialsHelper = {
		getParentTypes: () => [],
		isCredentialUsableByNode: () => true,
		getDecrypted: async () => ({ ...credential.data }),
		getCredentialsProperties: () => credentialType.properties,
		authenticate: async (data: ICredentialDataDecryptedObject, _type: string, request: never) =>
			await (
				credentialType.authenticate as unknown as (
					c: ICredentialDataDecryptedObject,
					r: never,
				) => Promise<never>
			)(data, request),
		preAuthentication: async (
			helpers: never,
			data: ICredentialDataDecryptedObject,
			_type: string,
			_node: INode,
			expired: boolean,
		) => {
			if (data.accessToken !== '' && !expired) return undefined;
			const output = await credentialType.preAuthentication.call(helpers, data);
			credential.data = { ...credential.data, ...output };
			credential.persisted++;
			return Object.assign(data, output);
		},
		updateCredentials: async () => undefined,
	};
	const additionalData = {
		credentialsHelper,
		executionId: 'execution',
		userId: 'user',
		variables: {},
		restApiUrl: '',
		instanceBaseUrl: '',
		webhookBaseUrl: '',
		webhookTestBaseUrl: '',
		webhookWaitingBaseUrl: '',
		formWaitingBaseUrl: '',
		setExecutionStatus: () => undefined,
	} as unknown as IWorkflowExecuteAdditionalData;
	const items = options.items ?? [{ json: {} }];
	const inputData = { main: [items] };
	const runExecutionData = {
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			nodeExecutionStack: [],
			metadata: {},
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	};
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'manual',
		runExecutionData as never,
		0,
		items,
		inputData,
		{ node, data: inputData, source: null },
		[],
		new AbortController().signal,
	);
	const [output] = await nodeType.execute.call(context as never);
	return output;
}
