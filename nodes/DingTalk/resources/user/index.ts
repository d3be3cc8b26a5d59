import type { IDataObject } from 'n8n-workflow';
import {
	readId,
	readLimit,
	refuseInput,
	type DingTalkOperation,
	type DingTalkResource,
	type IdField,
} from '../../../shared/operation';
import { idProperty, returnAllProperties } from '../../../shared/descriptions';
import { mapWithLimit } from '../../../shared/limit';
import {
	nextUserSearchCall,
	staffIdOf,
	staffIdsOf,
	userByStaffId,
	userSearchCall,
} from '../../../shared/users';
import { USER_PATHS, USER_SEARCH_PAGE_MAX } from '../../../shared/wire';

const show = (operations: string[], extra: IDataObject = {}) => ({
	resource: ['user'],
	operation: operations,
	...extra,
});
const STAFF_ID: IdField = { parameter: 'staffId', label: 'Staff ID', picker: 'userByStaffId' };
const UNION_ID: IdField = { parameter: 'unionId', label: 'Union ID', picker: 'userByUnionId' };
const MOBILE: IdField = { parameter: 'mobile', label: 'Mobile' };
// Details of the people a search found, looked up side by side (the rate limit still applies).
const DETAILS_AT_ONCE = 10;

const get: DingTalkOperation = {
	option: {
		name: 'Get',
		action: 'Get a user',
		description:
			"Get a person's name, staff ID, union ID, title and departments, by staff ID, union ID or mobile number",
	},
	call: { family: 'legacy', method: 'POST', path: USER_PATHS.get, repeatable: true },
	preSend: async ({ ctx, itemIndex, transport }, call) => {
		const by = String(ctx.getNodeParameter('by', itemIndex, 'staffId'));
		let staffId: string;
		if (by === 'staffId') staffId = readId(ctx, itemIndex, STAFF_ID);
		else if (by === 'unionId')
			staffId = await staffIdOf(
				transport,
				{ unionId: readId(ctx, itemIndex, UNION_ID) },
				itemIndex,
			);
		else if (by === 'mobile') {
			if (transport.credentials.appType === 'thirdParty') {
				throw refuseInput(
					ctx,
					itemIndex,
					'Credential',
					"DingTalk finds people by mobile number for internal apps only, and this credential is a third-party app's. Look the person up by staff ID or union ID",
				);
			}
			staffId = await staffIdOf(transport, { mobile: readId(ctx, itemIndex, MOBILE) }, itemIndex);
		} else throw refuseInput(ctx, itemIndex, 'Find By', `"${by}" is not a choice`);
		return { ...call, json: { userid: staffId, language: 'en_US' } };
	},
	postReceive: ({ itemIndex }, answer) => ({
		json: (answer.result ?? {}) as IDataObject,
		pairedItem: { item: itemIndex },
	}),
	concurrency: 10,
};

const search: DingTalkOperation = {
	option: {
		name: 'Search',
		action: 'Search the directory by name',
		description: "Find people of the organisation by name, with each one's details",
	},
	call: { family: 'new', method: 'POST', path: USER_PATHS.search, repeatable: true },
	preSend: async (item) => {
		const { ctx, itemIndex } = item;
		const name = String(ctx.getNodeParameter('query', itemIndex, '')).trim();
		if (name === '') throw refuseInput(ctx, itemIndex, 'Name', 'is empty');
		return userSearchCall({
			name,
			exact: ctx.getNodeParameter('exactMatch', itemIndex, false) === true,
			offset: 0,
			size: readLimit(item) ?? USER_SEARCH_PAGE_MAX,
		});
	},
	// DingTalk's search gives staff IDs only: each is looked up for the details people need.
	postReceive: async ({ transport, itemIndex }, answer) => {
		const people = await mapWithLimit(
			staffIdsOf(answer),
			DETAILS_AT_ONCE,
			async (staffId) => await userByStaffId(transport, staffId, itemIndex),
		);
		return people.map((json) => ({ json, pairedItem: { item: itemIndex } }));
	},
	nextPage: nextUserSearchCall,
	concurrency: 2,
};

export const user: DingTalkResource = {
	option: { name: 'User', value: 'user' },
	defaultOperation: 'get',
	operations: { get, search },
	fields: [
		{
			displayName: 'Find By',
			name: 'by',
			type: 'options',
			options: [
				{ name: 'Staff ID', value: 'staffId', description: 'The userId, as in robot messages' },
				{ name: 'Union ID', value: 'unionId', description: 'As the file operations take it' },
				{
					name: 'Mobile Number',
					value: 'mobile',
					description: 'Internal apps only; people who left are not found',
				},
			],
			default: 'staffId',
			displayOptions: { show: show(['get']) },
		},
		idProperty(
			STAFF_ID,
			show(['get'], { by: ['staffId'] }),
			"The person's staff ID (userId), for example a robot message's sender.staffId",
			'e.g. manager4220',
		),
		idProperty(
			UNION_ID,
			show(['get'], { by: ['unionId'] }),
			"The person's union ID, for example a robot trigger's sender.unionId",
		),
		{
			displayName: MOBILE.label,
			name: MOBILE.parameter,
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. 13800000000',
			description: 'The mobile number the person uses in DingTalk',
			displayOptions: { show: show(['get'], { by: ['mobile'] }) },
		},
		{
			displayName: 'Name',
			name: 'query',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. Zhang',
			description: 'Part of the name, its pinyin or the English name',
			displayOptions: { show: show(['search']) },
		},
		{
			displayName: 'Exact Match',
			name: 'exactMatch',
			type: 'boolean',
			default: false,
			description: 'Whether to find only people whose whole name is the one given',
			displayOptions: { show: show(['search']) },
		},
		...returnAllProperties(show(['search'])),
	],
};
