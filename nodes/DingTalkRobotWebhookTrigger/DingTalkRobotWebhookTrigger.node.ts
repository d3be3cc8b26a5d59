import {
	NodeConnectionTypes,
	type IDataObject,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { downloadRobotFile } from '../DingTalk/resources/robotFile';
import { asAppCredentials, callbackSigningSecretOf, defaultRobotCodeOf } from '../shared/app';
import {
	attachmentFieldOf,
	callbackSignatureProblem,
	filtersOf,
	firstSighting,
	parseRobotMessage,
	passesFilters,
	robotMessageItem,
	robotTriggerFields,
} from '../shared/robotMessage';
import { CREDENTIAL_TYPE, DEFAULT_TRANSPORT_OPTIONS, DingTalkTransport } from '../shared/transport';
import { CALLBACK_SIGN_HEADER, CALLBACK_TIMESTAMP_HEADER } from '../shared/wire';

// Messages seen per trigger, in this n8n process: a callback DingTalk sends twice starts one execution.
const seenByTrigger = new Map<string, IDataObject>();

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
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const credentials = asAppCredentials(await this.getCredentials(CREDENTIAL_TYPE));
		const headers = this.getHeaderData();
		const problem = callbackSignatureProblem(
			headers[CALLBACK_TIMESTAMP_HEADER],
			headers[CALLBACK_SIGN_HEADER],
			callbackSigningSecretOf(credentials),
			Date.now(),
		);
		if (problem) {
			this.logger.warn(`DingTalk Robot Webhook Trigger: refused a call (401): ${problem}`);
			this.getResponseObject().status(401).send('Unauthorized').end();
			return { noWebhookResponse: true };
		}
		const message = parseRobotMessage(this.getBodyData());
		if (!message) {
			this.getResponseObject().status(400).send('Not a DingTalk robot message').end();
			return { noWebhookResponse: true };
		}
		const getParameter = (name: string, fallback: unknown) =>
			this.getNodeParameter(name, fallback) as unknown;
		const triggerKey = `${this.getWorkflow().id ?? ''} ${this.getNode().id}`;
		const seen = seenByTrigger.get(triggerKey) ?? {};
		seenByTrigger.set(triggerKey, seen);
		if (
			!firstSighting(seen, [`message:${message.msgId}`], Date.now()) ||
			!passesFilters(message, filtersOf(getParameter))
		) {
			// Answered 200, so DingTalk does not send it again; nothing starts.
			return {};
		}
		const binaryField = attachmentFieldOf(getParameter);
		const transport = binaryField
			? await DingTalkTransport.open(this, DEFAULT_TRANSPORT_OPTIONS)
			: undefined;
		const item = await robotMessageItem(
			message,
			binaryField && transport
				? {
						binaryField,
						defaultRobotCode: defaultRobotCodeOf(credentials),
						download: async (file) => await downloadRobotFile(this, transport, file, 0),
					}
				: undefined,
		);
		return { workflowData: [[item]] };
	}
}
