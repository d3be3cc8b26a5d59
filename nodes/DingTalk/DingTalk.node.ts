import {
	NodeApiError,
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type JsonObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { listSearch } from './pickers';
import { file } from './resources/file';
import { folder } from './resources/folder';
import { groupSpace } from './resources/groupSpace';
import { media } from './resources/media';
import { robotFile } from './resources/robotFile';
import { robotMessage } from './resources/robotMessage';
import { user } from './resources/user';
import {
	buildCall,
	mapItems,
	operationProperty,
	readIdValue,
	type DingTalkOperation,
	type DingTalkResource,
	type ItemContext,
} from '../shared/operation';
import { DingTalkTransport, readTransportOptions, type DingTalkCall } from '../shared/transport';
import { CALLS_PER_SECOND_PER_APP_AND_API } from '../shared/wire';

/** Every resource the node offers; the editor's Resource and Operation lists are built from these. */
export const RESOURCES: DingTalkResource[] = [
	file,
	folder,
	groupSpace,
	media,
	robotFile,
	robotMessage,
	user,
];

export class DingTalk implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'DingTalk',
		name: 'dingTalk',
		icon: { light: 'file:../../icons/dingtalk.svg', dark: 'file:../../icons/dingtalk.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Store, send, upload and download files in DingTalk (钉钉), and send robot messages',
		defaults: {
			name: 'DingTalk',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'dingTalkApi',
				required: true,
			},
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: RESOURCES.map((resource) => resource.option),
				default: 'file',
			},
			...RESOURCES.flatMap((resource) => [operationProperty(resource), ...resource.fields]),
			{
				displayName: 'Request Options',
				name: 'requestOptions',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Calls per Second',
						name: 'callsPerSecond',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: CALLS_PER_SECOND_PER_APP_AND_API },
						default: 20,
						description:
							"Most calls sent to one DingTalk API per second, shared by every workflow using the same app. DingTalk's limit is 20.",
					},
					{
						displayName: 'Max Retries',
						name: 'maxRetries',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 10 },
						default: 4,
						description:
							'How often a call DingTalk was too busy for, or a look-up that failed on the network, is tried again, with growing pauses. Calls DingTalk refused for its rate limit go again in the next free slot, for up to 5 minutes. Sends are never repeated when DingTalk may already have delivered them.',
					},
					{
						displayName: 'Timeout',
						name: 'timeout',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 60000,
						description:
							'Time in ms to wait for DingTalk (or its file host) to send anything before giving up on a call',
					},
				],
			},
		],
	};

	methods = { listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const resource = this.getNodeParameter('resource', 0) as string;
		const operationName = this.getNodeParameter('operation', 0) as string;
		const operation = RESOURCES.find((entry) => entry.option.value === resource)?.operations[
			operationName
		];
		if (!operation) {
			throw new NodeOperationError(
				this.getNode(),
				`The operation "${operationName}" of "${resource}" is not supported`,
			);
		}
		if (!operation.call.repeatable && this.getNode().retryOnFail) {
			// n8n's Retry On Fail runs the whole node again: every item, the delivered ones too.
			throw new NodeOperationError(
				this.getNode(),
				'Retry On Fail is on: it would send the messages of this node again, the delivered ones too',
				{
					description:
						'Turn off Settings > Retry On Fail for this node. The node retries by itself what is safe to retry (rate limits, busy answers, connections that never reached DingTalk; see Request Options > Max Retries) and never repeats a send that may have been delivered. Nothing was sent to DingTalk.',
				},
			);
		}
		const transport = await DingTalkTransport.open(this, readTransportOptions(this));

		const { destination } = operation;
		// Sends to one chat keep their item order; a destination that cannot be read is its own.
		const destinationOf = destination
			? (itemIndex: number) => {
					try {
						return `to ${readIdValue(this, itemIndex, destination.parameter)}`;
					} catch {
						return `item ${itemIndex}`;
					}
				}
			: undefined;
		const results = await mapItems(
			items.length,
			operation.concurrency,
			async (itemIndex) => {
				const item: ItemContext = { ctx: this, transport, itemIndex, state: {} };
				try {
					return await runOperation(operation, item, await buildCall(operation, item));
				} catch (error) {
					if (this.continueOnFail()) {
						return {
							json: {
								error: error.message,
								description: error.description ?? undefined,
								...error.context?.dingTalk,
							},
							pairedItem: { item: itemIndex },
						};
					}
					// Both constructors hand an error of their own class back unchanged.
					if (error instanceof NodeApiError)
						throw new NodeApiError(this.getNode(), error as unknown as JsonObject);
					throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
				}
			},
			destinationOf,
		);
		return [results.flat()];
	}
}

/** Sends an item's call, and the calls for later pages of a list, until its limit is met. */
async function runOperation(
	operation: DingTalkOperation,
	item: ItemContext,
	first: DingTalkCall,
): Promise<INodeExecutionData[]> {
	const limit = typeof item.state.limit === 'number' ? item.state.limit : Infinity;
	const output: INodeExecutionData[] = [];
	for (let call: DingTalkCall | undefined = first; call && output.length < limit; ) {
		const answer: IDataObject = operation.send
			? await operation.send(item, call)
			: await item.transport.call(call, item.itemIndex);
		output.push(...[await operation.postReceive(item, answer)].flat());
		call = operation.nextPage?.(call, answer);
	}
	return output.slice(0, limit);
}
