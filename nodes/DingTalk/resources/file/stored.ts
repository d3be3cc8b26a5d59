import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { extensionOf, mimeTypeOfExtension } from '../../../shared/binary';
import {
	DEFAULT_MAX_DOWNLOAD_MB,
	FILE_ID,
	idProperty,
	maxFileSizeProperty,
	OPERATOR_UNION_ID,
	outputBinaryFieldProperty,
	returnAllProperties,
	SPACE_ID,
	UNION_ID_HINT,
} from '../../../shared/descriptions';
import {
	readId,
	readLimit,
	readMaxBytes,
	readOutputField,
	refuseInput,
	type DingTalkOperation,
	type IdField,
} from '../../../shared/operation';
import type { DingTalkCall } from '../../../shared/transport';
import {
	STORAGE_ORDER_BY,
	STORAGE_PAGE_MAX,
	STORAGE_PATHS,
	STORAGE_ROOT_FOLDER_ID,
} from '../../../shared/wire';

// The operations on files already in DingTalk storage: list, get, download, delete.
const LOOKUPS_IN_FLIGHT = 20;
const CHANGES_IN_FLIGHT = 5;
const show = (operations: string[]) => ({ resource: ['file'], operation: operations });
const STORED = ['list', 'get', 'download', 'delete'];
const ONE_ENTRY = ['get', 'download', 'delete'];
const LIST_FOLDER_ID: IdField = { parameter: 'folderId', label: 'Folder ID', picker: 'folder' };

export const storedFileFields: INodeProperties[] = [
	idProperty(
		OPERATOR_UNION_ID,
		show(STORED),
		`The user on whose behalf the space is read (or changed); they must be allowed to. ${UNION_ID_HINT}.`,
	),
	idProperty(
		SPACE_ID,
		show(STORED),
		'The ID of the storage space, for example from Group Space > Get',
	),
	idProperty(
		FILE_ID,
		show(ONE_ENTRY),
		'The ID (dentryId) of the file in that space, for example from File > List',
	),
	{
		displayName: 'List',
		name: 'scope',
		type: 'options',
		options: [
			{ name: 'One Folder', value: 'folder', description: 'The entries directly in a folder' },
			{
				name: 'Whole Space',
				value: 'space',
				description: 'Every file and folder of the space, in every folder, as one list',
			},
		],
		default: 'folder',
		displayOptions: { show: show(['list']) },
	},
	idProperty(
		LIST_FOLDER_ID,
		{ ...show(['list']), scope: ['folder'] },
		"The folder (its dentry ID); 0 is the space's top folder",
		undefined,
		STORAGE_ROOT_FOLDER_ID,
	),
	...returnAllProperties(show(['list'])),
	{
		displayName: 'Order By',
		name: 'orderBy',
		type: 'options',
		options: [
			{ name: 'Modified Time', value: 'modified' },
			{ name: 'Created Time', value: 'created' },
			{ name: 'Name', value: 'name' },
			{ name: 'Size', value: 'size' },
		],
		default: 'modified',
		description: 'DingTalk orders a whole-space list by modified time only',
		displayOptions: { show: { ...show(['list']), scope: ['folder'] } },
	},
	{
		displayName: 'Order',
		name: 'order',
		type: 'options',
		options: [
			{ name: 'Descending', value: 'DESC' },
			{ name: 'Ascending', value: 'ASC' },
		],
		default: 'DESC',
		displayOptions: { show: show(['list']) },
	},
	outputBinaryFieldProperty(show(['download'])),
	maxFileSizeProperty(show(['download']), 'Checked against the size DingTalk stores too'),
	{
		displayName: 'Delete Permanently',
		name: 'permanently',
		type: 'boolean',
		default: false,
		description:
			'Whether to delete the file for good. Off: it goes to the recycle bin, from where it can be restored.',
		displayOptions: { show: show(['delete']) },
	},
];

const entryOf = (answer: IDataObject) => (answer.dentry ?? {}) as IDataObject;

/** The call of the next page, with DingTalk's token where the first page's call had its paging. */
function nextPageOf(call: DingTalkCall, answer: IDataObject): DingTalkCall | undefined {
	const token = typeof answer.nextToken === 'string' ? answer.nextToken : '';
	if (token === '') return undefined;
	if (call.method === 'GET') return { ...call, query: { ...call.query, nextToken: token } };
	const option = (call.json?.option ?? {}) as IDataObject;
	return { ...call, json: { ...call.json, option: { ...option, nextToken: token } } };
}

const list: DingTalkOperation = {
	option: {
		name: 'List',
		action: 'List the files in a folder or space',
		description: 'List the files and folders of a folder, or of a whole storage space',
	},
	call: { family: 'new', method: 'GET', path: STORAGE_PATHS.listFolder, repeatable: true },
	query: { unionId: OPERATOR_UNION_ID },
	preSend: async (item, call) => {
		const { ctx, itemIndex } = item;
		const pageSize = String(Math.min(STORAGE_PAGE_MAX, readLimit(item) ?? STORAGE_PAGE_MAX));
		const order = ctx.getNodeParameter('order', itemIndex, 'DESC') === 'ASC' ? 'ASC' : 'DESC';
		const pathParams = { spaceId: readId(ctx, itemIndex, SPACE_ID) };
		if (ctx.getNodeParameter('scope', itemIndex, 'folder') === 'space') {
			return {
				...call,
				method: 'POST',
				path: STORAGE_PATHS.listAll,
				pathParams,
				json: { option: { maxResults: Number(pageSize), order } },
			};
		}
		const orderBy = String(ctx.getNodeParameter('orderBy', itemIndex, 'modified'));
		if (!(orderBy in STORAGE_ORDER_BY))
			throw refuseInput(ctx, itemIndex, 'Order By', `"${orderBy}" is not a choice`);
		return {
			...call,
			pathParams,
			query: {
				...call.query,
				parentId: readId(ctx, itemIndex, LIST_FOLDER_ID),
				maxResults: pageSize,
				orderBy: STORAGE_ORDER_BY[orderBy as keyof typeof STORAGE_ORDER_BY],
				order,
			},
		};
	},
	postReceive: ({ itemIndex }, answer) =>
		((answer.dentries ?? []) as IDataObject[]).map((entry) => ({
			json: entry,
			pairedItem: { item: itemIndex },
		})),
	nextPage: nextPageOf,
	concurrency: LOOKUPS_IN_FLIGHT,
};

/** The call for one entry: the space and entry IDs go into the path. */
const withEntryPath: DingTalkOperation['preSend'] = async ({ ctx, itemIndex }, call) => ({
	...call,
	pathParams: {
		spaceId: readId(ctx, itemIndex, SPACE_ID),
		dentryId: readId(ctx, itemIndex, FILE_ID),
	},
});

const get: DingTalkOperation = {
	option: {
		name: 'Get',
		action: 'Get a file',
		description: "Get a stored file's or folder's details: name, type, size, times, path",
	},
	call: { family: 'new', method: 'POST', path: STORAGE_PATHS.getEntry, repeatable: true },
	query: { unionId: OPERATOR_UNION_ID },
	preSend: async (item, call) => ({ ...(await withEntryPath!(item, call)), json: { option: {} } }),
	postReceive: ({ itemIndex }, answer) => ({
		json: entryOf(answer),
		pairedItem: { item: itemIndex },
	}),
	concurrency: LOOKUPS_IN_FLIGHT,
};

const download: DingTalkOperation = {
	option: {
		name: 'Download',
		action: 'Download a file',
		description:
			'Download a file from DingTalk storage as binary data, under its real name (internal apps only)',
	},
	// First the entry, for its name, type and size; then its download address.
	call: get.call,
	query: get.query,
	preSend: async (item, call) => {
		const { ctx, itemIndex, transport, state } = item;
		if (transport.credentials.appType === 'thirdParty') {
			throw refuseInput(
				ctx,
				itemIndex,
				'Credential',
				"DingTalk gives the download address of a stored file to internal apps only, and this credential is a third-party app. Use an internal app's credential for File > Download",
			);
		}
		state.maxBytes = readMaxBytes(ctx, itemIndex, DEFAULT_MAX_DOWNLOAD_MB);
		return await get.preSend!(item, call);
	},
	postReceive: async ({ ctx, itemIndex, transport, state }, answer) => {
		const entry = entryOf(answer);
		const name = String(entry.name ?? '');
		if (entry.type === 'FOLDER')
			throw refuseInput(ctx, itemIndex, 'File ID', `"${name}" is a folder, not a file`);
		const maxBytes = Number(state.maxBytes);
		const size = Number(entry.size);
		if (Number.isFinite(size) && size > maxBytes) {
			throw refuseInput(
				ctx,
				itemIndex,
				'Max File Size (MB)',
				`"${name}" is ${size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} bytes allowed`,
			);
		}
		const ids = {
			spaceId: readId(ctx, itemIndex, SPACE_ID),
			dentryId: readId(ctx, itemIndex, FILE_ID),
		};
		const info = await transport.call(
			{
				family: 'new',
				method: 'POST',
				path: STORAGE_PATHS.downloadInfo,
				pathParams: ids,
				query: { unionId: readId(ctx, itemIndex, OPERATOR_UNION_ID) },
				// Intranet addresses serve only dedicated storage inside the organisation's network.
				json: { option: { preferIntranet: false } },
				repeatable: true,
			},
			itemIndex,
		);
		const signed = (info.headerSignatureInfo ?? {}) as {
			resourceUrls?: unknown[];
			headers?: Record<string, unknown>;
		};
		const headers = Object.fromEntries(
			Object.entries(signed.headers ?? {}).map(([header, value]) => [header, String(value)]),
		);
		const mimeType = mimeTypeOfExtension(extensionOf(name)) ?? 'application/octet-stream';
		const binary = await transport.downloadSignedFile(
			String(signed.resourceUrls?.[0] ?? ''),
			itemIndex,
			maxBytes,
			async (file) => await ctx.helpers.prepareBinaryData(file.stream as never, name, mimeType),
			headers,
		);
		return {
			json: entry,
			binary: { [readOutputField(ctx, itemIndex)]: binary },
			pairedItem: { item: itemIndex },
		};
	},
	concurrency: 4,
};

const remove: DingTalkOperation = {
	option: {
		name: 'Delete',
		action: 'Delete a file',
		description: 'Delete a stored file or folder: to the recycle bin, or for good',
	},
	call: { family: 'new', method: 'DELETE', path: STORAGE_PATHS.deleteEntry, repeatable: false },
	query: { unionId: OPERATOR_UNION_ID },
	preSend: async (item, call) => {
		const permanently = item.ctx.getNodeParameter('permanently', item.itemIndex, false) === true;
		item.state.permanently = permanently;
		const withPath = await withEntryPath!(item, call);
		// DingTalk's own default is a permanent delete: the recycle bin is asked for explicitly.
		return { ...withPath, query: { ...withPath.query, toRecycleBin: String(!permanently) } };
	},
	postReceive: ({ ctx, itemIndex, state }, answer) => ({
		json: {
			deleted: true,
			fileId: readId(ctx, itemIndex, FILE_ID),
			toRecycleBin: state.permanently !== true,
			...answer,
		},
		pairedItem: { item: itemIndex },
	}),
	concurrency: CHANGES_IN_FLIGHT,
};

export const storedFileOperations = { list, get, download, delete: remove };
