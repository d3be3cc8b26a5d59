import {
	NodeConnectionTypes,
	NodeOperationError,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IRun,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';
import { createHash } from 'crypto';
import { downloadRobotFile } from '../shared/robotFile';
import { defaultRobotCodeOf, ownHostsOf } from '../shared/app';
import { SYSTEM_CLOCK } from '../shared/clock';
import {
	addsSenderUnionId,
	attachmentFieldOf,
	filtersOf,
	parseRobotMessage,
	refusalOf,
	robotMessageItem,
	robotTriggerFields,
	withTrustedReplyAddress,
} from '../shared/robotMessage';
import { SeenMessages } from '../shared/seenMessages';
import { unionIdOfStaff } from '../shared/users';
import { DEFAULT_TRANSPORT_OPTIONS, DingTalkTransport } from '../shared/transport';
import { RobotStream, type StreamHooks } from './streamClient';

// n8n 2.x settles emit's done-promise when the execution ends, and rejects it at once when the execution
// could not be stored; 1.x never settles it then. An execution still running after this long was stored.
export const HANDOFF_PATIENCE_MS = 30_000;

// Where the user presses "Listen for test event": DingTalk hands each message to one of an app's
// connections, and listening opens a second one.
const LISTENING_TAKES_MESSAGES =
	'While you listen for a test event, n8n opens a second Stream connection for this app. DingTalk hands each message to only one of them, so a published workflow with the same app misses some messages until you stop listening.';

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
		triggerPanel: {
			header: '',
			executionsHelp: {
				inactive:
					'<b>While building your workflow</b>, click "Listen for test event", then message the robot in DingTalk: the execution shows up here. <b>Once it is ready</b>, publish the workflow: every message then starts an execution, listed under Executions.',
				active: `<b>${LISTENING_TAKES_MESSAGES}</b> The executions of the published workflow are listed under Executions.`,
			},
			activationHint:
				'Publish the workflow to have it listen to the robot all the time (those executions are not shown here).',
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
			{
				displayName: LISTENING_TAKES_MESSAGES,
				name: 'testEventNotice',
				type: 'notice',
				default: '',
			},
			...robotTriggerFields,
		],
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return await startRobotStream(this);
	}
}

/**
 * Connects to DingTalk and starts one execution per robot message. `seams` replaces the clock and the
 * socket in tests.
 */
export async function startRobotStream(
	ctx: ITriggerFunctions,
	seams: Pick<StreamHooks, 'clock' | 'openSocket' | 'random'> = {},
): Promise<ITriggerResponse> {
	if (typeof WebSocket === 'undefined' && !seams.openSocket) {
		throw new NodeOperationError(
			ctx.getNode(),
			'The DingTalk Robot Trigger needs Node.js 22 or later (as in n8n 2.x), and this n8n runs on an older Node.js without a built-in WebSocket: use the DingTalk Robot Webhook Trigger instead',
			{
				description:
					"Set the robot's message receiving mode to HTTP in the DingTalk developer console and paste the DingTalk Robot Webhook Trigger's URL there, or run n8n 2.x. Nothing was sent to DingTalk.",
			},
		);
	}
	const clock = seams.clock ?? SYSTEM_CLOCK;
	const getParameter = (name: string, fallback: unknown) =>
		ctx.getNodeParameter(name, fallback) as unknown;
	const filters = filtersOf(getParameter);
	const binaryField = attachmentFieldOf(getParameter);
	const addUnionId = addsSenderUnionId(getParameter);
	const transport = await DingTalkTransport.open(ctx, DEFAULT_TRANSPORT_OPTIONS);
	const ownHosts = ownHostsOf(transport.credentials);
	const manual = ctx.getMode() === 'manual';
	// The IDs of messages n8n took survive reconnects and restarts in the node's static data. A test
	// listener keeps its own, in memory.
	const seen = new SeenMessages(manual ? undefined : ctx.getWorkflowStaticData('node'));
	const workflowId = String(ctx.getWorkflow().id ?? '');
	let toldAboutReplyAddress = false;

	/** Starts the execution; true once n8n has taken it, false when it could not be stored. */
	const handOver = async (item: INodeExecutionData, msgId: string): Promise<boolean> => {
		const done = ctx.helpers.createDeferredPromise<IRun>();
		// `ctx.emit` at this moment: n8n swaps it for a test listener's after trigger() returns.
		ctx.emit([[item]], undefined, done, deduplicationKeyOf(workflowId, msgId));
		const patience = new AbortController();
		try {
			return await Promise.race([
				done.promise.then(() => true),
				clock.sleep(HANDOFF_PATIENCE_MS, patience.signal).then(() => true),
			]);
		} catch (error) {
			ctx.logger.error(
				`DingTalk Robot Trigger: n8n did not start the execution of a message, which stays unacknowledged so DingTalk sends it again: ${(error as Error).message}`,
			);
			return false;
		} finally {
			patience.abort();
		}
	};

	const stream: RobotStream = new RobotStream({
		...seams,
		open: async () => await transport.openStreamConnection(),
		logger: ctx.logger,
		onFinalError: (error) => ctx.emitError(error),
		onMessage: async (frame) => {
			const received = parseRobotMessage(frame.data);
			if (!received) {
				ctx.logger.warn('DingTalk Robot Trigger: ignored a frame that holds no robot message');
				return true;
			}
			// A message may come again after a reconnect or a restart: it is handed to n8n once.
			return await seen.once(
				received.msgId,
				() => Date.now(),
				async () => {
					if (refusalOf(received, filters)) return true;
					const message = withTrustedReplyAddress(received, ownHosts, (problem) => {
						if (toldAboutReplyAddress) return;
						toldAboutReplyAddress = true;
						ctx.logger.warn(
							`DingTalk Robot Trigger: left out a message's reply address (sessionWebhook), because ${problem}; later ones are left out without a word`,
						);
					});
					const item = await robotMessageItem(
						message,
						binaryField
							? {
									binaryField,
									defaultRobotCode: defaultRobotCodeOf(transport.credentials),
									download: async (file) => await downloadRobotFile(ctx, transport, file, 0),
								}
							: undefined,
						addUnionId ? async (staffId) => await unionIdOfStaff(transport, staffId, 0) : undefined,
					);
					// Closing: not started, not acknowledged; DingTalk sends it again after the next activation.
					if (stream.stopped) return false;
					return await handOver(item, message.msgId);
				},
			);
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
