import type { IExecuteFunctions } from 'n8n-workflow';
import { restoreFileName } from '../../nodes/shared/robotFile';
import { resolveMediaType } from '../../nodes/DingTalk/resources/media';
import { mapItems, readId } from '../../nodes/shared/operation';
import { OPEN_CONVERSATION_ID, SPACE_ID } from '../../nodes/shared/descriptions';

const MiB = 1024 * 1024;

describe('resolveMediaType', () => {
	it.each([
		['photo.PNG', 'image'],
		['clip.amr', 'voice'],
		['movie.mp4', 'video'],
		['report.docx', 'file'],
		['archive.rar', 'file'],
	])('detects %s as %s', (fileName, type) => {
		expect(resolveMediaType('auto', fileName, undefined, 100)).toEqual({ type });
	});

	it('refuses a format DingTalk does not take, naming the field and the accepted formats', () => {
		const result = resolveMediaType('auto', 'notes.txt', 'text/plain', 10);
		expect(result).toMatchObject({ field: 'Media Type' });
		expect('reason' in result && result.reason).toContain('image: jpg, jpeg, gif, png, bmp');
	});

	it('refuses a file that does not suit the chosen type', () => {
		const result = resolveMediaType('voice', 'movie.mp4', 'video/mp4', 10);
		expect('reason' in result && result.reason).toBe(
			'DingTalk accepts only amr, mp3, wav as voice, and "movie.mp4" is a .mp4 file',
		);
	});

	it('allows exactly the limit and refuses one byte more, saying which limit', () => {
		expect(resolveMediaType('voice', 'a.mp3', undefined, 2 * MiB)).toEqual({ type: 'voice' });
		const over = resolveMediaType('voice', 'a.mp3', undefined, 2 * MiB + 1);
		expect(over).toMatchObject({ field: 'Input Binary Field' });
		expect('reason' in over && over.reason).toContain('up to 2 MB (2 × 1,048,576 bytes)');
		expect(resolveMediaType('file', 'big.pdf', undefined, 20 * MiB + 1)).toMatchObject({
			field: 'Input Binary Field',
		});
	});

	it('refuses an empty file', () => {
		expect(resolveMediaType('auto', 'a.pdf', undefined, 0)).toMatchObject({
			field: 'Input Binary Field',
		});
	});
});

describe('restoreFileName', () => {
	const pdf = Buffer.from('%PDF-1.4 body');
	const url = 'http://files.example/iAEIAqRwZGYDBgTSAAk.file?Expires=1&Signature=abc';

	it("keeps the message's own file name", () => {
		expect(restoreFileName('Q3 report.pdf', url, pdf)).toBe('Q3 report.pdf');
	});
	it('adds the real extension to a name without one', () => {
		expect(restoreFileName('Q3 report', url, pdf)).toBe('Q3 report.pdf');
	});
	it("replaces DingTalk's .file with the real extension, and never keeps the URL's query", () => {
		expect(restoreFileName('', url, pdf)).toBe('iAEIAqRwZGYDBgTSAAk.pdf');
	});
	it("keeps only the last part of a sender's name with slashes or backslashes: never a directory", () => {
		expect(restoreFileName('../../etc/report.pdf', url, pdf)).toBe('report.pdf');
		expect(restoreFileName('C:\\Users\\me\\notes', url, pdf)).toBe('notes.pdf');
	});
	it('falls back to .bin for unknown content', () => {
		expect(restoreFileName('', url, Buffer.from('???'))).toBe('iAEIAqRwZGYDBgTSAAk.bin');
	});
});

function contextWith(parameters: Record<string, unknown>): IExecuteFunctions {
	return {
		getNodeParameter: (name: string, _index: number, fallback?: unknown) =>
			name in parameters ? parameters[name] : fallback,
		getNode: () => ({
			name: 'DingTalk',
			type: 'n8n-nodes-dingtalk-files.dingTalk',
			typeVersion: 1,
			parameters: {},
			id: '1',
			position: [0, 0],
		}),
	} as unknown as IExecuteFunctions;
}

describe('readId', () => {
	it('trims and returns a good ID', () => {
		expect(readId(contextWith({ spaceId: ' 8000001 ' }), 0, SPACE_ID)).toBe('8000001');
	});
	it.each([
		[{ spaceId: '' }, SPACE_ID, 'Space ID: is empty'],
		[{ spaceId: '   ' }, SPACE_ID, 'Space ID: is empty'],
		[{ spaceId: '80 01' }, SPACE_ID, 'Space ID: "80 01" contains spaces or line breaks'],
		[
			{ openConversationId: 'abc==' },
			OPEN_CONVERSATION_ID,
			'Open Conversation ID: "abc==" does not look like one: it should start with "cid"',
		],
	])('refuses %j with a message naming the field', (parameters, field, message) => {
		expect(() => readId(contextWith(parameters), 2, field)).toThrow(message);
	});
	it('uses the fallback for an empty value', () => {
		expect(
			readId(
				contextWith({ robotCode: '' }),
				0,
				{ parameter: 'robotCode', label: 'Robot Code' },
				'dingapp',
			),
		).toBe('dingapp');
	});
});

describe('mapItems', () => {
	it('keeps item order and never runs more than the limit at once', async () => {
		let running = 0;
		let peak = 0;
		const results = await mapItems(10, 3, async (index) => {
			running++;
			peak = Math.max(peak, running);
			await new Promise<void>((resolve) => queueMicrotask(resolve));
			await Promise.resolve();
			running--;
			return index * 2;
		});
		expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
		expect(peak).toBe(3);
	});
	it('starts no new item after one fails', async () => {
		const started: number[] = [];
		await expect(
			mapItems(5, 1, async (index) => {
				started.push(index);
				if (index === 1) throw new Error('boom');
				return index;
			}),
		).rejects.toThrow('boom');
		expect(started).toEqual([0, 1]);
	});
});
