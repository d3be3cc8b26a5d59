import type { IDataObject } from 'n8n-workflow';
import {
	conflictProperty,
	idProperty,
	OPERATOR_UNION_ID,
	SPACE_ID,
	UNION_ID_HINT,
} from '../../../shared/descriptions';
import {
	readId,
	readConflict,
	refuseInput,
	type DingTalkResource,
	type IdField,
} from '../../../shared/operation';
import {
	CONFLICT_STRATEGIES,
	STORAGE_PATHS,
	STORAGE_ROOT_FOLDER_ID,
	storageNameProblem,
} from '../../../shared/wire';

const showForCreate = { resource: ['folder'], operation: ['create'] };
const PARENT_FOLDER_ID: IdField = {
	parameter: 'parentFolderId',
	label: 'Parent Folder ID',
	picker: 'folder',
};

export const folder: DingTalkResource = {
	option: { name: 'Folder', value: 'folder' },
	defaultOperation: 'create',
	operations: {
		create: {
			option: {
				name: 'Create',
				action: 'Create a folder',
				description: 'Create a folder in DingTalk storage',
			},
			// Two creates with "Rename" make two folders: not repeated when DingTalk may have done it.
			call: { family: 'new', method: 'POST', path: STORAGE_PATHS.createFolder, repeatable: false },
			query: { unionId: OPERATOR_UNION_ID },
			preSend: async ({ ctx, itemIndex }, call) => {
				const name = String(ctx.getNodeParameter('name', itemIndex, '')).trim();
				const problem = storageNameProblem(name);
				if (problem) throw refuseInput(ctx, itemIndex, 'Name', problem);
				return {
					...call,
					pathParams: {
						spaceId: readId(ctx, itemIndex, SPACE_ID),
						parentId: readId(ctx, itemIndex, PARENT_FOLDER_ID),
					},
					json: {
						name,
						option: {
							conflictStrategy:
								CONFLICT_STRATEGIES[
									readConflict(
										ctx,
										itemIndex,
										ctx.getNodeParameter('conflict', itemIndex, 'rename'),
										'folder',
									)
								],
						},
					},
				};
			},
			postReceive: (item, answer) => ({
				json: (answer.dentry ?? {}) as IDataObject,
				pairedItem: { item: item.itemIndex },
			}),
			concurrency: 5,
		},
	},
	fields: [
		idProperty(
			OPERATOR_UNION_ID,
			showForCreate,
			`The user on whose behalf the folder is created; they must be allowed to add to the space. ${UNION_ID_HINT}.`,
		),
		idProperty(
			SPACE_ID,
			showForCreate,
			'The ID of the storage space, for example from Group Space > Get',
		),
		idProperty(
			PARENT_FOLDER_ID,
			showForCreate,
			"The folder to create it in (its dentry ID); 0 is the space's top folder",
			undefined,
			STORAGE_ROOT_FOLDER_ID,
		),
		{
			displayName: 'Name',
			name: 'name',
			type: 'string',
			required: true,
			default: '',
			description:
				'The new folder\'s name. It may not end with a dot or contain tabs or * " &lt; &gt; |.',
			displayOptions: { show: showForCreate },
		},
		conflictProperty(showForCreate, 'folder'),
	],
};
