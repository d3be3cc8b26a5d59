import type { IDisplayOptions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type { IdField } from './operation';

/**
 * The editor's pickers: each names the node method (methods.listSearch) that lists what DingTalk has.
 * Fields with a picker are resource locators; their plain string values from before still load.
 */
export const PICKERS = {
	groupChat: 'searchGroupChats',
	space: 'searchSpaces',
	file: 'searchFiles',
	folder: 'searchFolders',
	userByUnionId: 'searchUsersByUnionId',
	userByStaffId: 'searchUsersByStaffId',
} as const;
export type PickerName = keyof typeof PICKERS;

/** The IDs the operations take, each with the label its validation messages use. */
export const OPEN_CONVERSATION_ID: IdField = {
	parameter: 'openConversationId',
	label: 'Open Conversation ID',
	prefix: 'cid',
	picker: 'groupChat',
};
export const OPERATOR_UNION_ID: IdField = {
	parameter: 'operatorUnionId',
	label: 'Operator Union ID',
	picker: 'userByUnionId',
};
export const RECEIVER_UNION_ID: IdField = {
	parameter: 'receiverUnionId',
	label: 'Receiver Union ID',
	picker: 'userByUnionId',
};
export const SPACE_ID: IdField = { parameter: 'spaceId', label: 'Space ID', picker: 'space' };
export const FILE_ID: IdField = { parameter: 'fileId', label: 'File ID', picker: 'file' };
export const DOWNLOAD_CODE: IdField = { parameter: 'downloadCode', label: 'Download Code' };
export const ROBOT_CODE: IdField = { parameter: 'robotCode', label: 'Robot Code' };

/** What each picker lists, in the words of its From List mode. */
const PICKER_LISTS: Record<PickerName, { hint: string; searchRequired?: boolean }> = {
	groupChat: { hint: 'The group chats the robot is in' },
	space: { hint: "The storage spaces of the robot's group chats, for the operator" },
	file: {
		hint: 'Type a name to filter; "Folder/" opens a folder, "Folder/Sub/name" searches in it',
	},
	folder: { hint: 'Type "Folder/" to open a folder, "Folder/Sub/" to go deeper' },
	userByUnionId: { hint: 'Type part of a name', searchRequired: true },
	userByStaffId: { hint: 'Type part of a name', searchRequired: true },
};

/**
 * The property of one of the IDs above: a resource locator (From List, By ID) when the ID has a picker,
 * a plain string otherwise. `rootFolder` makes an empty folder field mean the space's top folder.
 */
export function idProperty(
	field: IdField,
	/** Where it shows; undefined inside a collection, whose options have none. */
	show: IDisplayOptions['show'] | undefined,
	description: string,
	placeholder?: string,
	rootFolder?: string,
): INodeProperties {
	const common = {
		displayName: field.label,
		name: field.parameter,
		required: rootFolder === undefined,
		description,
		...(show ? { displayOptions: { show } } : {}),
	};
	if (!field.picker) return { ...common, type: 'string', default: '', placeholder };
	const list = PICKER_LISTS[field.picker];
	return {
		...common,
		type: 'resourceLocator',
		default:
			rootFolder === undefined
				? { mode: 'list', value: '' }
				: { mode: 'list', value: rootFolder, cachedResultName: TOP_FOLDER_NAME },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				hint: list.hint,
				typeOptions: {
					searchListMethod: PICKERS[field.picker],
					searchable: true,
					searchFilterRequired: list.searchRequired ?? false,
				},
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: placeholder ?? `e.g. the ${field.label}`,
			},
		],
	};
}

/** How the pickers show a space's top folder (dentry ID 0). */
export const TOP_FOLDER_NAME = '/ (top folder)';

export const UNION_ID_HINT =
	"A user's unionId (not the userId): get it from Contacts > Query user details, or from a robot message's sender";

export function inputBinaryFieldProperty(
	show: IDisplayOptions['show'],
	description: string,
): INodeProperties {
	return {
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		required: true,
		default: 'data',
		hint: 'The name of the input binary field containing the file',
		description,
		displayOptions: { show },
	};
}

/** Downloads are refused above this by default, in MB of 1,048,576 bytes. */
export const DEFAULT_MAX_DOWNLOAD_MB = 200;

export function maxFileSizeProperty(
	show: IDisplayOptions['show'],
	note = 'DingTalk media are at most 20 MB',
): INodeProperties {
	return {
		displayName: 'Max File Size (MB)',
		name: 'maxFileSizeMb',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_MAX_DOWNLOAD_MB,
		description: `The largest file to download, in MB of 1,048,576 bytes: a larger one is refused before it is read when DingTalk says its size, and stopped at the limit otherwise. ${note}.`,
		displayOptions: { show },
	};
}

/** A binary output field's name, as the user gave it. */
export function outputBinaryFieldProperty(show: IDisplayOptions['show']): INodeProperties {
	return {
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the file in',
		displayOptions: { show },
	};
}

/**
 * The choices when the folder already has an entry of that name, as File > Upload and Folder > Create
 * offer them. A folder has no content to replace, so it has no Replace.
 */
export function conflictOptions(kind: 'file' | 'folder'): INodePropertyOptions[] {
	const options: INodePropertyOptions[] = [
		{
			name: `Rename the New ${kind === 'file' ? 'File' : 'Folder'}`,
			value: 'rename',
			description: `DingTalk gives the new ${kind} a free name`,
		},
		{
			name: 'Replace the Existing File',
			value: 'overwrite',
			description: 'The existing file gets the new content (a new version)',
		},
		{
			name: `Keep the Existing ${kind === 'file' ? 'File' : 'Folder'}`,
			value: 'returnExisting',
			description:
				kind === 'file'
					? 'Nothing is stored; the existing file is output (and sent)'
					: 'Nothing is created; the existing folder is output',
		},
		{
			name: 'Fail',
			value: 'fail',
			description: 'The item fails with DingTalk\'s "already exists" error',
		},
	];
	return kind === 'file' ? options : options.filter((option) => option.value !== 'overwrite');
}

export function conflictProperty(
	show: IDisplayOptions['show'],
	kind: 'file' | 'folder',
): INodeProperties {
	return {
		displayName: 'If the Name Exists',
		name: 'conflict',
		type: 'options',
		options: conflictOptions(kind),
		default: 'rename',
		description: `What DingTalk does when the folder already has a ${kind} of that name`,
		displayOptions: { show },
	};
}

/** Return All and Limit, as n8n's own list operations offer them. */
export function returnAllProperties(show: IDisplayOptions['show']): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			displayOptions: { show },
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { ...show, returnAll: [false] } },
		},
	];
}
