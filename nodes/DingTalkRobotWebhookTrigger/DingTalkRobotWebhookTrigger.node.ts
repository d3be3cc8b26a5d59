import {
	NodeConnectionTypes,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { downloadRobotFile } from '../shared/robotFile';
import {
	asAppCredentials,
	callbackSigningSecretOf,
	defaultRobotCodeOf,
	ownHostsOf,
} from '../shared/app';
import {
	addsSenderUnionId,
	attachmentFieldOf,
	callbackSignatureProblem,
	filtersOf,
	parseRobotMessage,
	refusalOf,
	robotMessageItem,
	robotTriggerFields,
	withTrustedReplyAddress,
} from '../shared/robotMessage';
import { SeenMessages } from '../shared/seenMessages';
import { unionIdOfStaff } from '../shared/users';
import { CREDENTIAL_TYPE, DEFAULT_TRANSPORT_OPTIONS, DingTalkTransport } from '../shared/transport';
import { CALLBACK_SIGN_HEADER, CALLBACK_TIMESTAMP_HEADER } from '../shared/wire';
import { forgetRefusals, reportRefusal } from './refusals';
import { useSignature } from './signatures';

// Per trigger (workflow and node), in this n8n process: messages seen (a callback DingTalk sends twice
// starts one execution), and whether a foreign reply address was reported. Dropped on deactivation.
const seenByTrigger = new Map<string, SeenMessages>();
const toldAboutReplyAddress = new Set<string>();

function triggerKeyOf(ctx: IHookFunctions | IWebhookFunctions): string {
	return `${ctx.getWorkflow().id ?? ''} ${ctx.getNode().id}`;
}

// What n8n itself answers when a webhook started a workflow.
const STARTED_ANSWER = { message: 'Workflow was started' };

export class DingTalkRobotWebhookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'DingTalk Robot Webhook Trigger',
		name: 'dingTalkRobotWebhookTrigger',
		icon: { light: 'file:../../icons/dingtalk.svg', dark: 'file:../../icons/dingtalk.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'HTTP callback',
		description:
			"Starts the workflow when someone messages the company robot, from DingTalk's signed HTTP callbacks",
		defaults: {
			name: 'DingTalk Robot Webhook Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'dingTalkApi',
				required: true,
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName:
					"Paste the production URL above into the robot's message receiving address (HTTP mode) in the DingTalk developer console. Calls not signed with the credential's app secret are refused. For Stream mode (no public URL needed) use the DingTalk Robot Trigger.",
				name: 'webhookNotice',
				type: 'notice',
				default: '',
			},
			...robotTriggerFields,
		],
	};

	// The URL is pasted into DingTalk by hand: there is nothing to register or remove.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				// Deactivated: what this process kept for the trigger goes.
				const trigger = triggerKeyOf(this);
				seenByTrigger.delete(trigger);
				toldAboutReplyAddress.delete(trigger);
				forgetRefusals(trigger);
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const credentials = asAppCredentials(await this.getCredentials(CREDENTIAL_TYPE));
		const trigger = triggerKeyOf(this);
		const refuse = (reason: string): IWebhookResponseData => {
			reportRefusal(trigger, reason, this.logger, performance.now());
			this.getResponseObject().status(401).send('Unauthorized').end();
			return { noWebhookResponse: true };
		};
		const headers = this.getHeaderData();
		const timestamp = headers[CALLBACK_TIMESTAMP_HEADER];
		const sign = headers[CALLBACK_SIGN_HEADER];
		const secret = callbackSigningSecretOf(credentials);
		const now = Date.now();
		const problem = callbackSignatureProblem(timestamp, sign, secret, now);
		if (problem) return refuse(problem);
		const received = parseRobotMessage(this.getBodyData());
		const use = useSignature(secret, String(sign), Number(timestamp), received?.msgId ?? '', now);
		if (use === 'replayed') return refuse('its signature was already used by another message');
		if (use === 'tooOld')
			return refuse(
				'its timestamp is older than the signatures this n8n still remembers, so a replay could not be told apart',
			);
		// The same request again, as DingTalk retries it: answered 200, nothing starts.
		if (use === 'sameMessage') return {};
		if (!received) {
			this.getResponseObject().status(400).send('Not a DingTalk robot message').end();
			return { noWebhookResponse: true };
		}
		const getParameter = (name: string, fallback: unknown) =>
			this.getNodeParameter(name, fallback) as unknown;
		const seen = seenByTrigger.get(trigger) ?? new SeenMessages();
		seenByTrigger.set(trigger, seen);
		// Answered 200, so DingTalk does not send it again; nothing starts.
		if (seen.has(received.msgId, now) || refusalOf(received, filtersOf(getParameter))) return {};
		seen.remember(received.msgId, now);
		const message = withTrustedReplyAddress(received, ownHostsOf(credentials), (why) => {
			if (toldAboutReplyAddress.has(trigger)) return;
			toldAboutReplyAddress.add(trigger);
			this.logger.warn(
				`DingTalk Robot Webhook Trigger: left out a message's reply address (sessionWebhook), because ${why}; later ones are left out without a word`,
			);
		});
		const binaryField = attachmentFieldOf(getParameter);
		const addUnionId = addsSenderUnionId(getParameter);
		if (!binaryField && !addUnionId) return { workflowData: [[await robotMessageItem(message)]] };
		// DingTalk gets its answer now, not after the download or look-up: it would time out and send the message again.
		this.getResponseObject().status(200).json(STARTED_ANSWER);
		const transport = await DingTalkTransport.open(this, DEFAULT_TRANSPORT_OPTIONS);
		const item = await robotMessageItem(
			message,
			binaryField
				? {
						binaryField,
						defaultRobotCode: defaultRobotCodeOf(credentials),
						download: async (file) => await downloadRobotFile(this, transport, file, 0),
					}
				: undefined,
			addUnionId ? async (staffId) => await unionIdOfStaff(transport, staffId, 0) : undefined,
		);
		return { workflowData: [[item]], noWebhookResponse: true };
	}
}
