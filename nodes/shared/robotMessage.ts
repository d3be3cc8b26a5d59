import type {
	IBinaryData,
	IBinaryKeyData,
	IDataObject,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { createHmac, timingSafeEqual } from 'crypto';
import { sessionWebhookProblem } from './addresses';
import { createLimiter } from './limit';
import {
	CALLBACK_MAX_CLOCK_SKEW_MS,
	callbackSignedText,
	CONVERSATION_TYPE_OF_CODE,
	ROBOT_MESSAGE_TYPES,
	ROBOT_USER_ID_FIELD,
	SENDER_ID_FIELD,
	SENDER_UNION_ID_FIELD,
	SESSION_WEBHOOK_EXPIRY_FIELD,
	SESSION_WEBHOOK_FIELD,
	type RobotMessageType,
} from './wire';

/** A message as DingTalk hands it to the robot (the callback body, or a Stream frame's data). */
export interface ReceivedRobotMessage {
	msgtype: string;
	msgId: string;
	createAt?: number | string;
	conversationId?: string;
	conversationType?: string;
	conversationTitle?: string;
	senderStaffId?: string;
	senderNick?: string;
	robotCode?: string;
	isInAtList?: boolean;
	text?: { content?: string };
	content?: {
		downloadCode?: string;
		fileName?: string;
		recognition?: string;
		richText?: Array<{ text?: string; type?: string; downloadCode?: string }>;
	};
	[field: string]: unknown;
}

/** The message inside a callback body or frame data, or undefined when it is not one. */
export function parseRobotMessage(value: unknown): ReceivedRobotMessage | undefined {
	let parsed = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			return undefined;
		}
	}
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
	const message = parsed as ReceivedRobotMessage;
	return typeof message.msgId === 'string' &&
		message.msgId !== '' &&
		typeof message.msgtype === 'string'
		? message
		: undefined;
}

export interface RobotMessageFilters {
	/** Empty: every type. */
	messageTypes: string[];
	chatType: 'all' | 'oneToOne' | 'group';
	onlyWhenMentioned: boolean;
	/** Staff IDs of the people who may start the workflow; empty: everyone. */
	senderStaffIds: string[];
	/** Open conversation IDs of the chats it may be started from; empty: every chat. */
	conversationIds: string[];
}

/** Whether a message the robot itself sent (echoed to it). */
function isFromRobot(message: ReceivedRobotMessage): boolean {
	const sender = message[SENDER_ID_FIELD];
	return typeof sender === 'string' && sender !== '' && sender === message[ROBOT_USER_ID_FIELD];
}

/**
 * Why a message starts nothing (the robot's own, a sender or chat not allowed, a type, chat type or
 * missing @-mention filtered out), or undefined when it starts the workflow.
 */
export function refusalOf(
	message: ReceivedRobotMessage,
	filters: RobotMessageFilters,
): string | undefined {
	if (isFromRobot(message)) return "it is the robot's own message";
	if (
		filters.senderStaffIds.length > 0 &&
		!filters.senderStaffIds.includes(String(message.senderStaffId ?? ''))
	)
		return 'its sender is not among the allowed senders';
	if (
		filters.conversationIds.length > 0 &&
		!filters.conversationIds.includes(String(message.conversationId ?? ''))
	)
		return 'its chat is not among the allowed chats';
	if (filters.messageTypes.length > 0 && !filters.messageTypes.includes(message.msgtype))
		return 'its type is filtered out';
	const chat = CONVERSATION_TYPE_OF_CODE[String(message.conversationType)];
	if (filters.chatType !== 'all' && chat !== filters.chatType)
		return 'its chat type is filtered out';
	if (filters.onlyWhenMentioned && chat === 'group' && message.isInAtList !== true)
		return 'it does not @-mention the robot';
	return undefined;
}

/** The message without its reply address (and the address's expiry) when that is not DingTalk's. */
export function withTrustedReplyAddress(
	message: ReceivedRobotMessage,
	ownHosts: string[],
	onRefused: (problem: string) => void,
): ReceivedRobotMessage {
	const problem = sessionWebhookProblem(message[SESSION_WEBHOOK_FIELD], ownHosts);
	if (!problem) return message;
	onRefused(problem);
	const trusted = { ...message };
	delete trusted[SESSION_WEBHOOK_FIELD];
	delete trusted[SESSION_WEBHOOK_EXPIRY_FIELD];
	return trusted;
}

/** The files a message carries: its media, or every picture of a rich text. */
export function attachmentsOf(
	message: ReceivedRobotMessage,
): Array<{ downloadCode: string; fileName: string }> {
	const content = message.content ?? {};
	if (message.msgtype === 'richText') {
		return (content.richText ?? [])
			.filter((part) => part.type === 'picture' && typeof part.downloadCode === 'string')
			.map((part) => ({ downloadCode: String(part.downloadCode), fileName: '' }));
	}
	if (['picture', 'audio', 'video', 'file'].includes(message.msgtype) && content.downloadCode) {
		return [{ downloadCode: content.downloadCode, fileName: content.fileName ?? '' }];
	}
	return [];
}

function textOf(message: ReceivedRobotMessage): string {
	if (message.msgtype === 'text') return (message.text?.content ?? '').trim();
	if (message.msgtype === 'richText') {
		return (message.content?.richText ?? [])
			.map((part) => (typeof part.text === 'string' ? part.text : ''))
			.join('')
			.trim();
	}
	if (message.msgtype === 'audio') return message.content?.recognition ?? '';
	return '';
}

function isoTime(value: unknown): string | null {
	const ms = Number(value);
	return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
}

/** One tidy item per message: what a workflow needs, plus DingTalk's message under `raw`. */
export function tidyRobotMessage(message: ReceivedRobotMessage): IDataObject {
	const unionId = message[SENDER_UNION_ID_FIELD];
	const item: IDataObject = {
		messageType: message.msgtype,
		text: textOf(message),
		sender: {
			staffId: message.senderStaffId ?? null,
			nick: message.senderNick ?? null,
			...(typeof unionId === 'string' && unionId !== '' ? { unionId } : {}),
		},
		conversation: {
			id: message.conversationId ?? null,
			type: CONVERSATION_TYPE_OF_CODE[String(message.conversationType)] ?? null,
			title: message.conversationTitle ?? null,
		},
		robotCode: message.robotCode ?? null,
		messageId: message.msgId,
		createdAt: isoTime(message.createAt),
	};
	const attachments = attachmentsOf(message);
	if (message.msgtype === 'richText') {
		item.downloadCodes = attachments.map((attachment) => attachment.downloadCode);
	} else if (attachments.length > 0) {
		item.downloadCode = attachments[0].downloadCode;
		item.fileName = attachments[0].fileName || null;
	}
	item.raw = message as unknown as IDataObject;
	return item;
}

/** How a trigger brings a message's files: the binary field, and the download Robot File > Download does. */
export interface AttachmentDownload {
	binaryField: string;
	/** Used when the message names no robot: the credential's robot code. */
	defaultRobotCode: string;
	download: (file: {
		downloadCode: string;
		robotCode: string;
		fileName: string;
	}) => Promise<{ json: IDataObject; binary: IBinaryData }>;
}

/**
 * Attachment downloads in this n8n process at once, for both triggers: a burst of file messages then
 * downloads four at a time (a fast link stays busy) instead of holding as many connections and
 * half-written files as there are messages.
 */
export const ATTACHMENT_DOWNLOADS_AT_ONCE = 4;
const attachmentDownloads = createLimiter(ATTACHMENT_DOWNLOADS_AT_ONCE);

/**
 * The item of a message, with its file (or a rich text's pictures, as `<field>_0`, `<field>_1`, …) as binary
 * data when asked. A download that fails leaves the item with `downloadError` instead: the workflow still
 * starts, and says why the file is missing.
 */
export async function robotMessageItem(
	message: ReceivedRobotMessage,
	attachment?: AttachmentDownload,
	unionIdOf?: (staffId: string) => Promise<string>,
): Promise<INodeExecutionData> {
	const json = tidyRobotMessage(message);
	const sender = json.sender as IDataObject;
	if (unionIdOf && sender.unionId === undefined && typeof message.senderStaffId === 'string') {
		// The workflow still starts without it, and says why it is missing.
		try {
			sender.unionId = await unionIdOf(message.senderStaffId);
		} catch (error) {
			const { message: text, description } = error as { message?: string; description?: string };
			sender.unionIdError = [text, description].filter(Boolean).join('\n');
		}
	}
	const files = attachmentsOf(message);
	if (!attachment || files.length === 0) return { json };
	const robotCode = message.robotCode || attachment.defaultRobotCode;
	const binary: IBinaryKeyData = {};
	try {
		for (const [index, file] of files.entries()) {
			const downloaded = await attachmentDownloads(
				async () => await attachment.download({ ...file, robotCode }),
			);
			if (message.msgtype === 'richText') {
				binary[`${attachment.binaryField}_${index}`] = downloaded.binary;
			} else {
				binary[attachment.binaryField] = downloaded.binary;
				json.fileName = downloaded.json.fileName as string;
			}
		}
	} catch (error) {
		const { message: text, description } = error as { message?: string; description?: string };
		json.downloadError = [text, description].filter(Boolean).join('\n');
	}
	return Object.keys(binary).length > 0 ? { json, binary } : { json };
}

/** Why a callback's signature is refused, or undefined when it is DingTalk's. */
export function callbackSignatureProblem(
	timestamp: unknown,
	sign: unknown,
	secret: string,
	now: number,
): string | undefined {
	if (typeof timestamp !== 'string' || !/^\d{1,16}$/.test(timestamp))
		return 'the timestamp header is missing or not a number of milliseconds';
	if (Math.abs(now - Number(timestamp)) > CALLBACK_MAX_CLOCK_SKEW_MS)
		return 'the timestamp is more than an hour away from this server’s clock';
	if (typeof sign !== 'string' || sign === '') return 'the sign header is missing';
	if (secret === '') return 'the credential has no app secret to check the signature with';
	const expected = Buffer.from(
		createHmac('sha256', secret).update(callbackSignedText(timestamp, secret)).digest('base64'),
	);
	const given = Buffer.from(sign);
	if (expected.length !== given.length || !timingSafeEqual(expected, given))
		return 'the signature does not match the app secret';
	return undefined;
}

const MESSAGE_TYPE_NAMES: Record<RobotMessageType, string> = {
	text: 'Text',
	picture: 'Picture',
	audio: 'Voice',
	video: 'Video',
	file: 'File',
	richText: 'Rich Text',
};

/** The fields both robot triggers share: filters and the attachment option. */
export const robotTriggerFields: INodeProperties[] = [
	{
		displayName: 'Message Types',
		name: 'messageTypes',
		type: 'multiOptions',
		options: ROBOT_MESSAGE_TYPES.map((value) => ({ name: MESSAGE_TYPE_NAMES[value], value })),
		default: [...ROBOT_MESSAGE_TYPES],
		description:
			'Which messages start the workflow. None selected: every type. DingTalk delivers voice, video and file messages only in one-to-one chats with the robot.',
	},
	{
		displayName: 'Chat Type',
		name: 'chatType',
		type: 'options',
		options: [
			{ name: 'One-to-One and Group', value: 'all' },
			{ name: 'One-to-One Only', value: 'oneToOne' },
			{ name: 'Group Only', value: 'group' },
		],
		default: 'all',
		description: 'Where the message was sent to the robot',
	},
	{
		displayName: 'Only When Mentioned in Groups',
		name: 'onlyWhenMentioned',
		type: 'boolean',
		default: false,
		description:
			'Whether group messages start the workflow only when they @-mention the robot. One-to-one messages always do.',
		displayOptions: { hide: { chatType: ['oneToOne'] } },
	},
	{
		displayName: 'Download Attachment',
		name: 'downloadAttachment',
		type: 'boolean',
		default: false,
		description:
			"Whether to bring the message's file, picture, voice clip or video (a rich text's pictures) as binary data, named and typed as Robot File > Download does. Needs the qyapi_robot_sendmsg permission.",
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		hint: "The name of the output binary field to put the file in (a rich text's pictures: data_0, data_1, …)",
		displayOptions: { show: { downloadAttachment: [true] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: "Add Sender's Union ID",
				name: 'addSenderUnionId',
				type: 'boolean',
				default: false,
				description:
					"Whether to add the sender's union ID as sender.unionId, for File > Send to User and the storage operations, when the message does not carry it: one directory look-up per new sender, then remembered. Needs the qyapi_get_member permission.",
			},
			{
				displayName: 'Only From Senders',
				name: 'senderStaffIds',
				type: 'string',
				default: '',
				placeholder: 'e.g. manager4220, staff0002',
				description:
					"Staff IDs (the sender's staffId in earlier messages) of the people whose messages start the workflow, separated by commas. Empty: everyone. A message from anyone else starts nothing.",
			},
			{
				displayName: 'Only In Chats',
				name: 'conversationIds',
				type: 'string',
				default: '',
				placeholder: 'e.g. cidXXXXXXXXXXXXXXXX==',
				description:
					'Open conversation IDs (conversation.ID of an earlier message) of the chats whose messages start the workflow, separated by commas. Empty: every chat. A message from any other chat starts nothing.',
			},
		],
	},
];

/** A list typed into one field: separated by commas, spaces or line breaks. */
function listOf(value: unknown): string[] {
	return String(value ?? '')
		.split(/[\s,]+/)
		.filter((entry) => entry !== '');
}

/** The filters as the node's parameters hold them. */
export function filtersOf(
	getParameter: (name: string, fallback: unknown) => unknown,
): RobotMessageFilters {
	const types = getParameter('messageTypes', []);
	const chatType = String(getParameter('chatType', 'all'));
	const options = (getParameter('options', {}) ?? {}) as Record<string, unknown>;
	return {
		messageTypes: Array.isArray(types) ? types.map(String) : [],
		chatType: chatType === 'oneToOne' || chatType === 'group' ? chatType : 'all',
		onlyWhenMentioned: getParameter('onlyWhenMentioned', false) === true,
		senderStaffIds: listOf(options.senderStaffIds),
		conversationIds: listOf(options.conversationIds),
	};
}

/** Whether the Add Sender's Union ID option is on. */
export function addsSenderUnionId(
	getParameter: (name: string, fallback: unknown) => unknown,
): boolean {
	const options = (getParameter('options', {}) ?? {}) as Record<string, unknown>;
	return options.addSenderUnionId === true;
}

/** The binary field for attachments, or undefined when Download Attachment is off. */
export function attachmentFieldOf(
	getParameter: (name: string, fallback: unknown) => unknown,
): string | undefined {
	if (getParameter('downloadAttachment', false) !== true) return undefined;
	return String(getParameter('binaryPropertyName', 'data')).trim() || 'data';
}
