import { randomBytes } from 'crypto';
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

/** File extensions and MIME types of the formats DingTalk's media and robot files come in. */
const MIME_BY_EXTENSION: Record<string, string> = {
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	png: 'image/png',
	gif: 'image/gif',
	bmp: 'image/bmp',
	webp: 'image/webp',
	amr: 'audio/amr',
	mp3: 'audio/mpeg',
	wav: 'audio/wav',
	mp4: 'video/mp4',
	mov: 'video/quicktime',
	pdf: 'application/pdf',
	doc: 'application/msword',
	docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	xls: 'application/vnd.ms-excel',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	ppt: 'application/vnd.ms-powerpoint',
	pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
	zip: 'application/zip',
	rar: 'application/vnd.rar',
	txt: 'text/plain',
	csv: 'text/csv',
	json: 'application/json',
};

const EXTENSION_BY_MIME: Record<string, string> = Object.entries(MIME_BY_EXTENSION).reduce<
	Record<string, string>
>(
	(result, [extension, mime]) => {
		if (!(mime in result)) result[mime] = extension;
		return result;
	},
	{
		'audio/mp3': 'mp3',
		'audio/x-wav': 'wav',
		'audio/wave': 'wav',
		'image/jpg': 'jpg',
		'application/x-rar-compressed': 'rar',
	},
);

export function extensionOf(fileName: string | undefined): string | undefined {
	const match = /\.([A-Za-z0-9]{1,8})$/.exec(fileName ?? '');
	return match ? match[1].toLowerCase() : undefined;
}

export function mimeTypeOfExtension(extension: string | undefined): string | undefined {
	return extension ? MIME_BY_EXTENSION[extension.toLowerCase()] : undefined;
}

export function extensionOfMimeType(mimeType: string | undefined): string | undefined {
	return mimeType ? EXTENSION_BY_MIME[mimeType.split(';')[0].trim().toLowerCase()] : undefined;
}

function startsWith(bytes: Buffer, signature: number[] | string, offset = 0): boolean {
	const expected =
		typeof signature === 'string' ? Buffer.from(signature, 'latin1') : Buffer.from(signature);
	return (
		bytes.length >= offset + expected.length &&
		bytes.subarray(offset, offset + expected.length).equals(expected)
	);
}

/** The real extension of a file from its first bytes (DingTalk serves robot files as `*.file`). */
export function sniffExtension(bytes: Buffer): string | undefined {
	if (startsWith(bytes, '%PDF-')) return 'pdf';
	if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
	if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpg';
	if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'gif';
	if (startsWith(bytes, 'BM') && bytes.length > 14) return 'bmp';
	if (startsWith(bytes, '#!AMR')) return 'amr';
	if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WAVE', 8)) return 'wav';
	if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'webp';
	if (
		startsWith(bytes, 'ID3') ||
		startsWith(bytes, [0xff, 0xfb]) ||
		startsWith(bytes, [0xff, 0xf3])
	)
		return 'mp3';
	if (startsWith(bytes, 'ftyp', 4)) return startsWith(bytes, 'qt', 8) ? 'mov' : 'mp4';
	if (startsWith(bytes, 'Rar!')) return 'rar';
	if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
		// Office files are zip archives; their first entries name the kind.
		const head = bytes.subarray(0, Math.min(bytes.length, 4096)).toString('latin1');
		if (head.includes('word/')) return 'docx';
		if (head.includes('xl/')) return 'xlsx';
		if (head.includes('ppt/')) return 'pptx';
		return 'zip';
	}
	return undefined;
}

/** Writes a file's bytes into `target` at `offset`; `size` bytes exactly. */
export type FillBytes = (target: Buffer, offset: number) => Promise<void>;

/**
 * A multipart/form-data body in one buffer, allocated once at its final size: the file's bytes are
 * written straight into it, so the body is the only full copy the node holds. A Buffer can be sent
 * again as it is when a call must be repeated (after a rejected token).
 */
export async function buildMultipart(
	fields: Record<string, string>,
	file: { fieldName: string; fileName: string; contentType: string; size: number; fill: FillBytes },
): Promise<{ body: Buffer; contentType: string }> {
	const boundary = `----n8nDingTalk${randomBytes(12).toString('hex')}`;
	const quoted = (value: string) => value.replace(/["\r\n\\]/g, (char) => encodeURIComponent(char));
	let head = '';
	for (const [name, value] of Object.entries(fields)) {
		head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`;
	}
	head +=
		`--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.fieldName)}"; filename="${quoted(file.fileName)}"\r\n` +
		`Content-Type: ${file.contentType}\r\n\r\n`;
	const headBytes = Buffer.from(head);
	const tailBytes = Buffer.from(`\r\n--${boundary}--\r\n`);
	const body = Buffer.allocUnsafe(headBytes.length + file.size + tailBytes.length);
	headBytes.copy(body, 0);
	await file.fill(body, headBytes.length);
	tailBytes.copy(body, headBytes.length + file.size);
	return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A binary field's size in bytes, from its metadata: nothing of the file is read. */
export async function binarySizeOf(
	ctx: { helpers: Pick<IExecuteFunctions['helpers'], 'getBinaryMetadata'> },
	binary: IBinaryData,
): Promise<number> {
	if (binary.id) return (await ctx.helpers.getBinaryMetadata(binary.id)).fileSize;
	return Buffer.byteLength(binary.data, 'base64');
}

/**
 * Writes a binary field's bytes into a target buffer as they are read (from n8n's binary store, or
 * decoded from the item's base64), holding no copy of its own.
 */
export function fillFromBinary(
	ctx: IExecuteFunctions,
	binary: IBinaryData,
	size: number,
): FillBytes {
	return async (target, offset) => {
		let written = 0;
		if (binary.id) {
			for await (const chunk of await ctx.helpers.getBinaryStream(binary.id)) {
				const bytes = chunk as Buffer;
				if (written + bytes.length > size) break;
				written += bytes.copy(target, offset + written);
			}
		} else {
			written = target.write(binary.data, offset, size, 'base64');
		}
		if (written !== size) {
			throw new Error(
				`the file's stored size is ${size} bytes, but ${written} bytes could be read`,
			);
		}
	};
}

/**
 * A binary field's size and a way to read its bytes without a second copy in memory: a file n8n keeps on
 * disk is streamed from there (a fresh stream per call), binary data n8n keeps in memory is read once.
 */
export async function binarySourceOf(
	ctx: IExecuteFunctions,
	itemIndex: number,
	property: string,
	binary: IBinaryData,
): Promise<{ size: number; open: () => Promise<Buffer | NodeJS.ReadableStream> }> {
	const id = binary.id;
	if (id) {
		const { fileSize } = await ctx.helpers.getBinaryMetadata(id);
		return { size: Number(fileSize), open: async () => await ctx.helpers.getBinaryStream(id) };
	}
	const bytes = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
	return { size: bytes.length, open: async () => bytes };
}
