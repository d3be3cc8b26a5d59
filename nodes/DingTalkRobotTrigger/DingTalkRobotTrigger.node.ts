import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';
import { createHash } from 'crypto';
import { downloadRobotFile } from '../DingTalk/resources/robotFile';
import { defaultRobotCodeOf } from '../shared/app';
import {
	attachmentFieldOf,
	filtersOf,
	firstSighting,
	forgetSighting,
	parseRobotMessage,
	passesFilters,
	robotMessageItem,
	robotTriggerFields,
} from '../shared/robotMessage';
import { DEFAULT_TRANSPORT_OPTIONS, DingTalkTransport } from '../shared/transport';
import { RobotStream } from './stream';

/** n8n 2.x skips an execution whose key it has seen: the workflow and the message make it unique. */
function deduplicationKeyOf(workflowId: string, msgId: string): string {
	const key = `dingtalk-robot:${workflowId}:${msgId}`;
	return key.length <= 200
		? key
		: `dingtalk-robot:${createHash('sha256').update(key).digest('hex')}`;
}

export class DingTalkRobotTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'DingTalk Robot Trigger',
		name: 'dingTalkRobotTrigger',
		icon: { light: 'file:../../icons/dingtalk.svg', dark: 'file:../../icons/dingtalk.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Stream mode',
		description:
			'Starts the workflow when someone messages the company robot, over DingTalk Stream mode (no public URL needed)',
		defaults: {
			name: 'DingTalk Robot Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'dingTalkApi',
				required: true,
			},
		],
		properties: [
			{
				displayName:
					"Set the robot's message receiving mode to Stream mode in the DingTalk developer console. Needs n8n 2.x (Node.js 22 or later). For HTTP mode, or on n8n 1.x, use the DingTalk Robot Webhook Trigger.",
				name: 'streamNotice',
				type: 'notice',
				default: '',
			},
			...robotTriggerFields,
		],
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		if (typeof WebSocket === 'undefined') {
			throw new NodeOperationError(
				this.getNode(),
				'The DingTalk Robot Trigger needs Node.js 22 or later (as in n8n 2.x), and this n8n runs on an older Node.js without a built-in WebSocket: use the DingTalk Robot Webhook Trigger instead',
				{
					description:
						"Set the robot's message receiving mode to HTTP in the DingTalk developer console and paste the DingTalk Robot Webhook Trigger's URL there, or run n8n 2.x. Nothing was sent to DingTalk.",
				},
			);
		}
		const getParameter = (name: string, fallback: unknown) =>
			this.getNodeParameter(name, fallback) as unknown;
		const filters = filtersOf(getParameter);
		const binaryField = attachmentFieldOf(getParameter);
		const transport = await DingTalkTransport.open(this, DEFAULT_TRANSPORT_OPTIONS);
		const manual = this.getMode() === 'manual';
		// Saved with the workflow on every emit, so messages seen survive reconnects and restarts. A test
		// listener keeps its own.
		const seen: IDataObject = manual ? {} : this.getWorkflowStaticData('node');
		const workflowId = String(this.getWorkflow().id ?? '');

		const stream: RobotStream = new RobotStream({
			open: async () => await transport.openStreamConnection(),
			logger: this.logger,
			onFinalError: (error) => this.emitError(error),
			onMessage: async (frame) => {
				const message = parseRobotMessage(frame.data);
				if (!message) {
					this.logger.warn('DingTalk Robot Trigger: ignored a frame that holds no robot message');
					return;
				}
				// A frame may come again after a reconnect, as the same frame or as the same message in a new one.
				const frameId = frame.headers?.messageId;
				const ids = [frameId ? `frame:${frameId}` : '', `message:${message.msgId}`];
				if (!firstSighting(seen, ids, Date.now())) return;
				if (!passesFilters(message, filters)) return;
				const item = await robotMessageItem(
					message,
					binaryField
						? {
								binaryField,
								defaultRobotCode: defaultRobotCodeOf(transport.credentials),
								download: async (file) => await downloadRobotFile(this, transport, file, 0),
							}
						: undefined,
				);
				if (stream.stopped) {
					// Not started: when DingTalk sends it again after the next activation, it must count as new.
					forgetSighting(seen, ids);
					return;
				}
				// `this.emit` at this moment: n8n swaps it for a test listener's after trigger() returns.
				this.emit([[item]], undefined, undefined, deduplicationKeyOf(workflowId, message.msgId));
			},
		});

		const closeFunction = async () => await stream.close();
		if (!manual) {
			await stream.start();
			return { closeFunction };
		}
		// "Listen for test event": connect now and wait for the next message.
		return { closeFunction, manualTriggerFunction: async () => await stream.start() };
	}
}
