import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';
import type { IdField } from './operation';

/** The IDs the operations take, each with the label its validation messages use. */
export const OPEN_CONVERSATION_ID: IdField = {
	parameter: 'openConversationId',
	label: 'Open Conversation ID',
	prefix: 'cid',
};
export const OPERATOR_UNION_ID: IdField = {
	parameter: 'operatorUnionId',
	label: 'Operator Union ID',
};
export const RECEIVER_UNION_ID: IdField = {
	parameter: 'receiverUnionId',
	label: 'Receiver Union ID',
};
export const SPACE_ID: IdField = { parameter: 'spaceId', label: 'Space ID' };
export const FILE_ID: IdField = { parameter: 'fileId', label: 'File ID' };
export const DOWNLOAD_CODE: IdField = { parameter: 'downloadCode', label: 'Download Code' };
export const ROBOT_CODE: IdField = { parameter: 'robotCode', label: 'Robot Code' };

/** A required string property for one of the IDs above. */
export function idProperty(
	field: IdField,
	show: IDisplayOptions['show'],
	description: string,
	placeholder?: string,
): INodeProperties {
	return {
		displayName: field.label,
		name: field.parameter,
		type: 'string',
		required: true,
		default: '',
		placeholder,
		description,
		displayOptions: { show },
	};
}

export const UNION_ID_HINT =
	"A user's unionId (not the userId): get it from Contacts > Query user details, or from a robot message's sender";

export function inputBinaryFieldProperty(
	show: IDisplayOptions['show'],
	description: string,
): INodeProperties {
	return {
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		required: true,
		default: 'data',
		hint: 'The name of the input binary field containing the file',
		description,
		displayOptions: { show },
	};
}
