import type { IBinaryData, IDataObject, INodeProperties } from 'n8n-workflow';
import { extensionOf, mimeTypeOfExtension, sniffExtension } from '../../../shared/binary';
import { defaultRobotCodeOf } from '../../../shared/app';
import { DOWNLOAD_CODE, idProperty, ROBOT_CODE } from '../../../shared/descriptions';
import { readId, type DingTalkResource } from '../../../shared/operation';
import type { DingTalkTransport, TransportContext } from '../../../shared/transport';
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
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the file in',
		displayOptions: { show: { ...showForDownload, downloadContent: [true] } },
	},
];

/** The name a robot file gets: the message's own name when known, else DingTalk's with the real extension. */
export function restoreFileName(requestedName: string, downloadUrl: string, bytes: Buffer): string {
	const sniffed = sniffExtension(bytes);
	const name = requestedName.trim();
	if (name !== '') return extensionOf(name) ? name : `${name}.${sniffed ?? 'bin'}`;
	let served = 'file';
	try {
		served = decodeURIComponent(new URL(downloadUrl).pathname.split('/').pop() || 'file');
	} catch {
		// An unparsable URL keeps the generic name.
	}
	const base = served.replace(/\.file$/i, '') || 'file';
	return `${base}.${sniffed ?? 'bin'}`;
}

/**
 * Fetches a robot file's signed URL and makes it n8n binary data: named after `requestedName` (or DingTalk's
 * name with the real extension) and typed by that name. Robot File > Download and the robot triggers share it.
 */
export async function robotFileAsBinary(
	ctx: TransportContext,
	transport: DingTalkTransport,
	downloadUrl: string,
	requestedName: string,
	itemIndex: number,
): Promise<{ json: IDataObject; binary: IBinaryData }> {
	const bytes = await transport.fetchSignedFile(downloadUrl, itemIndex);
	const fileName = restoreFileName(requestedName, downloadUrl, bytes);
	const mimeType = mimeTypeOfExtension(extensionOf(fileName)) ?? 'application/octet-stream';
	const binary = await ctx.helpers.prepareBinaryData(bytes, fileName, mimeType);
	return {
		json: { fileName, fileExtension: extensionOf(fileName), mimeType, fileSize: bytes.length },
		binary,
	};
}

/** Downloads the file of a robot message (its download code) as Robot File > Download does, through the transport. */
export async function downloadRobotFile(
	ctx: TransportContext,
	transport: DingTalkTransport,
	file: { downloadCode: string; robotCode: string; fileName: string },
	itemIndex: number,
): Promise<{ json: IDataObject; binary: IBinaryData }> {
	const answer = await transport.call(
		{
			...robotFile.operations.download.call,
			json: { downloadCode: file.downloadCode, robotCode: file.robotCode },
		},
		itemIndex,
	);
	return await robotFileAsBinary(
		ctx,
		transport,
		String(answer.downloadUrl ?? ''),
		file.fileName,
		itemIndex,
	);
}

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
			call: { family: 'new', method: 'POST', path: PATHS.robotFileDownload, sendsMessage: false },
			preSend: async ({ ctx, itemIndex, transport }, call) => ({
				...call,
				json: {
					downloadCode: readId(ctx, itemIndex, DOWNLOAD_CODE),
					robotCode: readId(ctx, itemIndex, ROBOT_CODE, defaultRobotCodeOf(transport.credentials)),
				},
			}),
			postReceive: async ({ ctx, itemIndex, transport }, answer) => {
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
				);
				const property =
					String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim() || 'data';
				return {
					json: file.json,
					binary: { [property]: file.binary },
					pairedItem: { item: itemIndex },
				};
			},
			concurrency: 4,
		},
	},
};
