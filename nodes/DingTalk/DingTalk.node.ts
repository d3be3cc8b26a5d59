import {
	NodeApiError,
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type JsonObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { file } from './resources/file';
import { groupSpace } from './resources/groupSpace';
import { media } from './resources/media';
import { robotFile } from './resources/robotFile';
import { robotMessage } from './resources/robotMessage';
import {
	buildCall,
	mapItems,
	operationProperty,
	type DingTalkResource,
	type ItemContext,
} from '../shared/operation';
import {
	DEFAULT_TRANSPORT_OPTIONS,
	DingTalkTransport,
	type TransportOptions,
} from '../shared/transport';
import { CALLS_PER_SECOND_PER_APP_AND_API } from '../shared/wire';

/** Every resource the node offers; the editor's Resource and Operation lists are built from these. */
export const RESOURCES: DingTalkResource[] = [file, groupSpace, media, robotFile, robotMessage];

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
							'How often a call DingTalk rate-limited or was too busy for is tried again, with growing pauses. Sends are never repeated when DingTalk may already have delivered them.',
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
		const requested = this.getNodeParameter('requestOptions', 0, {}) as Partial<TransportOptions>;
		const transport = await DingTalkTransport.open(this, {
			...DEFAULT_TRANSPORT_OPTIONS,
			...requested,
		});

		const results = await mapItems(items.length, operation.concurrency, async (itemIndex) => {
			const item: ItemContext = { ctx: this, transport, itemIndex, state: {} };
			try {
				const call = await buildCall(operation, item);
				const answer = await transport.call(call, itemIndex);
				return await operation.postReceive(item, answer);
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
		});
		return [results];
	}
}
