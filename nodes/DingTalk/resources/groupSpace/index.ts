import type { IDataObject, INodeProperties } from 'n8n-workflow';
import {
	idProperty,
	OPEN_CONVERSATION_ID,
	OPERATOR_UNION_ID,
	UNION_ID_HINT,
} from '../../shared/descriptions';
import type { DingTalkOperation } from '../../shared/operation';
import { PATHS } from '../../shared/wire';

const showForGet = { resource: ['groupSpace'], operation: ['get'] };

export const groupSpaceDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['groupSpace'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				action: 'Get a group s storage space',
				description:
					'Look up the storage space of a group chat: its space ID is what the file operations need',
			},
		],
		default: 'get',
	},
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
];

export const groupSpaceOperations: Record<string, DingTalkOperation> = {
	get: {
		call: { family: 'new', method: 'POST', path: PATHS.groupSpaceQuery, sendsMessage: false },
		query: { unionId: OPERATOR_UNION_ID },
		body: { openConversationId: OPEN_CONVERSATION_ID },
		postReceive: (item, answer) => ({
			json: (answer.space ?? {}) as IDataObject,
			pairedItem: { item: item.itemIndex },
		}),
		concurrency: 4,
	},
};
