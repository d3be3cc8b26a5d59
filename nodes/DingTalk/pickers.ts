import {
	NodeOperationError,
	type ILoadOptionsFunctions,
	type INodeListSearchItems,
	type INodeListSearchResult,
} from 'n8n-workflow';
import { defaultRobotCodeOf } from '../shared/app';
import {
	OPEN_CONVERSATION_ID,
	OPERATOR_UNION_ID,
	PICKERS,
	RECEIVER_UNION_ID,
	ROBOT_CODE,
	SPACE_ID,
	TOP_FOLDER_NAME,
	type PickerName,
} from '../shared/descriptions';
import { mapWithLimit } from '../shared/limit';
import type { IdField } from '../shared/operation';
import { robotGroupPage, type GroupChat } from '../shared/groups';
import { folderPage, groupSpaceIdOf, type FolderEntry } from '../shared/spaces';
import { nonEmptyText } from '../shared/text';
import { DEFAULT_TRANSPORT_OPTIONS, DingTalkTransport } from '../shared/transport';
import { nextUserSearchCall, staffIdsOf, userByStaffId, userSearchCall } from '../shared/users';
import { STORAGE_ROOT_FOLDER_ID } from '../shared/wire';

// The editor's pickers (methods.listSearch): what DingTalk can list, a page at a time, named so that
// people recognise it. They go through the same transport as executions (token, rate limit, errors).

/** A picker's calls belong to no input item. */
const NO_ITEM = 0;
const LOOKUPS_AT_ONCE = 5;
const USERS_PER_PAGE = 20;
/** A filtered page may match nothing: a few more pages are read before an empty one is shown. */
const PAGES_PER_SEARCH = 5;
/** Opening "A/B/" reads A's entries until B is found, up to this many pages. */
const PAGES_PER_FOLDER_STEP = 20;

type ListSearch = (
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
) => Promise<INodeListSearchResult>;

const openTransport = async (ctx: ILoadOptionsFunctions) =>
	await DingTalkTransport.open(ctx, DEFAULT_TRANSPORT_OPTIONS);

/** A field of the node as it is set now: a picker's value, a typed ID, or '' (an expression stays '=…'). */
function currentValue(ctx: ILoadOptionsFunctions, parameter: string): string {
	const raw = ctx.getCurrentNodeParameter(parameter) as unknown;
	const value = raw && typeof raw === 'object' && 'value' in raw ? raw.value : raw;
	return typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
}

/**
 * A field this list needs, or an error in the list that names the field to fill in first. n8n works
 * out expressions before a list loads; one that reads input data has no value then.
 */
function requiredValue(ctx: ILoadOptionsFunctions, field: IdField, why: string): string {
	const value = currentValue(ctx, field.parameter);
	if (value === '' || value.startsWith('='))
		throw new NodeOperationError(ctx.getNode(), `Fill in "${field.label}" first`, {
			description: `${why} An expression that reads input data has no value while you edit: choose "${field.label}" from its list or type it By ID, or type this field's ID By ID.`,
		});
	return value;
}

/**
 * The user on whose behalf storage is read: the operator, or for File > Send to User (which has no
 * operator) the receiver.
 */
function readerOf(ctx: ILoadOptionsFunctions, why: string): string {
	const field =
		currentValue(ctx, 'operation') === 'sendToUser' ? RECEIVER_UNION_ID : OPERATOR_UNION_ID;
	return requiredValue(ctx, field, why);
}

const matches = (filter: string | undefined, ...texts: string[]) => {
	const wanted = (filter ?? '').trim().toLowerCase();
	return wanted === '' || texts.some((text) => text.toLowerCase().includes(wanted));
};

/** Reads pages from `token` until one has a match (or a few were read), as the editor shows one page per scroll. */
async function searchPages<T>(
	token: string | undefined,
	readPage: (token?: string) => Promise<{ entries: T[]; next?: string }>,
	keep: (entry: T) => boolean,
): Promise<{ entries: T[]; next?: string }> {
	const found: T[] = [];
	let next = token;
	for (let page = 0; page < PAGES_PER_SEARCH; page++) {
		const read = await readPage(next);
		found.push(...read.entries.filter(keep));
		next = read.next;
		if (next === undefined || found.length > 0) break;
	}
	return { entries: found, next };
}

// ---- Group chats and their spaces -------------------------------------------------------------------

function robotCodeOf(ctx: ILoadOptionsFunctions, transport: DingTalkTransport): string {
	const robotCode =
		currentValue(ctx, ROBOT_CODE.parameter) || defaultRobotCodeOf(transport.credentials);
	if (robotCode === '' || robotCode.startsWith('=')) {
		throw new NodeOperationError(ctx.getNode(), "This list needs the robot's code", {
			description:
				"DingTalk lists the group chats of one robot. Set Robot Code in the DingTalk credential (a third-party app's robot code is not its AppKey), or type the Open Conversation ID By ID.",
		});
	}
	return robotCode;
}

const groupName = (group: GroupChat) => group.title ?? group.id;

async function searchGroupChats(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const transport = await openTransport(this);
	const robotCode = robotCodeOf(this, transport);
	const { entries, next } = await searchPages(
		paginationToken,
		async (token) => await robotGroupPage(transport, robotCode, token, NO_ITEM),
		(group) => matches(filter, groupName(group), group.id),
	);
	return {
		results: entries.map((group) => ({
			name: groupName(group),
			value: group.id,
			description: group.title
				? group.id
				: 'DingTalk does not give this app the title of this group',
		})),
		paginationToken: next,
	};
}

async function searchSpaces(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const transport = await openTransport(this);
	const operator = readerOf(this, "A group's space is looked up for a member of the group.");
	const robotCode = robotCodeOf(this, transport);
	const failures: unknown[] = [];
	const { entries, next } = await searchPages(
		paginationToken,
		async (token) => {
			const page = await robotGroupPage(transport, robotCode, token, NO_ITEM);
			const spaces = await mapWithLimit(page.entries, LOOKUPS_AT_ONCE, async (group) => {
				try {
					return { group, spaceId: await groupSpaceIdOf(transport, operator, group.id, NO_ITEM) };
				} catch (error) {
					// Groups the operator is not in have no space for them: left out of the list.
					failures.push(error);
					return { group, spaceId: '' };
				}
			});
			return { entries: spaces.filter((space) => space.spaceId !== ''), next: page.next };
		},
		({ group, spaceId }) => matches(filter, groupName(group), spaceId),
	);
	// Not one space found while looking them up failed: say why (a missing permission, say).
	if (entries.length === 0 && failures.length > 0) throw failures[0];
	return {
		results: entries.map(({ group, spaceId }) => ({
			name: `${groupName(group)} (group files)`,
			value: spaceId,
			description: `Space ${spaceId} of group chat ${group.id}`,
		})),
		paginationToken: next,
	};
}

// ---- Files and folders --------------------------------------------------------------------------

/** Where a file or folder picker reads: the space (given, or the chosen group chat's) and the operator. */
async function storageOf(ctx: ILoadOptionsFunctions, transport: DingTalkTransport) {
	const operator = readerOf(ctx, 'The folder is read on behalf of a user who may read the space.');
	// File > Upload into a group chat's space names the chat, not the space.
	if (currentValue(ctx, 'destination') === 'group') {
		const chat = requiredValue(
			ctx,
			OPEN_CONVERSATION_ID,
			"The file goes into this group chat's space.",
		);
		return { operator, spaceId: await groupSpaceIdOf(transport, operator, chat, NO_ITEM) };
	}
	return {
		operator,
		spaceId: requiredValue(ctx, SPACE_ID, 'The list shows the folders and files of this space.'),
	};
}

/**
 * The folder a typed path "a/b/" opens, stepping in by whole names from the top folder, with its path as
 * DingTalk names it. A name that is no folder there is where it stops: the rest of the path then
 * filters that folder's entries (so a typo shows no entries instead of an error).
 */
async function openPath(
	transport: DingTalkTransport,
	where: { operator: string; spaceId: string },
	folders: string[],
): Promise<{ folderId: string; path: string; rest: string[] }> {
	let folderId = STORAGE_ROOT_FOLDER_ID;
	let path = '';
	for (const [depth, name] of folders.entries()) {
		let found: FolderEntry | undefined;
		let token: string | undefined;
		for (let page = 0; page < PAGES_PER_FOLDER_STEP && !found; page++) {
			const read = await folderPage(transport, where, folderId, token, NO_ITEM);
			found = read.entries.find(
				(entry) => entry.folder && entry.name.toLowerCase() === name.toLowerCase(),
			);
			token = read.next;
			if (token === undefined) break;
		}
		if (!found) return { folderId, path, rest: folders.slice(depth) };
		folderId = found.id;
		path += `${found.name}/`;
	}
	return { folderId, path, rest: [] };
}

const MIB = 1024 * 1024;
const sizeText = (bytes: number) =>
	bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MB` : `${Math.max(1, Math.ceil(bytes / 1024))} KB`;

/** A file or folder picker: the entries of the folder the filter's path opens, matching its last part. */
async function searchStorage(
	ctx: ILoadOptionsFunctions,
	foldersOnly: boolean,
	filter: string | undefined,
	paginationToken: string | undefined,
): Promise<INodeListSearchResult> {
	const transport = await openTransport(ctx);
	const where = await storageOf(ctx, transport);
	const parts = (filter ?? '').split('/').map((part) => part.trim());
	const typedName = parts.pop() ?? '';
	const folders = parts.filter((part) => part !== '');
	const { folderId, path, rest } = await openPath(transport, where, folders);
	const nameFilter = [...rest, typedName].filter((part) => part !== '').join('/');
	const { entries, next } = await searchPages(
		paginationToken,
		async (token) => await folderPage(transport, where, folderId, token, NO_ITEM),
		(entry) => (!foldersOnly || entry.folder) && matches(nameFilter, entry.name),
	);
	const results: INodeListSearchItems[] = [];
	// A folder picker offers the folder it has opened (or the top folder) first, on the first page.
	if (foldersOnly && paginationToken === undefined && nameFilter === '') {
		results.push({
			name: path === '' ? TOP_FOLDER_NAME : `${path} (this folder)`,
			value: folderId,
		});
	}
	for (const entry of entries) {
		results.push({
			name: entry.folder ? `${path}${entry.name}/` : `${path}${entry.name}`,
			value: entry.id,
			description: entry.folder
				? `Folder: type "${path}${entry.name}/" to open it`
				: entry.size === undefined
					? 'File'
					: `File, ${sizeText(entry.size)}`,
		});
	}
	return { results, paginationToken: next };
}

// ---- People -------------------------------------------------------------------------------------

/** People whose name matches, shown with their title; the value is the ID the field takes. */
async function searchUsers(
	ctx: ILoadOptionsFunctions,
	idField: 'unionid' | 'userid',
	filter: string | undefined,
	paginationToken: string | undefined,
): Promise<INodeListSearchResult> {
	const name = (filter ?? '').trim();
	// DingTalk searches by a name only: the editor asks for one first (searchFilterRequired).
	if (name === '') return { results: [] };
	const transport = await openTransport(ctx);
	const call = userSearchCall({
		name,
		exact: false,
		offset: Number(paginationToken ?? 0) || 0,
		size: USERS_PER_PAGE,
	});
	const answer = await transport.call(call, NO_ITEM);
	const people = await mapWithLimit(
		staffIdsOf(answer),
		LOOKUPS_AT_ONCE,
		async (staffId) => await userByStaffId(transport, staffId, NO_ITEM),
	);
	const nextCall = nextUserSearchCall(call, answer);
	return {
		results: people
			.filter((person) => nonEmptyText(person[idField]))
			.map((person) => {
				const title = nonEmptyText(person.title);
				return {
					name: `${String(person.name ?? person.userid)}${title ? ` (${title})` : ''}`,
					value: String(person[idField]),
					description: `Staff ID ${String(person.userid)}, union ID ${String(person.unionid)}`,
				};
			}),
		paginationToken: nextCall ? String(nextCall.json?.offset) : undefined,
	};
}

const PICKER_METHODS: Record<PickerName, ListSearch> = {
	groupChat: searchGroupChats,
	space: searchSpaces,
	async file(filter, token) {
		return await searchStorage(this, false, filter, token);
	},
	async folder(filter, token) {
		return await searchStorage(this, true, filter, token);
	},
	async userByUnionId(filter, token) {
		return await searchUsers(this, 'unionid', filter, token);
	},
	async userByStaffId(filter, token) {
		return await searchUsers(this, 'userid', filter, token);
	},
};

/** The node's methods.listSearch, under the names the fields' From List modes give. */
export const listSearch: Record<string, ListSearch> = Object.fromEntries(
	(Object.keys(PICKERS) as PickerName[]).map((picker) => [PICKERS[picker], PICKER_METHODS[picker]]),
);
