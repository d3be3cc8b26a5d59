import {
	NodeApiError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
	type JsonObject,
} from 'n8n-workflow';
import { binarySourceOf } from '../../../shared/binary';
import { groupSpaceIdOf } from '../../../shared/spaces';
import {
	conflictOptions,
	idProperty,
	inputBinaryFieldProperty,
	OPEN_CONVERSATION_ID,
	OPERATOR_UNION_ID,
	SPACE_ID,
	UNION_ID_HINT,
} from '../../../shared/descriptions';
import {
	readConflict,
	readId,
	readInputBinary,
	refuseInput,
	type DingTalkOperation,
	type IdField,
} from '../../../shared/operation';
import type { DingTalkCall } from '../../../shared/transport';
import {
	commitBody,
	PATHS,
	signedUploadOf,
	STORAGE_PATHS,
	STORAGE_ROOT_FOLDER_ID,
	STORAGE_SINGLE_PUT_MAX_BYTES,
	storageNameProblem,
	uploadInfoBody,
} from '../../../shared/wire';

const showForUpload = { resource: ['file'], operation: ['upload'] };
const FOLDER_ID: IdField = { parameter: 'options.folderId', label: 'Folder ID', picker: 'folder' };
const THEN_SEND_PATHS = {
	file: PATHS.sendFileToGroup,
	link: PATHS.sendFileLinkToGroup,
} as const;
type ThenSend = 'none' | keyof typeof THEN_SEND_PATHS;

export const uploadFields: INodeProperties[] = [
	inputBinaryFieldProperty(showForUpload, 'The file to store in DingTalk'),
	{
		displayName: 'Destination',
		name: 'destination',
		type: 'options',
		options: [
			{
				name: 'Group Chat',
				value: 'group',
				description: "The group's file space, looked up for the operator",
			},
			{ name: 'Space', value: 'space', description: 'A storage space given by its ID' },
		],
		default: 'group',
		displayOptions: { show: showForUpload },
	},
	idProperty(
		OPERATOR_UNION_ID,
		showForUpload,
		`The user on whose behalf the file is stored (and sent); they must be allowed to add files to the space. ${UNION_ID_HINT}.`,
	),
	idProperty(
		OPEN_CONVERSATION_ID,
		{ ...showForUpload, destination: ['group'] },
		'The openConversationId of the group chat whose file space the file goes to (starts with "cid")',
		'cidXXXXXXXXXXXXXXXXXXXX==',
	),
	idProperty(
		SPACE_ID,
		{ ...showForUpload, destination: ['space'] },
		'The ID of the storage space, for example from Group Space > Get',
	),
	{
		displayName: 'Then Send to Group',
		name: 'thenSend',
		type: 'options',
		options: [
			{ name: 'No', value: 'none' },
			{
				name: 'The File',
				value: 'file',
				description: 'Post the stored file itself in the group chat',
			},
			{
				name: 'A Link',
				value: 'link',
				description: 'Post a link to the stored file in the group chat (internal apps only)',
			},
		],
		default: 'none',
		description: 'Whether to post the file in a group chat once it is stored, in the same step',
		displayOptions: { show: showForUpload },
	},
	idProperty(
		OPEN_CONVERSATION_ID,
		{ ...showForUpload, destination: ['space'], thenSend: ['file', 'link'] },
		'The openConversationId of the group chat the file is posted in (starts with "cid")',
		'cidXXXXXXXXXXXXXXXXXXXX==',
	),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: showForUpload },
		options: [
			{
				displayName: 'File Name',
				name: 'fileName',
				type: 'string',
				default: '',
				description:
					'The name the file gets in DingTalk, replacing the binary data\'s own. It may not end with a dot or contain tabs or * " &lt; &gt; |.',
			},
			{
				...idProperty(
					FOLDER_ID,
					undefined,
					"The folder to put the file in (its dentry ID). Empty: the space's top folder.",
					undefined,
					STORAGE_ROOT_FOLDER_ID,
				),
				name: 'folderId',
			},
			{
				displayName: 'If the Name Exists',
				name: 'conflict',
				type: 'options',
				options: conflictOptions('file'),
				default: 'rename',
				description: 'What DingTalk does when the folder already has a file of that name',
			},
		],
	},
];

/** Everything an upload needs from the node's fields and the item, checked before any request. */
async function readUploadInput(ctx: IExecuteFunctions, itemIndex: number) {
	const parameter = (name: string, fallback: string) =>
		String(ctx.getNodeParameter(name, itemIndex, fallback));
	const destination = parameter('destination', 'group');
	const thenSend = parameter('thenSend', 'none') as ThenSend;
	if (thenSend !== 'none' && !(thenSend in THEN_SEND_PATHS))
		throw refuseInput(ctx, itemIndex, 'Then Send to Group', `"${thenSend}" is not a choice`);
	const operator = readId(ctx, itemIndex, OPERATOR_UNION_ID);
	const openConversationId =
		destination === 'group' || thenSend !== 'none'
			? readId(ctx, itemIndex, OPEN_CONVERSATION_ID)
			: undefined;
	const spaceId = destination === 'group' ? undefined : readId(ctx, itemIndex, SPACE_ID);
	const folderId = readId(ctx, itemIndex, FOLDER_ID, STORAGE_ROOT_FOLDER_ID);
	const options = ctx.getNodeParameter('options', itemIndex, {}) as {
		fileName?: string;
		conflict?: string;
	};
	const conflict = readConflict(ctx, itemIndex, options.conflict, 'file');

	const property = parameter('binaryPropertyName', '');
	const binary = readInputBinary(ctx, itemIndex, property, 'Input Binary Field');
	const name = (options.fileName ?? '').trim() || (binary.fileName ?? '').trim();
	if (name === '')
		throw refuseInput(
			ctx,
			itemIndex,
			'File Name',
			'the binary data has no file name: set one under Options > File Name',
		);
	const nameProblem = storageNameProblem(name);
	if (nameProblem) throw refuseInput(ctx, itemIndex, 'File Name', nameProblem);
	const source = await binarySourceOf(ctx, itemIndex, property.trim(), binary);
	if (source.size > STORAGE_SINGLE_PUT_MAX_BYTES) {
		throw refuseInput(
			ctx,
			itemIndex,
			'Input Binary Field',
			`"${name}" is ${source.size.toLocaleString('en-US')} bytes; one upload takes files below 5 GB`,
		);
	}
	return {
		operator,
		openConversationId,
		spaceId,
		folderId,
		conflict,
		thenSend,
		name,
		source,
	};
}

/**
 * File > Upload: the three storage steps of DingTalk (upload info, the signed PUT of the bytes, commit),
 * after finding the group's space when the destination is a group. The commit is the operation's own
 * call; the steps before it run in preSend, once every field has been checked. A repeated commit could
 * store the file twice, so it is never repeated when DingTalk may have carried it out.
 */
export const uploadOperation: DingTalkOperation = {
	option: {
		name: 'Upload',
		action: 'Upload a file to DingTalk storage',
		description:
			"Store binary data as a file in a group's file space or another space, and optionally post it in the group",
	},
	call: { family: 'new', method: 'POST', path: STORAGE_PATHS.commit, repeatable: false },
	preSend: async ({ ctx, itemIndex, transport, state }, call) => {
		const input = await readUploadInput(ctx, itemIndex);
		const spaceId =
			input.spaceId ??
			(await groupSpaceIdOf(transport, input.operator, input.openConversationId!, itemIndex));
		const storageCall = (path: string, json: IDataObject): DingTalkCall => ({
			family: 'new',
			method: 'POST',
			path,
			pathParams: { spaceId },
			query: { unionId: input.operator },
			json,
			repeatable: true,
		});
		const info = await transport.call<IDataObject>(
			storageCall(STORAGE_PATHS.uploadInfo, uploadInfoBody(input.source.size)),
			itemIndex,
		);
		const signed = signedUploadOf(info);
		if (!signed) {
			throw new NodeApiError(ctx.getNode(), { code: 'noUploadUrl' } as JsonObject, {
				message: 'DingTalk gave no upload address for the file',
				description:
					'The upload-info answer had no uploadKey or resourceUrls. Nothing was stored; run the node again.',
				itemIndex,
			});
		}
		await transport.putSignedFile(signed, input.source.open, input.source.size, itemIndex);
		Object.assign(state, {
			operator: input.operator,
			openConversationId: input.openConversationId ?? null,
			thenSend: input.thenSend,
		});
		return {
			...call,
			pathParams: { spaceId },
			query: { unionId: input.operator },
			json: commitBody(
				signed.uploadKey,
				input.name,
				input.folderId,
				input.source.size,
				input.conflict,
			),
		};
	},
	postReceive: async ({ ctx, itemIndex, transport, state }, answer) => {
		const { id: dentryId, ...dentry } = (answer.dentry ?? {}) as IDataObject;
		const json: IDataObject = { dentryId, ...dentry };
		const thenSend = state.thenSend as ThenSend;
		if (thenSend !== 'none') {
			try {
				const sent = await transport.call<IDataObject>(
					{
						family: 'new',
						method: 'POST',
						path: THEN_SEND_PATHS[thenSend],
						query: { unionId: String(state.operator) },
						json: {
							spaceId: String(dentry.spaceId),
							dentryId: String(dentryId),
							openConversationId: String(state.openConversationId),
						},
						repeatable: false,
					},
					itemIndex,
				);
				json.sentFile = sent.file ?? null;
			} catch (error) {
				// The file is in DingTalk now: say so, so the user sends it rather than uploading it again.
				if (error instanceof NodeApiError) {
					error.description = `${error.description ?? ''}\nThe file was stored (dentryId ${String(dentryId)}, space ${String(dentry.spaceId)}) but not posted in the group: send it with File > ${thenSend === 'file' ? 'Send to Group' : 'Send Link to Group'} rather than uploading it again.`;
					error.context.dingTalk = {
						...(error.context.dingTalk as IDataObject | undefined),
						dentryId,
						spaceId: dentry.spaceId,
					};
				}
				// A NodeApiError handed to its constructor comes back as it is.
				throw new NodeApiError(ctx.getNode(), error as JsonObject);
			}
		}
		return { json, pairedItem: { item: itemIndex } };
	},
	// One at a time: uploads stream large files, and posts arrive in item order.
	concurrency: 1,
};
