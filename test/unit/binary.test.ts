import Busboy from 'busboy';
import {
	buildMultipart,
	extensionOf,
	extensionOfMimeType,
	mimeTypeOfExtension,
	sniffExtension,
} from '../../nodes/shared/binary';

const bytesOf = (...parts: Array<string | number[]>) =>
	Buffer.concat(
		parts.map((part) =>
			typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part),
		),
	);

describe('sniffExtension', () => {
	it.each([
		['pdf', bytesOf('%PDF-1.7\n...')],
		['png', bytesOf([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])],
		['jpg', bytesOf([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])],
		['gif', bytesOf('GIF89a....')],
		['amr', bytesOf('#!AMR\n\x3c')],
		['wav', bytesOf('RIFF\x24\x00\x00\x00WAVEfmt ')],
		['mp3', bytesOf('ID3\x03\x00')],
		['mp4', bytesOf([0, 0, 0, 0x18], 'ftypmp42')],
		['rar', bytesOf('Rar!\x1a\x07')],
		['docx', bytesOf([0x50, 0x4b, 0x03, 0x04], '....[Content_Types].xml....word/document.xml')],
		['xlsx', bytesOf([0x50, 0x4b, 0x03, 0x04], '....xl/workbook.xml')],
		['zip', bytesOf([0x50, 0x4b, 0x03, 0x04], '....photos/a.jpg')],
	])('recognises %s', (extension, bytes) => {
		expect(sniffExtension(bytes)).toBe(extension);
	});

	it('says nothing about unknown content', () => {
		expect(sniffExtension(Buffer.from('just some text'))).toBeUndefined();
	});
});

describe('extensions and MIME types', () => {
	it('reads an extension case-insensitively', () => {
		expect(extensionOf('Q3 Report.PDF')).toBe('pdf');
		expect(extensionOf('no-extension')).toBeUndefined();
	});
	it('maps both ways', () => {
		expect(mimeTypeOfExtension('docx')).toBe(
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
		);
		expect(extensionOfMimeType('audio/mpeg')).toBe('mp3');
		expect(extensionOfMimeType('image/jpeg; charset=binary')).toBe('jpg');
	});
});

describe('buildMultipart', () => {
	it('builds a body a standard multipart parser reads back exactly, with a fresh boundary each time', async () => {
		const bytes = Buffer.from([0, 1, 2, 255, 13, 10, 45, 45, 3]);
		const file = (fileName: string) => ({
			fieldName: 'media',
			fileName,
			contentType: 'application/pdf',
			size: bytes.length,
			fill: async (target: Buffer, offset: number) => {
				bytes.copy(target, offset);
			},
		});
		const first = await buildMultipart({ type: 'file' }, file('季度 report.pdf'));
		const second = await buildMultipart({ type: 'file' }, file('x.pdf'));
		expect(first.contentType).not.toBe(second.contentType);

		const parsed = await new Promise<{
			fields: Record<string, string>;
			file: { name: string; filename: string; mimeType: string; data: Buffer };
		}>((resolve, reject) => {
			const fields: Record<string, string> = {};
			let file: { name: string; filename: string; mimeType: string; data: Buffer } | undefined;
			const parser = Busboy({
				headers: { 'content-type': first.contentType },
				defParamCharset: 'utf8',
			});
			parser.on('field', (name, value) => (fields[name] = value));
			parser.on('file', (name, stream, info) => {
				const chunks: Buffer[] = [];
				stream.on('data', (chunk: Buffer) => chunks.push(chunk));
				stream.on(
					'end',
					() =>
						(file = {
							name,
							filename: info.filename ?? '',
							mimeType: info.mimeType,
							data: Buffer.concat(chunks),
						}),
				);
			});
			parser.on('close', () =>
				file ? resolve({ fields, file }) : reject(new Error('no file part')),
			);
			parser.on('error', reject);
			parser.end(first.body);
		});
		expect(parsed.fields).toEqual({ type: 'file' });
		expect(parsed.file.name).toBe('media');
		expect(parsed.file.filename).toBe('季度 report.pdf');
		expect(parsed.file.mimeType).toBe('application/pdf');
		expect(parsed.file.data.equals(bytes)).toBe(true);
	});
});
