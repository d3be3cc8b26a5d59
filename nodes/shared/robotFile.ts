import type { IBinaryData, IDataObject } from 'n8n-workflow';
import { binarySizeOf, extensionOf, mimeTypeOfExtension, sniffExtension } from './binary';
import { DEFAULT_MAX_DOWNLOAD_MB } from './descriptions';
import type { DingTalkCall, DingTalkTransport, ExecutionContext } from './transport';
import { PATHS } from './wire';

/**
 * A file sent to the robot, fetched into n8n's binary store: Robot File > Download and both robot
 * triggers use it, so it lives here rather than in one node's folder.
 */

const MIB = 1024 * 1024;

/** The download-URL request of a robot file (its download code and robot code go in the body). */
export const ROBOT_FILE_DOWNLOAD_CALL: DingTalkCall = {
	family: 'new',
	method: 'POST',
	path: PATHS.robotFileDownload,
	repeatable: true,
};

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
			...ROBOT_FILE_DOWNLOAD_CALL,
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
