import type { IDataObject } from 'n8n-workflow';
import { appIdentityOf } from './app';
import type { DingTalkCall, DingTalkTransport } from './transport';
import { ROBOT_MAX_USERS, USER_PATHS, USER_SEARCH_PAGE_MAX } from './wire';

// The organisation's people, as the User operations, the User picker and the robot triggers read them.

/** A person's details by staff ID (userid): name, union ID, title, departments. */
export async function userByStaffId(
	transport: DingTalkTransport,
	staffId: string,
	itemIndex: number,
): Promise<IDataObject> {
	const answer = await transport.call(
		{
			family: 'legacy',
			method: 'POST',
			path: USER_PATHS.get,
			json: { userid: staffId, language: 'en_US' },
			repeatable: true,
		},
		itemIndex,
	);
	return (answer.result ?? {}) as IDataObject;
}

/** Union IDs already found, per app and staff ID (they never change), oldest first. */
const unionIdsFound = new Map<string, Promise<string>>();
/** About 1 MB at most: a sender past this many is looked up again. */
export const UNION_IDS_KEPT = 10_000;

/**
 * A person's union ID by staff ID: looked up once per app and person in this n8n process, then
 * remembered (a look-up in flight is shared; a failed one is not remembered).
 */
export async function unionIdOfStaff(
	transport: DingTalkTransport,
	staffId: string,
	itemIndex: number,
): Promise<string> {
	const key = `${appIdentityOf(transport.credentials)}\n${staffId}`;
	let found = unionIdsFound.get(key);
	if (!found) {
		found = userByStaffId(transport, staffId, itemIndex).then((person) => {
			const unionId = typeof person.unionid === 'string' ? person.unionid : '';
			if (unionId === '') throw new Error(`DingTalk gave no union ID for staff ID "${staffId}"`);
			return unionId;
		});
		found.catch(() => unionIdsFound.delete(key));
		if (unionIdsFound.size >= UNION_IDS_KEPT)
			unionIdsFound.delete(unionIdsFound.keys().next().value as string);
		unionIdsFound.set(key, found);
	}
	return await found;
}

/** The staff ID of a union ID, or of a mobile number (internal apps only). */
export async function staffIdOf(
	transport: DingTalkTransport,
	by: { unionId: string } | { mobile: string },
	itemIndex: number,
): Promise<string> {
	const answer = await transport.call(
		'unionId' in by
			? {
					family: 'legacy',
					method: 'POST',
					path: USER_PATHS.byUnionId,
					json: { unionid: by.unionId },
					repeatable: true,
				}
			: {
					family: 'legacy',
					method: 'POST',
					path: USER_PATHS.byMobile,
					json: { mobile: by.mobile },
					repeatable: true,
				},
		itemIndex,
	);
	return String(((answer.result ?? {}) as IDataObject).userid ?? '');
}

/** The call for one page of a name search (DingTalk answers staff IDs, `hasMore` and `totalCount`). */
export function userSearchCall(query: {
	name: string;
	exact: boolean;
	offset: number;
	size: number;
}): DingTalkCall {
	return {
		family: 'new',
		method: 'POST',
		path: USER_PATHS.search,
		json: {
			queryWord: query.name,
			offset: query.offset,
			size: Math.min(USER_SEARCH_PAGE_MAX, Math.max(1, query.size)),
			...(query.exact ? { fullMatchField: 1 } : {}),
		},
		repeatable: true,
	};
}

/** The call of the page after `answer`, or undefined after the last. */
export function nextUserSearchCall(
	call: DingTalkCall,
	answer: IDataObject,
): DingTalkCall | undefined {
	const found = Array.isArray(answer.list) ? answer.list.length : 0;
	if (answer.hasMore !== true || found === 0) return undefined;
	const json = call.json ?? {};
	return { ...call, json: { ...json, offset: Number(json.offset) + Number(json.size) } };
}

export const staffIdsOf = (answer: IDataObject): string[] =>
	Array.isArray(answer.list) ? answer.list.map(String) : [];

/** The staff user IDs of the Users field: separated by commas, semicolons or white space. */
export function parseUserIds(value: string): { userIds: string[] } | { reason: string } {
	const userIds = [...new Set(value.split(/[\s,;]+/).filter(Boolean))];
	if (userIds.length === 0) return { reason: 'is empty' };
	if (userIds.length > ROBOT_MAX_USERS) {
		return {
			reason: `names ${userIds.length} users; DingTalk takes at most ${ROBOT_MAX_USERS} per message (split them over several items)`,
		};
	}
	return { userIds };
}
