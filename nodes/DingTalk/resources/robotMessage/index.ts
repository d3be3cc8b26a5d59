import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { defaultRobotCodeOf } from '../../../shared/app';
import {
	idProperty,
	inputBinaryFieldProperty,
	OPEN_CONVERSATION_ID,
	ROBOT_CODE,
} from '../../../shared/descriptions';
import {
	readId,
	refuseInput,
	type DingTalkResource,
	type IdField,
	type ItemContext,
} from '../../../shared/operation';
import type { DingTalkCall } from '../../../shared/transport';
import {
	MEDIA_TYPE_OF_MESSAGE,
	PATHS,
	ROBOT_MESSAGE_PATHS,
	ROBOT_MSG_PARAM_MAX_BYTES,
	robotMessageParam,
	type RobotMessageToSend,
	type RobotMessageKind,
} from '../../../shared/wire';
import { prepareMediaUpload } from '../media';
import { parseUserIds } from '../../../shared/users';
import { replyFields, replyOperation } from './reply';

type MediaKind = keyof typeof MEDIA_TYPE_OF_MESSAGE;
const MEDIA_KINDS = Object.keys(MEDIA_TYPE_OF_MESSAGE) as MediaKind[];

const showForSend = { resource: ['robotMessage'], operation: ['send'] };
// n8n shows a field as soon as one condition it checks holds an expression, checking them in order: the
// Media condition comes before the Message Type one, so a Message Type set by an expression still hides
// the fields of the other media source.
const show = (extra: IDataObject) => ({ ...showForSend, ...extra });
const MEDIA_ID: IdField = { parameter: 'mediaId', label: 'Media ID' };
const COVER_MEDIA_ID: IdField = { parameter: 'coverMediaId', label: 'Cover Image Media ID' };
// Long enough for any media ID DingTalk hands out: used to check msgParam's size before uploading.
const MEDIA_ID_PLACEHOLDER = '@'.padEnd(128, 'x');

// The fields of one message type are checked by the node (naming the field) rather than marked required:
// with the Message Type set by an expression n8n shows them all, and would refuse to run for the empty ones.
const robotMessageFields: INodeProperties[] = [
	{
		displayName: 'Send To',
		name: 'sendTo',
		type: 'options',
		options: [
			{ name: 'Group Chat', value: 'group', description: 'A group chat the robot is in' },
			{
				name: 'Users',
				value: 'users',
				description: 'Up to 20 users, each in their one-to-one chat with the robot',
			},
		],
		default: 'group',
		displayOptions: { show: showForSend },
	},
	idProperty(
		OPEN_CONVERSATION_ID,
		show({ sendTo: ['group'] }),
		'The openConversationId of the group chat (starts with "cid"); the robot must be in the group',
		'cidXXXXXXXXXXXXXXXXXXXX==',
	),
	{
		displayName: 'User IDs',
		name: 'userIds',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. manager4220, 0102235566',
		description:
			"The users' staff user IDs (userId, as in Contacts or a robot message's senderStaffId), not their unionIds; separated by commas, at most 20",
		displayOptions: { show: show({ sendTo: ['users'] }) },
	},
	{
		displayName: 'Message Type',
		name: 'messageKind',
		type: 'options',
		options: [
			{
				name: 'File',
				value: 'file',
				description: 'A document: doc(x), xls(x), ppt(x), pdf, zip or rar',
			},
			{ name: 'Image', value: 'image', description: 'A JPG, GIF, PNG or BMP picture' },
			{ name: 'Markdown', value: 'markdown', description: 'A titled message in Markdown' },
			{ name: 'Text', value: 'text', description: 'Plain text' },
			{ name: 'Video', value: 'video', description: 'An MP4 video with a cover picture' },
			{ name: 'Voice', value: 'voice', description: 'An AMR, MP3 or WAV voice clip' },
		],
		default: 'text',
		displayOptions: { show: showForSend },
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		displayOptions: { show: show({ messageKind: ['text'] }) },
	},
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		default: '',
		description: 'Shown in the chat list and notifications',
		displayOptions: { show: show({ messageKind: ['markdown'] }) },
	},
	{
		displayName: 'Markdown',
		name: 'markdown',
		type: 'string',
		typeOptions: { rows: 6 },
		default: '',
		displayOptions: { show: show({ messageKind: ['markdown'] }) },
	},
	{
		displayName: 'Media',
		name: 'mediaSource',
		type: 'options',
		options: [
			{
				name: 'Upload Binary Data',
				value: 'binary',
				description: 'Upload the input binary data as DingTalk media in this step',
			},
			{
				name: 'Media ID',
				value: 'mediaId',
				description: 'A media ID from an earlier Media > Upload',
			},
		],
		default: 'binary',
		displayOptions: { show: show({ messageKind: MEDIA_KINDS }) },
	},
	inputBinaryFieldProperty(
		show({ mediaSource: ['binary'], messageKind: MEDIA_KINDS }),
		'The file to upload and send; its type must suit the message type',
	),
	{
		displayName: 'Cover Image Binary Field',
		name: 'coverBinaryPropertyName',
		type: 'string',
		required: true,
		default: 'cover',
		hint: 'The name of the input binary field containing the cover picture (JPG, GIF, PNG or BMP)',
		displayOptions: { show: show({ mediaSource: ['binary'], messageKind: ['video'] }) },
	},
	{
		displayName: 'Media ID',
		name: MEDIA_ID.parameter,
		type: 'string',
		default: '',
		description:
			'The mediaId output by Media > Upload with the same credential (for an image, a public image URL also works)',
		displayOptions: { show: show({ mediaSource: ['mediaId'], messageKind: MEDIA_KINDS }) },
	},
	{
		displayName: 'Cover Image Media ID',
		name: COVER_MEDIA_ID.parameter,
		type: 'string',
		default: '',
		description: 'The mediaId of the cover picture, from Media > Upload',
		displayOptions: { show: show({ mediaSource: ['mediaId'], messageKind: ['video'] }) },
	},
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		default: '',
		placeholder: 'e.g. Q3 report.pdf',
		description:
			"The name the file message shows, with its extension (its type). Empty: the binary data's own name; required with a media ID.",
		displayOptions: { show: show({ messageKind: ['file'] }) },
	},
	{
		displayName: 'Duration (Seconds)',
		name: 'durationSeconds',
		type: 'number',
		typeOptions: { minValue: 0, numberPrecision: 1 },
		required: true,
		default: 0,
		description: 'How long the clip plays, shown in the chat',
		displayOptions: { show: show({ messageKind: ['voice', 'video'] }) },
	},
	{
		displayName: 'Robot Code',
		name: ROBOT_CODE.parameter,
		type: 'string',
		default: '',
		description:
			"The robot that sends the message. Empty: the credential's Robot Code, or its AppKey (an internal app's robot code).",
		displayOptions: { show: showForSend },
	},
];

/** The size check of msgParam, in UTF-8 bytes as DingTalk counts them. */
function checkParamSize(
	ctx: IExecuteFunctions,
	itemIndex: number,
	message: RobotMessageToSend,
	field: string,
) {
	const { msgParam } = robotMessageParam(message);
	const bytes = Buffer.byteLength(msgParam, 'utf8');
	if (bytes > ROBOT_MSG_PARAM_MAX_BYTES) {
		throw refuseInput(
			ctx,
			itemIndex,
			field,
			`makes a message of ${bytes.toLocaleString('en-US')} bytes; DingTalk takes at most ${ROBOT_MSG_PARAM_MAX_BYTES.toLocaleString('en-US')}`,
		);
	}
}

const MEDIA_UPLOAD_CALL: DingTalkCall = {
	family: 'legacy',
	method: 'POST',
	path: PATHS.mediaUpload,
	repeatable: true,
};

/**
 * The message of one item, built from the plain fields. Media from binary data is checked first (type,
 * size, file name), uploaded only once every field of the item is good, and then named in the message.
 */
async function buildMessage(
	{ ctx, itemIndex, transport, state }: ItemContext,
	kind: RobotMessageKind,
): Promise<RobotMessageToSend> {
	const text = (name: string) => String(ctx.getNodeParameter(name, itemIndex, '')).trim();
	const required = (name: string, label: string) => {
		const value = text(name);
		if (value === '') throw refuseInput(ctx, itemIndex, label, 'is empty');
		return value;
	};
	if (kind === 'text') {
		const message: RobotMessageToSend = { kind, content: required('text', 'Text') };
		checkParamSize(ctx, itemIndex, message, 'Text');
		return message;
	}
	if (kind === 'markdown') {
		const message: RobotMessageToSend = {
			kind,
			title: required('title', 'Title'),
			text: required('markdown', 'Markdown'),
		};
		checkParamSize(ctx, itemIndex, message, 'Markdown');
		return message;
	}
	if (!MEDIA_KINDS.includes(kind))
		throw refuseInput(ctx, itemIndex, 'Message Type', `"${String(kind)}" is not a choice`);

	const durationSeconds = Number(ctx.getNodeParameter('durationSeconds', itemIndex, 0));
	if ((kind === 'voice' || kind === 'video') && !(durationSeconds > 0))
		throw refuseInput(ctx, itemIndex, 'Duration (Seconds)', 'must be more than 0');
	const fromBinary = text('mediaSource') !== 'mediaId';
	let fileName = text('fileName');
	let mediaId = MEDIA_ID_PLACEHOLDER;
	let coverMediaId = MEDIA_ID_PLACEHOLDER;
	const uploads: Array<{ call: DingTalkCall; assign: (id: string) => void }> = [];
	if (fromBinary) {
		const main = await prepareMediaUpload(ctx, itemIndex, MEDIA_UPLOAD_CALL, {
			property: text('binaryPropertyName'),
			requestedType: MEDIA_TYPE_OF_MESSAGE[kind],
			fileName: kind === 'file' ? fileName : '',
			typeLabel: 'Message Type',
		});
		fileName = main.described.fileName;
		uploads.push({ call: main.call, assign: (id) => (mediaId = id) });
		if (kind === 'video') {
			const cover = await prepareMediaUpload(ctx, itemIndex, MEDIA_UPLOAD_CALL, {
				property: text('coverBinaryPropertyName'),
				requestedType: 'image',
				fileName: '',
				binaryLabel: 'Cover Image Binary Field',
				typeLabel: 'Cover Image Binary Field',
			});
			uploads.push({ call: cover.call, assign: (id) => (coverMediaId = id) });
		}
	} else {
		mediaId = readId(ctx, itemIndex, MEDIA_ID);
		if (kind === 'video') coverMediaId = readId(ctx, itemIndex, COVER_MEDIA_ID);
		if (kind === 'file' && fileName === '')
			throw refuseInput(ctx, itemIndex, 'File Name', 'is empty');
	}
	const message = (): RobotMessageToSend => {
		if (kind === 'image') return { kind, photo: mediaId };
		if (kind === 'file') return { kind, mediaId, fileName };
		if (kind === 'voice') return { kind, mediaId, durationSeconds };
		return { kind, mediaId, coverMediaId, durationSeconds };
	};
	checkParamSize(ctx, itemIndex, message(), kind === 'file' ? 'File Name' : 'Media ID');

	for (const upload of uploads) {
		const answer = await transport.call<IDataObject>(upload.call, itemIndex);
		upload.assign(String(answer.media_id ?? ''));
	}
	if (fromBinary) {
		state.mediaId = mediaId;
		if (kind === 'video') state.coverMediaId = coverMediaId;
	}
	return message();
}

// Sends are never repeated when DingTalk may have carried them out, and go one at a time, in item order.
export const robotMessage: DingTalkResource = {
	option: { name: 'Robot Message', value: 'robotMessage' },
	defaultOperation: 'send',
	fields: [...robotMessageFields, ...replyFields],
	operations: {
		send: {
			option: {
				name: 'Send',
				action: 'Send a robot message',
				description:
					'Send a text, Markdown, image, file, voice or video message as the robot, to a group or to users',
			},
			call: {
				family: 'new',
				method: 'POST',
				path: ROBOT_MESSAGE_PATHS.toGroup,
				repeatable: false,
			},
			preSend: async (item, call) => {
				const { ctx, itemIndex, transport, state } = item;
				const robotCode = readId(
					ctx,
					itemIndex,
					ROBOT_CODE,
					defaultRobotCodeOf(transport.credentials),
				);
				const toUsers = String(ctx.getNodeParameter('sendTo', itemIndex, 'group')) === 'users';
				let target: IDataObject;
				if (toUsers) {
					const parsed = parseUserIds(String(ctx.getNodeParameter('userIds', itemIndex, '')));
					if ('reason' in parsed) throw refuseInput(ctx, itemIndex, 'User IDs', parsed.reason);
					target = { userIds: parsed.userIds };
				} else {
					target = { openConversationId: readId(ctx, itemIndex, OPEN_CONVERSATION_ID) };
				}
				const kind = String(
					ctx.getNodeParameter('messageKind', itemIndex, 'text'),
				) as RobotMessageKind;
				const { msgKey, msgParam } = robotMessageParam(await buildMessage(item, kind));
				Object.assign(state, { msgKey, ...target });
				return {
					...call,
					path: toUsers ? ROBOT_MESSAGE_PATHS.toUsers : ROBOT_MESSAGE_PATHS.toGroup,
					json: { robotCode, ...target, msgKey, msgParam },
				};
			},
			postReceive: ({ itemIndex, state }, answer) => {
				const json: IDataObject = { processQueryKey: answer.processQueryKey, msgKey: state.msgKey };
				if (state.userIds) {
					json.userIds = state.userIds;
					json.invalidUserIds = answer.invalidStaffIdList ?? [];
					json.flowControlledUserIds = answer.flowControlledStaffIdList ?? [];
				} else {
					json.openConversationId = state.openConversationId;
				}
				if (state.mediaId) json.mediaId = state.mediaId;
				if (state.coverMediaId) json.coverMediaId = state.coverMediaId;
				return { json, pairedItem: { item: itemIndex } };
			},
			concurrency: 1,
		},
		reply: replyOperation,
	},
};
