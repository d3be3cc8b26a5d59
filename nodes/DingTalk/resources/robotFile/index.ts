import { type IBinaryData, type IDataObject, type INodeProperties } from 'n8n-workflow';
import {
	binarySizeOf,
	extensionOf,
	mimeTypeOfExtension,
	sniffExtension,
} from '../../../shared/binary';
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
import type { DingTalkTransport, ExecutionContext } from '../../../shared/transport';
import { PATHS } from '../../../shared/wire';

const showForDownload = { resource: ['robotFile'], operation: ['download'] };
const MIB = 1024 * 1024;

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

/** The last part of a name a sender chose: never a path (n8n would keep it as the binary's directory). */
function baseNameOf(name: string): string {
	return name.split(/[\\/]/).pop()?.trim() ?? '';
}

/** The name a robot file gets: the message's own name when known, else DingTalk's with the real extension. */
export function restoreFileName(requestedName: string, downloadUrl: string, head: Buffer): string {
	const sniffed = sniffExtension(head);
	const name = baseNameOf(requestedName);
	if (name !== '') return extensionOf(name) ? name : `${name}.${sniffed ?? 'bin'}`;
	let served = 'file';
	try {
		served = baseNameOf(decodeURIComponent(new URL(downloadUrl).pathname)) || 'file';
	} catch {
		// An unparsable URL keeps the generic name.
	}
	const base = served.replace(/\.file$/i, '') || 'file';
	return `${base}.${sniffed ?? 'bin'}`;
}

/**
 * Fetches a robot file's signed URL into n8n's binary store, named after `requestedName` (or DingTalk's
 * name with the real extension) and typed by that name. The stream goes to n8n's binary helpers as it
 * comes, so the node holds no copy of its own. Robot File > Download and the robot triggers share it.
 */
export async function robotFileAsBinary(
	ctx: ExecutionContext,
	transport: DingTalkTransport,
	downloadUrl: string,
	requestedName: string,
	itemIndex: number,
	maxBytes: number,
): Promise<{ json: IDataObject; binary: IBinaryData }> {
	return await transport.downloadSignedFile(downloadUrl, itemIndex, maxBytes, async (download) => {
		const fileName = restoreFileName(requestedName, downloadUrl, download.head);
		const mimeType = mimeTypeOfExtension(extensionOf(fileName)) ?? 'application/octet-stream';
		const binary = await ctx.helpers.prepareBinaryData(
			download.stream as never,
			fileName,
			mimeType,
		);
		const fileSize = download.size ?? (await binarySizeOf(ctx, binary));
		return {
			json: { fileName, fileExtension: extensionOf(fileName), mimeType, fileSize },
			binary,
		};
	});
}

/** Downloads the file of a robot message (its download code) as Robot File > Download does, through the transport. */
export async function downloadRobotFile(
	ctx: ExecutionContext,
	transport: DingTalkTransport,
	file: { downloadCode: string; robotCode: string; fileName: string },
	itemIndex: number,
	maxBytes = DEFAULT_MAX_DOWNLOAD_MB * MIB,
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
		maxBytes,
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
