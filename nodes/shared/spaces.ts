import type { DingTalkTransport } from './transport';
import { PATHS } from './wire';

// Storage spaces, as File > Upload and the editor's pickers find them.

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
