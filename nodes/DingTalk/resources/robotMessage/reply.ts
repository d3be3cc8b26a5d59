import { NodeOperationError, type IDataObject, type INodeProperties } from 'n8n-workflow';
import { defaultRobotCodeOf } from '../../../shared/app';
import { OPEN_CONVERSATION_ID, ROBOT_CODE } from '../../../shared/descriptions';
import {
	readId,
	refuseInput,
	type DingTalkOperation,
	type IdField,
	type ItemContext,
} from '../../../shared/operation';
import { ERROR_GUIDE } from '../../../shared/errorGuide';
import {
	ROBOT_MESSAGE_PATHS,
	robotMessageParam,
	SESSION_EXPIRED_ERRCODE,
	SESSION_REPLY_PATH,
	SESSION_WEBHOOK_EXPIRY_FIELD,
	SESSION_WEBHOOK_FIELD,
	type RobotMessageToSend,
} from '../../../shared/wire';
import { parseUserIds } from '../../../shared/users';

const showForReply = { resource: ['robotMessage'], operation: ['reply'] };
const show = (extra: IDataObject = {}) => ({ ...showForReply, ...extra });
const SENDER_STAFF_ID: IdField = { parameter: 'senderStaffId', label: 'Sender Staff ID' };
const GROUP_CHAT: IdField = {
	...OPEN_CONVERSATION_ID,
	parameter: 'replyGroupChat',
	label: 'Group Chat',
};

// Every field defaults to what a robot trigger outputs (its `raw` keeps DingTalk's reply address), so a Reply right after a trigger needs only its text.
export const replyFields: INodeProperties[] = [
	{
		displayName: 'Reply Address',
		name: SESSION_WEBHOOK_FIELD,
		type: 'string',
		required: true,
		default: `={{ $json.raw.${SESSION_WEBHOOK_FIELD} }}`,
		description:
			"The sessionWebhook of the robot message to answer, as a DingTalk Robot Trigger outputs it. Only DingTalk's addresses are accepted.",
		displayOptions: { show: showForReply },
	},
	{
		displayName: 'Reply Type',
		name: 'replyKind',
		type: 'options',
		options: [
			{ name: 'Text', value: 'text' },
			{ name: 'Markdown', value: 'markdown' },
		],
		default: 'text',
		displayOptions: { show: showForReply },
	},
	{
		displayName: 'Text',
		name: 'replyText',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		displayOptions: { show: show({ replyKind: ['text'] }) },
	},
	{
		displayName: 'Title',
		name: 'replyTitle',
		type: 'string',
		default: '',
		description: 'Shown in the chat list and notifications',
		displayOptions: { show: show({ replyKind: ['markdown'] }) },
	},
	{
		displayName: 'Markdown',
		name: 'replyMarkdown',
		type: 'string',
		typeOptions: { rows: 6 },
		default: '',
		displayOptions: { show: show({ replyKind: ['markdown'] }) },
	},
	{
		displayName: 'Mention the Sender',
		name: 'mentionSender',
		type: 'boolean',
		default: false,
		description: 'Whether to @-mention the person who sent the message (in a group chat)',
		displayOptions: { show: showForReply },
	},
	{
		displayName: SENDER_STAFF_ID.label,
		name: SENDER_STAFF_ID.parameter,
		type: 'string',
		default: '={{ $json.sender.staffId }}',
		description:
			'The staff ID of the person who sent the message: mentioned when asked, and the receiver of a new message in a one-to-one chat',
		displayOptions: { show: showForReply },
	},
	{
		displayName: 'If the Session Has Expired',
		name: 'whenExpired',
		type: 'options',
		options: [
			{
				name: 'Fail',
				value: 'fail',
				description: 'The item fails, saying the session expired',
			},
			{
				name: 'Send as a New Message',
				value: 'send',
				description:
					'Robot Message > Send to the same group, or to the sender in a one-to-one chat (without mentions)',
			},
		],
		default: 'fail',
		description:
			'DingTalk takes replies for about 90 minutes after the message; later ones can go as a new robot message',
		displayOptions: { show: showForReply },
	},
	{
		displayName: 'Group Chat',
		name: GROUP_CHAT.parameter,
		type: 'string',
		default: '={{ $json.conversation.type === "group" ? $json.conversation.id : "" }}',
		description:
			"The message's group chat (Open Conversation ID), for a new message; empty for a one-to-one chat, which then goes to the sender",
		displayOptions: { show: show({ whenExpired: ['send'] }) },
	},
	{
		displayName: 'Session Expires At',
		name: SESSION_WEBHOOK_EXPIRY_FIELD,
		type: 'string',
		default: `={{ $json.raw.${SESSION_WEBHOOK_EXPIRY_FIELD} }}`,
		description:
			'When the reply address stops working, in milliseconds since 1970 as the trigger outputs it; empty: unknown, DingTalk says',
		displayOptions: { show: showForReply },
	},
	{
		displayName: 'Options',
		name: 'replyOptions',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: showForReply },
		options: [
			{
				displayName: 'Mention Staff IDs',
				name: 'mentionStaffIds',
				type: 'string',
				default: '',
				placeholder: 'e.g. manager4220, 0102235566',
				description: 'More people to @-mention, by staff ID, separated by commas',
			},
			{
				displayName: 'Mention Everyone',
				name: 'mentionAll',
				type: 'boolean',
				default: false,
				description: 'Whether to @-mention everyone in the group',
			},
			{
				displayName: 'Robot Code',
				name: ROBOT_CODE.parameter,
				type: 'string',
				default: '',
				description:
					"The robot that sends a new message when the session has expired. Empty: the credential's Robot Code, or its AppKey.",
			},
		],
	},
];

function sessionExpired(item: ItemContext): NodeOperationError {
	const guide = ERROR_GUIDE[SESSION_EXPIRED_ERRCODE];
	const error = new NodeOperationError(item.ctx.getNode(), `DingTalk: ${guide.meaning}`, {
		itemIndex: item.itemIndex,
		description: `What to do: ${guide.action} Nothing was sent.`,
	});
	error.context.dingTalk = { code: SESSION_EXPIRED_ERRCODE };
	return error;
}

/** The reply's body: a text or Markdown message with its mentions, read and checked before sending. */
function replyBodyOf({ ctx, itemIndex }: ItemContext): {
	body: IDataObject;
	message: RobotMessageToSend;
} {
	const value = (name: string) => String(ctx.getNodeParameter(name, itemIndex, '') ?? '').trim();
	const required = (name: string, label: string) => {
		const text = value(name);
		if (text === '') throw refuseInput(ctx, itemIndex, label, 'is empty');
		return text;
	};
	const options = ctx.getNodeParameter('replyOptions', itemIndex, {}) as IDataObject;
	const mentioned: string[] = [];
	if (ctx.getNodeParameter('mentionSender', itemIndex, false) === true)
		mentioned.push(readId(ctx, itemIndex, SENDER_STAFF_ID));
	const others = String(options.mentionStaffIds ?? '').trim();
	if (others !== '') {
		const parsed = parseUserIds(others);
		if ('reason' in parsed) throw refuseInput(ctx, itemIndex, 'Mention Staff IDs', parsed.reason);
		mentioned.push(...parsed.userIds.filter((id) => !mentioned.includes(id)));
	}
	const mentionAll = options.mentionAll === true;
	const at: IDataObject | undefined =
		mentioned.length || mentionAll ? { atUserIds: mentioned, isAtAll: mentionAll } : undefined;
	const kind = value('replyKind') || 'text';
	if (kind === 'markdown') {
		const title = required('replyTitle', 'Title');
		// DingTalk shows a mention in Markdown only where the text names it.
		const missing = mentioned.filter((id) => !value('replyMarkdown').includes(`@${id}`));
		const text =
			required('replyMarkdown', 'Markdown') +
			(missing.length ? `\n\n${missing.map((id) => `@${id}`).join(' ')}` : '');
		return {
			body: { msgtype: 'markdown', markdown: { title, text }, ...(at ? { at } : {}) },
			message: { kind: 'markdown', title, text },
		};
	}
	if (kind !== 'text') throw refuseInput(ctx, itemIndex, 'Reply Type', `"${kind}" is not a choice`);
	const content = required('replyText', 'Text');
	return {
		body: { msgtype: 'text', text: { content }, ...(at ? { at } : {}) },
		message: { kind: 'text', content },
	};
}

/** The expiry time given, or undefined when it is empty or not a time. */
function expiryOf({ ctx, itemIndex }: ItemContext): number | undefined {
	const raw = ctx.getNodeParameter(SESSION_WEBHOOK_EXPIRY_FIELD, itemIndex, '') as unknown;
	const time = Number(raw);
	return raw === '' || raw === null || raw === undefined || !Number.isFinite(time) || time <= 0
		? undefined
		: time;
}

/** The reply as a new robot message, to the message's group or its sender. */
async function sendInstead(item: ItemContext, message: RobotMessageToSend): Promise<IDataObject> {
	const { ctx, itemIndex, transport } = item;
	const options = ctx.getNodeParameter('replyOptions', itemIndex, {}) as IDataObject;
	const robotCode =
		String(options.robotCode ?? '').trim() || defaultRobotCodeOf(transport.credentials);
	const group = String(ctx.getNodeParameter(GROUP_CHAT.parameter, itemIndex, '') ?? '').trim();
	const target: IDataObject = group
		? { openConversationId: readId(ctx, itemIndex, GROUP_CHAT) }
		: { userIds: [readId(ctx, itemIndex, SENDER_STAFF_ID)] };
	const answer = await transport.call(
		{
			family: 'new',
			method: 'POST',
			path: group ? ROBOT_MESSAGE_PATHS.toGroup : ROBOT_MESSAGE_PATHS.toUsers,
			json: { robotCode, ...target, ...robotMessageParam(message) },
			repeatable: false,
		},
		itemIndex,
	);
	return { sentAs: 'message', processQueryKey: answer.processQueryKey, ...target };
}

export const replyOperation: DingTalkOperation = {
	option: {
		name: 'Reply',
		action: 'Answer a robot message',
		description:
			"Answer a message a robot trigger received, in its chat, through the message's own reply address",
	},
	call: { family: 'legacy', method: 'POST', path: SESSION_REPLY_PATH, repeatable: false },
	preSend: async (item, call) => {
		const { ctx, itemIndex } = item;
		const address = String(ctx.getNodeParameter(SESSION_WEBHOOK_FIELD, itemIndex, '') ?? '').trim();
		if (address === '')
			throw refuseInput(
				ctx,
				itemIndex,
				'Reply Address',
				'is empty: give the sessionWebhook of a message from a DingTalk Robot Trigger',
			);
		const { body } = replyBodyOf(item);
		const whenExpired = String(ctx.getNodeParameter('whenExpired', itemIndex, 'fail'));
		if (whenExpired !== 'fail' && whenExpired !== 'send')
			throw refuseInput(
				ctx,
				itemIndex,
				'If the Session Has Expired',
				`"${whenExpired}" is not a choice`,
			);
		Object.assign(item.state, { address, whenExpired });
		return { ...call, json: body };
	},
	send: async (item, call) => {
		const { state, transport, itemIndex } = item;
		const expiresAt = expiryOf(item);
		const expired =
			(expiresAt !== undefined && expiresAt <= Date.now()) ||
			(await transport.replyThroughSession(String(state.address), call.json ?? {}, itemIndex))
				.expired;
		if (!expired) return { sentAs: 'reply' };
		if (state.whenExpired !== 'send') throw sessionExpired(item);
		return await sendInstead(item, replyBodyOf(item).message);
	},
	postReceive: ({ itemIndex }, answer) => ({ json: answer, pairedItem: { item: itemIndex } }),
	concurrency: 1,
};
