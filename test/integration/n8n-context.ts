// Runs the DingTalk node in-process in a real n8n-core ExecuteContext (n8n's own request and binary
// helpers), with a credentials helper that does what n8n's does for our credential: decrypt, call
// preAuthentication when the token is empty, persist what it returns, authenticate each request.
import { ExecuteContext, LoadOptionsContext, TriggerContext } from 'n8n-core';
import {
	Workflow,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type INodeListSearchResult,
	type INodeType,
	type IRun,
	type ITriggerFunctions,
	type ITriggerResponse,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';
import { DingTalkApi } from '../../credentials/DingTalkApi.credentials';
import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';
import { DingTalkRobotTrigger } from '../../nodes/DingTalkRobotTrigger/DingTalkRobotTrigger.node';

const credentialType = new DingTalkApi();
const nodeType = new DingTalk();

/** A stored credential, as n8n keeps it; `persisted` counts what preAuthentication stored. */
export class StoredCredential {
	persisted = 0;

	constructor(public data: ICredentialDataDecryptedObject) {}
}

/** A workflow holding `node`, and n8n's additional data with a credentials helper for the stored credential. */
function contextParts(credential: StoredCredential, node: INode, type: INodeType) {
	const nodeTypes = {
		getByName: () => type,
		getByNameAndVersion: () => type,
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
	return { workflow, additionalData };
}

const nodeOf = (name: string, type: string, parameters: IDataObject): INode => ({
	id: `${name}-node`,
	name,
	type: `n8n-nodes-dingtalk-files.${type}`,
	typeVersion: 1,
	position: [0, 0],
	parameters: parameters as INode['parameters'],
	credentials: { dingTalkApi: { id: 'stored', name: 'stored' } },
});

export async function runDingTalkNode(options: {
	credential: StoredCredential;
	parameters: IDataObject;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
}): Promise<INodeExecutionData[]> {
	const { credential } = options;
	const node: INode = {
		...nodeOf('DingTalk', 'dingTalk', options.parameters),
		onError: options.continueOnFail ? 'continueRegularOutput' : undefined,
	};
	const { workflow, additionalData } = contextParts(credential, node, nodeType);
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

/**
 * Calls one of the node's list-search methods as the editor does (n8n's dynamic-node-parameters
 * route): in a LoadOptionsContext whose current node parameters are the ones the editor has.
 */
export async function loadPickerList(options: {
	credential: StoredCredential;
	parameters: IDataObject;
	method: string;
	filter?: string;
	paginationToken?: string;
}): Promise<INodeListSearchResult> {
	const node = nodeOf('DingTalk', 'dingTalk', options.parameters);
	const { workflow, additionalData } = contextParts(options.credential, node, nodeType);
	additionalData.currentNodeParameters = options.parameters as INode['parameters'];
	const context = new LoadOptionsContext(workflow, node, additionalData, 'parameters');
	const method = nodeType.methods?.listSearch?.[options.method];
	if (!method) throw new Error(`The node has no list-search method "${options.method}"`);
	return await method.call(context as never, options.filter, options.paginationToken);
}

/** An execution's done-promise, as `emit` takes it. */
type DonePromise = NonNullable<Parameters<ITriggerFunctions['emit']>[2]>;

/** What a running trigger emitted and reported; `done` is each execution's done-promise. */
export interface RunningTrigger {
	response: ITriggerResponse;
	emitted: Array<{
		items: INodeExecutionData[];
		deduplicationKey?: string;
		done?: DonePromise;
	}>;
	errors: Error[];
	staticData: IDataObject;
}

/**
 * Starts the DingTalk Robot Trigger in a real n8n-core TriggerContext (n8n's request and binary helpers),
 * as n8n does on activation (`trigger` mode) or for "Listen for test event" (`manual`).
 */
export async function startRobotTrigger(options: {
	credential: StoredCredential;
	parameters: IDataObject;
	mode?: WorkflowExecuteMode;
	staticData?: IDataObject;
	/** n8n's side of each execution: by default it is stored and finished at once. */
	execution?: (done: DonePromise) => void;
	/** Instead of `trigger()`, starts the node this way (to pass test seams). */
	startWith?: (context: ITriggerFunctions) => Promise<ITriggerResponse>;
}): Promise<RunningTrigger> {
	const node = nodeOf('Robot', 'dingTalkRobotTrigger', options.parameters);
	const type = new DingTalkRobotTrigger();
	const { workflow, additionalData } = contextParts(options.credential, node, type);
	if (options.staticData) workflow.staticData[`node:${node.name}`] = options.staticData;
	const running: RunningTrigger = {
		response: {},
		emitted: [],
		errors: [],
		staticData: {},
	};
	const mode = options.mode ?? 'trigger';
	const context = new TriggerContext(
		workflow,
		node,
		additionalData,
		mode,
		'activate',
		(data: INodeExecutionData[][], _response?: unknown, done?: DonePromise, key?: string) => {
			running.emitted.push({ items: data[0], deduplicationKey: key, done });
			if (done) (options.execution ?? ((taken) => taken.resolve({} as IRun)))(done);
		},
		(error: Error) => running.errors.push(error),
	);
	running.response = options.startWith
		? await options.startWith(context as never)
		: await type.trigger.call(context as never);
	running.staticData = workflow.getStaticData('node', node);
	return running;
}
