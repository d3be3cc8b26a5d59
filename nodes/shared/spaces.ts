import type { IDataObject } from 'n8n-workflow';
import { nonEmptyText } from './text';
import type { DingTalkTransport } from './transport';
import { PATHS, STORAGE_ORDER_BY, STORAGE_PAGE_MAX, STORAGE_PATHS } from './wire';

// Storage spaces and their folders, as File > Upload and the editor's pickers find them.

/** The ID of a group chat's storage space, looked up for the operator as Group Space > Get does it. */
export async function groupSpaceIdOf(
	transport: DingTalkTransport,
	operator: string,
	openConversationId: string,
	itemIndex: number,
): Promise<string> {
	const answer = await transport.call<{ space?: { spaceId?: unknown } }>(
		{
			family: 'new',
			method: 'POST',
			path: PATHS.groupSpaceQuery,
			query: { unionId: operator },
			json: { openConversationId },
			repeatable: true,
		},
		itemIndex,
	);
	return String(answer.space?.spaceId ?? '');
}

/** A file or folder in a folder's listing. */
export interface FolderEntry {
	id: string;
	name: string;
	folder: boolean;
	size?: number;
}

/** One page of a folder's entries, by name, read on behalf of `operator`. */
export async function folderPage(
	transport: DingTalkTransport,
	where: { operator: string; spaceId: string },
	folderId: string,
	token: string | undefined,
	itemIndex: number,
): Promise<{ entries: FolderEntry[]; next?: string }> {
	const answer = await transport.call(
		{
			family: 'new',
			method: 'GET',
			path: STORAGE_PATHS.listFolder,
			pathParams: { spaceId: where.spaceId },
			query: {
				unionId: where.operator,
				parentId: folderId,
				maxResults: String(STORAGE_PAGE_MAX),
				orderBy: STORAGE_ORDER_BY.name,
				order: 'ASC',
				...(token ? { nextToken: token } : {}),
			},
			repeatable: true,
		},
		itemIndex,
	);
	const entries = ((answer.dentries ?? []) as IDataObject[]).map((dentry) => ({
		id: String(dentry.id ?? ''),
		name: String(dentry.name ?? ''),
		folder: dentry.type === 'FOLDER',
		size: typeof dentry.size === 'number' ? dentry.size : undefined,
	}));
	return { entries, next: nonEmptyText(answer.nextToken) };
}
