import type { IDataObject } from 'n8n-workflow';
import { mapWithLimit } from './limit';
import { nonEmptyText } from './text';
import type { DingTalkTransport } from './transport';
import { GROUP_PATHS } from './wire';

// Group chats a robot is in, as the editor's pickers list them.

export interface GroupChat {
	id: string;
	/** Missing where DingTalk does not give this app the group's title. */
	title?: string;
}

const GROUPS_PER_PAGE = 20;
const TITLES_AT_ONCE = 5;

/** One page of the group chats the robot is in, each with its title where DingTalk gives it. */
export async function robotGroupPage(
	transport: DingTalkTransport,
	robotCode: string,
	token: string | undefined,
	itemIndex: number,
): Promise<{ entries: GroupChat[]; next?: string }> {
	const answer = await transport.call(
		{
			family: 'new',
			method: 'POST',
			path: GROUP_PATHS.robotGroups,
			json: { robotCode, maxResult: GROUPS_PER_PAGE, ...(token ? { nextToken: token } : {}) },
			repeatable: true,
		},
		itemIndex,
	);
	const ids = Array.isArray(answer.openConversationIds)
		? answer.openConversationIds.map(String)
		: [];
	const entries = await mapWithLimit(ids, TITLES_AT_ONCE, async (id) => ({
		id,
		title: await groupTitle(transport, id, itemIndex),
	}));
	return { entries, next: answer.hasMore === false ? undefined : nonEmptyText(answer.nextToken) };
}

/** A group's title, or undefined where the app may not read it (the group is then shown by its ID). */
async function groupTitle(
	transport: DingTalkTransport,
	id: string,
	itemIndex: number,
): Promise<string | undefined> {
	try {
		const answer = await transport.call(
			{
				family: 'new',
				method: 'POST',
				path: GROUP_PATHS.groupInfo,
				json: { openConversationId: id },
				repeatable: true,
			},
			itemIndex,
		);
		return nonEmptyText(((answer.result ?? {}) as IDataObject).title);
	} catch {
		return undefined;
	}
}
