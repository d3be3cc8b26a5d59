import type { IDataObject } from 'n8n-workflow';
import {
	idProperty,
	OPEN_CONVERSATION_ID,
	OPERATOR_UNION_ID,
	UNION_ID_HINT,
} from '../../../shared/descriptions';
import type { DingTalkResource } from '../../../shared/operation';
import { PATHS } from '../../../shared/wire';

const showForGet = { resource: ['groupSpace'], operation: ['get'] };

export const groupSpace: DingTalkResource = {
	option: { name: 'Group Space', value: 'groupSpace' },
	defaultOperation: 'get',
	operations: {
		get: {
			option: {
				name: 'Get',
				action: 'Get the storage space of a group',
				description:
					'Look up the storage space of a group chat: its space ID is what the file operations need',
			},
			call: { family: 'new', method: 'POST', path: PATHS.groupSpaceQuery, repeatable: true },
			query: { unionId: OPERATOR_UNION_ID },
			body: { openConversationId: OPEN_CONVERSATION_ID },
			postReceive: (item, answer) => ({
				json: (answer.space ?? {}) as IDataObject,
				pairedItem: { item: item.itemIndex },
			}),
			// Enough in flight to reach the rate limit over a slow link (20 calls per second at 150 ms).
			concurrency: 20,
		},
	},
	fields: [
		idProperty(
			OPEN_CONVERSATION_ID,
			showForGet,
			'The openConversationId of the group chat (starts with "cid")',
			'cidXXXXXXXXXXXXXXXXXXXX==',
		),
		idProperty(
			OPERATOR_UNION_ID,
			showForGet,
			`A member of the group on whose behalf the space is read. ${UNION_ID_HINT}.`,
		),
	],
};
