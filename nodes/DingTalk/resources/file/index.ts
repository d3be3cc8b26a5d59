import type { IDataObject } from 'n8n-workflow';
import {
	FILE_ID,
	idProperty,
	OPEN_CONVERSATION_ID,
	OPERATOR_UNION_ID,
	RECEIVER_UNION_ID,
	SPACE_ID,
	UNION_ID_HINT,
} from '../../../shared/descriptions';
import type { DingTalkOperation, DingTalkResource } from '../../../shared/operation';
import { PATHS } from '../../../shared/wire';
import { storedFileFields, storedFileOperations } from './stored';
import { uploadFields, uploadOperation } from './upload';

const SENDS_IN_FLIGHT = 20;
const toGroup = ['sendLinkToGroup', 'sendToGroup'];
const all = ['sendToUser', ...toGroup];
const show = (operations: string[]) => ({ resource: ['file'], operation: operations });

const fileOutput: DingTalkOperation['postReceive'] = (item, answer) => ({
	json: (answer.file ?? {}) as IDataObject,
	pairedItem: { item: item.itemIndex },
});

// The link and the file itself take the same request and give the same answer.
function groupSend(path: string, option: DingTalkOperation['option']): DingTalkOperation {
	return {
		option,
		call: { family: 'new', method: 'POST', path, repeatable: false },
		query: { unionId: OPERATOR_UNION_ID },
		body: { spaceId: SPACE_ID, dentryId: FILE_ID, openConversationId: OPEN_CONVERSATION_ID },
		postReceive: fileOutput,
		concurrency: SENDS_IN_FLIGHT,
		destination: OPEN_CONVERSATION_ID,
	};
}

// Sends are never repeated when DingTalk may have carried them out. Sends to one chat go one after
// another in item order; sends to different chats are in flight together, up to the rate limit.
export const file: DingTalkResource = {
	option: { name: 'File', value: 'file' },
	defaultOperation: 'sendToUser',
	operations: {
		sendToUser: {
			option: {
				name: 'Send to User',
				action: 'Send a file to a user',
				description: "Send a file from DingTalk storage to a user's chat with the app",
			},
			call: { family: 'new', method: 'POST', path: PATHS.sendFileToUser, repeatable: false },
			query: { unionId: RECEIVER_UNION_ID },
			body: { spaceId: SPACE_ID, dentryId: FILE_ID },
			postReceive: fileOutput,
			concurrency: SENDS_IN_FLIGHT,
			destination: RECEIVER_UNION_ID,
		},
		sendLinkToGroup: groupSend(PATHS.sendFileLinkToGroup, {
			name: 'Send Link to Group',
			action: 'Send a link to a file to a group',
			description: 'Post a link to a file of DingTalk storage in a group chat (internal apps only)',
		}),
		sendToGroup: groupSend(PATHS.sendFileToGroup, {
			name: 'Send to Group',
			action: 'Send a file to a group',
			description: 'Post the file itself (a copy) from DingTalk storage in a group chat',
		}),
		upload: uploadOperation,
		...storedFileOperations,
	},
	fields: [
		idProperty(
			RECEIVER_UNION_ID,
			show(['sendToUser']),
			`The user who receives the file. ${UNION_ID_HINT}.`,
		),
		idProperty(
			OPEN_CONVERSATION_ID,
			show(toGroup),
			'The openConversationId of the group chat the file goes to (starts with "cid")',
			'cidXXXXXXXXXXXXXXXXXXXX==',
		),
		idProperty(
			OPERATOR_UNION_ID,
			show(toGroup),
			`A member of the group who may add files to it; the file is posted on their behalf. ${UNION_ID_HINT}.`,
		),
		idProperty(
			SPACE_ID,
			show(all),
			'The ID of the space the file is in, for example from Group Space > Get',
		),
		idProperty(
			FILE_ID,
			show(all),
			'The ID (dentryId) of the file in that space; folders cannot be sent',
		),
		...uploadFields,
		...storedFileFields,
	],
};
