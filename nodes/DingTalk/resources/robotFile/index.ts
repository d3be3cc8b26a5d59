import { type INodeProperties } from 'n8n-workflow';
import { defaultRobotCodeOf } from '../../../shared/app';
import {
	DEFAULT_MAX_DOWNLOAD_MB,
	DOWNLOAD_CODE,
	idProperty,
	maxFileSizeProperty,
	outputBinaryFieldProperty,
	ROBOT_CODE,
} from '../../../shared/descriptions';
import {
	readId,
	readMaxBytes,
	readOutputField,
	type DingTalkResource,
} from '../../../shared/operation';
import { robotFileAsBinary } from '../../../shared/robotFile';
import { PATHS } from '../../../shared/wire';

const showForDownload = { resource: ['robotFile'], operation: ['download'] };

const robotFileFields: INodeProperties[] = [
	idProperty(
		DOWNLOAD_CODE,
		showForDownload,
		"The downloadCode of the robot message's content (content.downloadCode); it expires soon after the message",
	),
	{
		displayName: 'Robot Code',
		name: ROBOT_CODE.parameter,
		type: 'string',
		default: '',
		description:
			"The code of the robot that received the message. Empty: the credential's Robot Code, or its AppKey (an internal app's robot code).",
		displayOptions: { show: showForDownload },
	},
	{
		displayName: 'Download Content',
		name: 'downloadContent',
		type: 'boolean',
		default: true,
		description:
			'Whether to fetch the file and output it as binary data. Off: output only the temporary download URL.',
		displayOptions: { show: showForDownload },
	},
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		default: '',
		placeholder: 'e.g. {{ $json.content.fileName }}',
		description:
			"The file's real name, for example the message's content.fileName. DingTalk serves files as *.file; without a name the extension is restored from the content.",
		displayOptions: { show: { ...showForDownload, downloadContent: [true] } },
	},
	outputBinaryFieldProperty({ ...showForDownload, downloadContent: [true] }),
	maxFileSizeProperty({ ...showForDownload, downloadContent: [true] }),
];

export const robotFile: DingTalkResource = {
	option: { name: 'Robot File', value: 'robotFile' },
	defaultOperation: 'download',
	fields: robotFileFields,
	operations: {
		download: {
			option: {
				name: 'Download',
				action: 'Download a file sent to the robot',
				description: 'Download a file, picture, voice clip or video a user sent to the robot',
			},
			call: { family: 'new', method: 'POST', path: PATHS.robotFileDownload, repeatable: true },
			preSend: async ({ ctx, itemIndex, transport, state }, call) => {
				if (ctx.getNodeParameter('downloadContent', itemIndex, true)) {
					state.maxBytes = readMaxBytes(ctx, itemIndex, DEFAULT_MAX_DOWNLOAD_MB);
				}
				return {
					...call,
					json: {
						downloadCode: readId(ctx, itemIndex, DOWNLOAD_CODE),
						robotCode: readId(
							ctx,
							itemIndex,
							ROBOT_CODE,
							defaultRobotCodeOf(transport.credentials),
						),
					},
				};
			},
			postReceive: async ({ ctx, itemIndex, transport, state }, answer) => {
				const downloadUrl = String(answer.downloadUrl ?? '');
				if (!ctx.getNodeParameter('downloadContent', itemIndex, true)) {
					// Returning the temporary link is this setting's job; it is the only place it appears.
					return { json: { downloadUrl }, pairedItem: { item: itemIndex } };
				}
				const file = await robotFileAsBinary(
					ctx,
					transport,
					downloadUrl,
					String(ctx.getNodeParameter('fileName', itemIndex, '')),
					itemIndex,
					Number(state.maxBytes),
				);
				return {
					json: file.json,
					binary: { [readOutputField(ctx, itemIndex)]: file.binary },
					pairedItem: { item: itemIndex },
				};
			},
			concurrency: 4,
		},
	},
};
