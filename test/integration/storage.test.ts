/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports */
// File > List, Get, Download, Delete and Folder > Create in a real n8n-core execution context (n8n's own
// request and binary helpers) against the DingTalk sandbox's storage space 8000001 and its seeded tree.
// The end-to-end suite (test/e2e/storage.suite.js) repeats the main cases inside real n8n processes.
import { createHash } from 'crypto';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { runDingTalkNode, StoredCredential } from './n8n-context';

process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'dingtalk-integration-'));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSandbox, DEMO } = require('../sandbox/server');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sandboxCredential } = require('../e2e/workflows');

const SPACE: string = DEMO.tree.spaceId;
const ALICE: string = DEMO.users.alice;
const FOLDERS: Record<'reports' | 'reports2026' | 'photos' | 'archive', string> = DEMO.tree.folders;
const FILES: Record<string, string> = DEMO.tree.files;
const DENTRIES = `/v1.0/storage/spaces/${SPACE}/dentries`;
const PATH = {
	list: DENTRIES,
	listAll: `${DENTRIES}/listAll`,
	query: (id: string) => `${DENTRIES}/${id}/query`,
	downloadInfo: (id: string) => `${DENTRIES}/${id}/downloadInfos/query`,
	remove: (id: string) => `${DENTRIES}/${id}`,
	folders: (parentId: string) => `${DENTRIES}/${parentId}/folders`,
};
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const archiveId = (n: number) => `dentry-archive-${String(n).padStart(3, '0')}`;

interface Entry {
	host: string;
	method: string;
	path: string;
	query: Record<string, string>;
	status: number | null;
	code?: string;
	tokenHeader: boolean;
	hadQueryToken: boolean;
	tokenValid: boolean | null;
	body: IDataObject | null;
}
interface Dentry extends IDataObject {
	id: string;
	name: string;
	type: 'FILE' | 'FOLDER';
	parentId: string;
	size?: number;
	sha256: string | null;
}

let sandbox: {
	start(): Promise<Record<string, string>>;
	stop(): Promise<void>;
	requests: Entry[];
	recycleBin: Array<{ dentryId: string; removedIds: string[]; unionId: string }>;
	deletions: Array<{ dentryId: string; toRecycleBin: boolean; removedIds: string[] }>;
	storedFile(spaceId: string, dentryId: string): Dentry | null;
	failNext(match: { path: string; host?: string }, response: object, times?: number): void;
	setFileHost(mode: { chunked: boolean }): Promise<{ chunked: boolean }>;
	issuedTokens(): string[];
};
let credential: StoredCredential;
let urls: Record<string, string>;

beforeEach(async () => {
	sandbox = createSandbox();
	urls = await sandbox.start();
	credential = new StoredCredential({ ...sandboxCredential(urls).data, accessToken: '' });
});
afterEach(async () => await sandbox.stop());

/** The parameters of a File operation on the team space, on Alice's behalf. */
const fileOp = (operation: string, extra: IDataObject = {}): IDataObject => ({
	resource: 'file',
	operation,
	spaceId: SPACE,
	operatorUnionId: ALICE,
	...extra,
});
const listOf = (extra: IDataObject) =>
	fileOp('list', { scope: 'folder', folderId: '0', returnAll: false, limit: 50, ...extra });
const newFolder = (extra: IDataObject) => ({
	resource: 'folder',
	operation: 'create',
	spaceId: SPACE,
	operatorUnionId: ALICE,
	parentFolderId: '0',
	conflict: 'rename',
	...extra,
});

const run = async (
	parameters: IDataObject,
	options: { items?: INodeExecutionData[]; continueOnFail?: boolean } = {},
) => await runDingTalkNode({ credential, parameters, ...options });
/** The error an execution without Continue On Fail ends with. */
async function failureOf(parameters: IDataObject, items?: INodeExecutionData[]) {
	const error = await run(parameters, { items }).then(
		() => undefined,
		(thrown: Error & { description?: string }) => thrown,
	);
	if (!error) throw new Error('the node did not fail');
	return error;
}
const calls = (path: string, method?: string) =>
	sandbox.requests.filter(
		(entry) => entry.path === path && (method === undefined || entry.method === method),
	);
const binaryBytes = (item: INodeExecutionData, field = 'data') =>
	Buffer.from(String(item.binary?.[field]?.data ?? ''), 'base64');

describe('File > List', () => {
	it('Limit 3 on the top folder: three entries from one page call asking for 3, the newest first', async () => {
		const limited = await run(listOf({ limit: 3 }));
		expect(limited).toHaveLength(3);
		expect(calls(PATH.list)).toHaveLength(1);
		expect(calls(PATH.list)[0].query).toMatchObject({
			unionId: ALICE,
			parentId: '0',
			maxResults: '3',
			orderBy: 'MODIFIED_TIME',
			order: 'DESC',
		});
		expect(calls(PATH.list)[0].query.nextToken).toBeUndefined();
		// The same three as the head of the whole listing, in its order.
		const whole = await run(listOf({ returnAll: true }));
		expect(whole.length).toBeGreaterThan(3);
		expect(limited.map((item) => item.json.id)).toEqual(
			whole.slice(0, 3).map((item) => item.json.id),
		);
		const times = whole.map((item) => String(item.json.modifiedTime));
		expect(times).toEqual([...times].sort().reverse());
		for (const item of whole) expect(item.json).toMatchObject({ spaceId: SPACE, parentId: '0' });
	});

	it('a subfolder lists only its own entries, files and folders alike, with their fields', async () => {
		const output = await run(listOf({ folderId: FOLDERS.reports }));
		expect(output.map((item) => [item.json.name, item.json.type])).toEqual([
			['Annual summary.docx', 'FILE'],
			['2026', 'FOLDER'],
			['KPI (draft).csv', 'FILE'],
		]);
		expect(output[0].json).toMatchObject({
			id: FILES.annualDocx,
			parentId: FOLDERS.reports,
			size: 33_000,
			extension: 'docx',
			path: '/Reports/Annual summary.docx',
		});
		expect(output[1].json.size).toBeUndefined();
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }, { item: 0 }]);
		expect(calls(PATH.list)[0].query.parentId).toBe(FOLDERS.reports);
	});

	it('Return All over the Archive: all 120 files from 3 page calls chained by nextToken, none twice', async () => {
		const output = await run(listOf({ folderId: FOLDERS.archive, returnAll: true }));
		expect(output).toHaveLength(120);
		const ids = output.map((item) => item.json.id);
		expect(new Set(ids).size).toBe(120);
		// Modified time, newest first: log-001 is the newest of the Archive.
		expect(ids).toEqual(Array.from({ length: 120 }, (_, i) => archiveId(i + 1)));
		const pages = calls(PATH.list);
		expect(pages.map((entry) => entry.status)).toEqual([200, 200, 200]);
		expect(pages.map((entry) => entry.query.maxResults)).toEqual(['50', '50', '50']);
		expect(pages.map((entry) => entry.query.parentId)).toEqual(Array(3).fill(FOLDERS.archive));
		const tokens = pages.map((entry) => entry.query.nextToken);
		expect(tokens[0]).toBeUndefined();
		expect(tokens[1]).toEqual(expect.any(String));
		expect(tokens[2]).toEqual(expect.any(String));
		expect(tokens[1]).not.toBe(tokens[2]);
	});

	it('a Limit above one page: 70 entries from two page calls, the second one not cut down', async () => {
		const output = await run(listOf({ folderId: FOLDERS.archive, limit: 70 }));
		expect(output.map((item) => item.json.id)).toEqual(
			Array.from({ length: 70 }, (_, i) => archiveId(i + 1)),
		);
		expect(calls(PATH.list).map((entry) => entry.query.maxResults)).toEqual(['50', '50']);
	});

	it('Order By Name, Ascending: names in order, asked of DingTalk as NAME ASC', async () => {
		const output = await run(listOf({ returnAll: true, orderBy: 'name', order: 'ASC' }));
		const names = output.map((item) => String(item.json.name));
		expect(names.length).toBeGreaterThan(5);
		expect(names).toContain('季度报告 Q1.pdf');
		expect(names).toEqual([...names].sort());
		expect(calls(PATH.list)[0].query).toMatchObject({ orderBy: 'NAME', order: 'ASC' });

		const lastFive = await run(
			listOf({ folderId: FOLDERS.archive, limit: 5, orderBy: 'name', order: 'DESC' }),
		);
		expect(lastFive.map((item) => item.json.name)).toEqual([
			'log-120.txt',
			'log-119.txt',
			'log-118.txt',
			'log-117.txt',
			'log-116.txt',
		]);
	});

	it('Whole Space with Return All: every file and folder of the space, from listAll pages', async () => {
		const output = await run(listOf({ scope: 'space', returnAll: true, order: 'ASC' }));
		const ids = output.map((item) => String(item.json.id));
		// The first seed's three live entries, the tree's 4 folders and 14 files, and the Archive's 120.
		expect(ids).toHaveLength(3 + 4 + 14 + 120);
		expect(new Set(ids).size).toBe(ids.length);
		expect(ids).toEqual(
			expect.arrayContaining([
				...Object.values(FOLDERS),
				...Object.values(FILES),
				archiveId(1),
				archiveId(120),
				DEMO.dentries.reportPdf,
				DEMO.dentries.folder,
			]),
		);
		expect(ids).not.toContain(DEMO.dentries.deleted);
		const times = output.map((item) => String(item.json.modifiedTime));
		expect(times).toEqual([...times].sort());
		const pages = calls(PATH.listAll);
		expect(pages.map((entry) => [entry.method, entry.status])).toEqual(
			Array(3).fill(['POST', 200]),
		);
		expect(pages.map((entry) => entry.body)).toEqual([
			{ option: { maxResults: 50, order: 'ASC' } },
			{ option: { maxResults: 50, order: 'ASC', nextToken: expect.any(String) } },
			{ option: { maxResults: 50, order: 'ASC', nextToken: expect.any(String) } },
		]);
		expect(calls(PATH.list)).toHaveLength(0);
	});

	it('Whole Space with a Limit: that many entries, from one listAll call asking for that many', async () => {
		const output = await run(listOf({ scope: 'space', limit: 7 }));
		expect(output).toHaveLength(7);
		expect(calls(PATH.listAll).map((entry) => entry.body)).toEqual([
			{ option: { maxResults: 7, order: 'DESC' } },
		]);
	});

	it.each([0, -1, 2.5])('Limit %p is refused before anything is sent', async (limit) => {
		const error = await failureOf(listOf({ limit }));
		expect(error.message).toBe(`Limit: "${limit}" is not a whole number above 0`);
		expect(error.description).toContain('Nothing was sent to DingTalk');
		expect(sandbox.requests).toEqual([]);
	});

	it('several input items: each lists its own folder, and every entry is paired with its item', async () => {
		const output = await run(listOf({ folderId: '={{ $json.folder }}', limit: 2 }), {
			items: [
				{ json: { folder: FOLDERS.reports2026 } },
				{ json: { folder: FOLDERS.photos } },
				{ json: { folder: FOLDERS.reports } },
			],
		});
		expect(output.map((item) => [item.pairedItem, item.json.parentId])).toEqual([
			[{ item: 0 }, FOLDERS.reports2026],
			[{ item: 0 }, FOLDERS.reports2026],
			[{ item: 1 }, FOLDERS.photos],
			[{ item: 1 }, FOLDERS.photos],
			[{ item: 2 }, FOLDERS.reports],
			[{ item: 2 }, FOLDERS.reports],
		]);
		expect(output.slice(0, 2).map((item) => item.json.name)).toEqual([
			'Sales 2026-02.xlsx',
			'forecast.zip',
		]);
		expect(
			calls(PATH.list)
				.map((entry) => entry.query.parentId)
				.sort(),
		).toEqual([FOLDERS.reports2026, FOLDERS.photos, FOLDERS.reports].sort());
	});
});

describe('File > Get', () => {
	it("outputs the entry's fields: a file with its size, a folder without", async () => {
		const [file] = await run(fileOp('get', { fileId: FILES.chinesePdf }));
		expect(file.json).toMatchObject({
			id: FILES.chinesePdf,
			name: '季度报告 Q1.pdf',
			type: 'FILE',
			size: 52_000,
			extension: 'pdf',
			spaceId: SPACE,
			parentId: '0',
		});
		expect(file.pairedItem).toEqual({ item: 0 });
		expect(calls(PATH.query(FILES.chinesePdf))).toEqual([
			expect.objectContaining({ method: 'POST', status: 200, query: { unionId: ALICE } }),
		]);
		const [folder] = await run(fileOp('get', { fileId: FOLDERS.reports2026 }));
		expect(folder.json).toMatchObject({ name: '2026', type: 'FOLDER', path: '/Reports/2026' });
		expect(folder.json.size).toBeUndefined();
	});

	it("an unknown ID fails with DingTalk's code in the node's own words", async () => {
		const error = await failureOf(fileOp('get', { fileId: 'dentry-nope' }));
		expect(error.message).toContain('dentryNotExist');
		expect(`${error.message} ${error.description}`).not.toContain(urls.apiBaseUrl);
		expect(calls(PATH.query('dentry-nope')).map((entry) => entry.code)).toEqual(['dentryNotExist']);
	});

	it('Continue On Fail: the unknown ID becomes an error item paired with its input, the others go on', async () => {
		const output = await run(fileOp('get', { fileId: '={{ $json.id }}' }), {
			items: [{ json: { id: FILES.budgetXlsx } }, { json: { id: 'dentry-nope' } }],
			continueOnFail: true,
		});
		expect(output).toHaveLength(2);
		expect(output[0]).toMatchObject({
			json: { name: 'Budget 2026.xlsx' },
			pairedItem: { item: 0 },
		});
		expect(output[1].pairedItem).toEqual({ item: 1 });
		expect(output[1].json).toMatchObject({
			code: 'dentryNotExist',
			error: expect.stringContaining('dentryNotExist'),
		});
	});
});

describe('File > Download', () => {
	it('the exact bytes under the real (Chinese) name and type; the file host gets the signed headers and no token', async () => {
		const [item] = await run(fileOp('download', { fileId: FILES.chinesePdf }));
		const stored = sandbox.storedFile(SPACE, FILES.chinesePdf)!;
		const bytes = binaryBytes(item);
		expect(bytes.length).toBe(52_000);
		expect(sha256(bytes)).toBe(stored.sha256);
		expect(item.binary?.data).toMatchObject({
			fileName: '季度报告 Q1.pdf',
			mimeType: 'application/pdf',
			fileExtension: 'pdf',
		});
		expect(item.json).toMatchObject({
			id: FILES.chinesePdf,
			name: '季度报告 Q1.pdf',
			size: 52_000,
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(
			sandbox.requests.map(
				(entry) => `${entry.method} ${entry.host} ${entry.path} ${entry.status}`,
			),
		).toEqual([
			'POST api /v1.0/oauth2/accessToken 200',
			`POST api ${PATH.query(FILES.chinesePdf)} 200`,
			`POST api ${PATH.downloadInfo(FILES.chinesePdf)} 200`,
			expect.stringMatching(/^GET files \/sandbox-dingtalk-files\/8000001\/\S+ 200$/),
		]);
		expect(calls(PATH.downloadInfo(FILES.chinesePdf))[0].body).toEqual({
			option: { preferIntranet: false },
		});
		const [get] = sandbox.requests.filter((entry) => entry.host === 'files');
		expect(get).toMatchObject({
			tokenHeader: false,
			hadQueryToken: false,
			tokenValid: null,
			body: { signed: true },
		});
		// Neither the signed URL nor a token is in the output.
		const printed = JSON.stringify(item.json);
		expect(printed).not.toContain(urls.fileBaseUrl);
		for (const token of sandbox.issuedTokens()) expect(printed).not.toContain(token);
	});

	it('into a named binary field, several items each with its own file; an empty file is an empty binary', async () => {
		const output = await run(
			fileOp('download', { fileId: '={{ $json.id }}', binaryPropertyName: 'file' }),
			{
				items: [
					{ json: { id: FILES.notesTxt } },
					{ json: { id: FILES.offsite1Png } },
					{ json: { id: FILES.emptyTxt } },
				],
			},
		);
		expect(
			output.map((item) => [
				item.pairedItem,
				item.binary?.file?.fileName,
				item.binary?.file?.mimeType,
				sha256(binaryBytes(item, 'file')),
			]),
		).toEqual([
			[
				{ item: 0 },
				'meeting notes.txt',
				'text/plain',
				sandbox.storedFile(SPACE, FILES.notesTxt)!.sha256,
			],
			[{ item: 1 }, 'offsite 1.png', 'image/png', DEMO.files.photoPng.sha256],
			[{ item: 2 }, 'empty.txt', 'text/plain', sha256(Buffer.alloc(0))],
		]);
		expect(output.every((item) => item.binary?.data === undefined)).toBe(true);
		expect(binaryBytes(output[0], 'file').toString('utf8')).toContain(
			'Meeting notes (sandbox team)',
		);
	});

	it('a file larger than Max File Size is refused by its stored size, before any download info is asked for', async () => {
		// launch video.mp4 is 3 MiB + 17 bytes.
		const error = await failureOf(fileOp('download', { fileId: FILES.videoMp4, maxFileSizeMb: 3 }));
		expect(error.message).toBe(
			'Max File Size (MB): "launch video.mp4" is 3,145,745 bytes, more than the 3,145,728 bytes allowed',
		);
		expect(calls(PATH.query(FILES.videoMp4))).toHaveLength(1);
		expect(calls(PATH.downloadInfo(FILES.videoMp4))).toHaveLength(0);
		expect(sandbox.requests.filter((entry) => entry.host === 'files')).toHaveLength(0);
	});

	it('a file host without Content-Length: a file within the limit comes whole, one above it is refused by its stored size', async () => {
		await sandbox.setFileHost({ chunked: true });
		const [item] = await run(fileOp('download', { fileId: FILES.roadmapPptx }));
		expect(sha256(binaryBytes(item))).toBe(sandbox.storedFile(SPACE, FILES.roadmapPptx)!.sha256);
		sandbox.requests.length = 0;
		const error = await failureOf(
			fileOp('download', { fileId: FILES.roadmapPptx, maxFileSizeMb: 0.1 }),
		);
		expect(error.message).toContain('245,760 bytes, more than the 104,857 bytes allowed');
		expect(calls(PATH.downloadInfo(FILES.roadmapPptx))).toHaveLength(0);
	});

	it('a file host without Content-Length and a stored size that is too small: the download stops at the limit', async () => {
		await sandbox.setFileHost({ chunked: true });
		const real = sandbox.storedFile(SPACE, FILES.roadmapPptx)!;
		const [view] = await run(fileOp('get', { fileId: FILES.roadmapPptx }));
		// DingTalk's entry says 1,000 bytes (out of date); the host serves all 245,760 without a length.
		sandbox.failNext(
			{ path: PATH.query(FILES.roadmapPptx) },
			{ status: 200, body: { dentry: { ...view.json, size: 1000 } } },
		);
		sandbox.requests.length = 0;
		const [item] = await run(
			fileOp('download', { fileId: FILES.roadmapPptx, maxFileSizeMb: 0.1 }),
			{ continueOnFail: true },
		);
		expect(real.size).toBe(245_760);
		expect(item.binary).toBeUndefined();
		expect(item.json.error).toBe(
			'The file is larger than the 104,857 bytes allowed by "Max File Size"',
		);
		expect(String(item.json.description)).toContain('stopped at the limit');
		const [get] = sandbox.requests.filter((entry) => entry.host === 'files');
		expect(get).toMatchObject({ status: 200, tokenHeader: false, hadQueryToken: false });
	});

	it('a folder is refused before any download info is asked for', async () => {
		const error = await failureOf(fileOp('download', { fileId: FOLDERS.photos }));
		expect(error.message).toBe('File ID: "Photos" is a folder, not a file');
		expect(calls(PATH.downloadInfo(FOLDERS.photos))).toHaveLength(0);
	});

	it('a third-party app credential is refused with a clear reason, and nothing is sent', async () => {
		credential = new StoredCredential({
			...sandboxCredential(urls).data,
			appType: 'thirdParty',
			suiteKey: DEMO.suite.suiteKey,
			suiteSecret: DEMO.suite.suiteSecret,
			authCorpId: DEMO.suite.authCorpId,
			suiteTicket: DEMO.suite.suiteTicket,
			accessToken: '',
		});
		const error = await failureOf(fileOp('download', { fileId: FILES.budgetXlsx }));
		expect(error.message).toMatch(/^Credential: .*internal apps only.*third-party app/);
		expect(sandbox.requests).toEqual([]);
		// The same credential may list the space.
		const listed = await run(listOf({ limit: 1 }));
		expect(listed).toHaveLength(1);
	});
});

describe('File > Delete', () => {
	it('by default to the recycle bin: toRecycleBin=true, gone from the space, kept in the bin', async () => {
		const [item] = await run(fileOp('delete', { fileId: FILES.notesTxt }));
		expect(item).toEqual({
			json: { deleted: true, fileId: FILES.notesTxt, toRecycleBin: true, async: false },
			pairedItem: { item: 0 },
		});
		expect(calls(PATH.remove(FILES.notesTxt), 'DELETE').map((entry) => entry.query)).toEqual([
			{ unionId: ALICE, toRecycleBin: 'true' },
		]);
		expect(sandbox.storedFile(SPACE, FILES.notesTxt)).toBeNull();
		expect(sandbox.recycleBin).toEqual([
			expect.objectContaining({ dentryId: FILES.notesTxt, unionId: ALICE }),
		]);
	});

	it('a folder goes to the recycle bin with everything in it', async () => {
		await run(fileOp('delete', { fileId: FOLDERS.reports }));
		expect(sandbox.recycleBin[0].removedIds.sort()).toEqual(
			[
				FOLDERS.reports,
				FOLDERS.reports2026,
				FILES.annualDocx,
				FILES.kpiCsv,
				FILES.salesJanXlsx,
				FILES.salesFebXlsx,
				FILES.forecastZip,
			].sort(),
		);
		const top = await run(listOf({ returnAll: true }));
		expect(top.map((entry) => entry.json.id)).not.toContain(FOLDERS.reports);
	});

	it('Delete Permanently: toRecycleBin=false, and nothing in the recycle bin', async () => {
		const [item] = await run(fileOp('delete', { fileId: FILES.budgetXlsx, permanently: true }));
		expect(item.json).toEqual({
			deleted: true,
			fileId: FILES.budgetXlsx,
			toRecycleBin: false,
			async: false,
		});
		expect(calls(PATH.remove(FILES.budgetXlsx), 'DELETE')[0].query.toRecycleBin).toBe('false');
		expect(sandbox.deletions).toEqual([
			expect.objectContaining({ dentryId: FILES.budgetXlsx, toRecycleBin: false }),
		]);
		expect(sandbox.recycleBin).toEqual([]);
		expect(sandbox.storedFile(SPACE, FILES.budgetXlsx)).toBeNull();
	});

	it('a server error on the delete is not repeated and fails the item', async () => {
		sandbox.failNext(
			{ path: PATH.remove(FILES.roadmapPptx) },
			{ status: 500, body: { code: 'systemError', message: 'internal', requestid: 'r-500' } },
		);
		const [item] = await run(fileOp('delete', { fileId: FILES.roadmapPptx }), {
			continueOnFail: true,
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({ code: 'systemError', requestId: 'r-500' });
		expect(item.json.deleted).toBeUndefined();
		expect(String(item.json.description)).toContain('not sent again');
		expect(calls(PATH.remove(FILES.roadmapPptx), 'DELETE')).toHaveLength(1);
		// The fault answered in DingTalk's place: the file is still there.
		expect(sandbox.storedFile(SPACE, FILES.roadmapPptx)).not.toBeNull();

		sandbox.failNext(
			{ path: PATH.remove(FILES.roadmapPptx) },
			{ status: 503, body: { code: 'ServiceUnavailable', message: 'busy', requestid: 'r-503' } },
		);
		const error = await failureOf(fileOp('delete', { fileId: FILES.roadmapPptx }));
		expect(error.message).toContain('ServiceUnavailable');
	});
});

describe('Folder > Create', () => {
	it('creates a folder at the top of the space and one in a subfolder', async () => {
		const [top] = await run(newFolder({ name: '  Minutes  ' }));
		expect(top.json).toMatchObject({
			name: 'Minutes',
			type: 'FOLDER',
			parentId: '0',
			spaceId: SPACE,
			path: '/Minutes',
		});
		expect(top.pairedItem).toEqual({ item: 0 });
		expect(sandbox.storedFile(SPACE, String(top.json.id))).toMatchObject({
			type: 'FOLDER',
			name: 'Minutes',
		});
		expect(calls(PATH.folders('0'))[0]).toMatchObject({
			method: 'POST',
			query: { unionId: ALICE },
			body: { name: 'Minutes', option: { conflictStrategy: 'AUTO_RENAME' } },
		});

		const [inner] = await run(newFolder({ parentFolderId: FOLDERS.reports2026, name: 'Q4' }));
		expect(inner.json).toMatchObject({
			name: 'Q4',
			type: 'FOLDER',
			parentId: FOLDERS.reports2026,
			path: '/Reports/2026/Q4',
		});
		const listed = await run(listOf({ folderId: FOLDERS.reports2026, returnAll: true }));
		expect(listed.map((item) => item.json.id)).toContain(inner.json.id);
	});

	it('an existing name: Rename makes a new folder, Keep outputs the existing one, Fail fails; Replace is no choice for a folder', async () => {
		const output = await run(newFolder({ name: 'Reports', conflict: '={{ $json.conflict }}' }), {
			items: ['rename', 'returnExisting', 'overwrite', 'fail'].map((conflict) => ({
				json: { conflict },
			})),
			continueOnFail: true,
		});
		const [renamed, kept, replaced, failed] = output;
		expect(renamed.json).toMatchObject({ name: 'Reports(1)', type: 'FOLDER', parentId: '0' });
		expect(renamed.json.id).not.toBe(FOLDERS.reports);
		expect(kept.json).toMatchObject({ id: FOLDERS.reports, name: 'Reports' });
		// A folder has no content to replace: refused before sending, the folder's content untouched.
		expect(replaced.json.error).toBe(
			'If the Name Exists: "overwrite" is not a choice for a folder (choose one of: rename, returnExisting, fail)',
		);
		expect(sandbox.storedFile(SPACE, FILES.annualDocx)).not.toBeNull();
		expect(failed.json).toMatchObject({ code: 'dentryNameConflict' });
		expect(output.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
		expect(
			calls(PATH.folders('0'))
				.map((entry) => (entry.body?.option as IDataObject).conflictStrategy)
				.sort(),
		).toEqual(['AUTO_RENAME', 'RETURN_DENTRY_IF_EXISTS', 'RETURN_ERROR_IF_EXISTS']);
		// Only Rename made a folder.
		const top = await run(listOf({ returnAll: true, orderBy: 'name', order: 'ASC' }));
		expect(top.filter((item) => String(item.json.name).startsWith('Reports'))).toHaveLength(2);
	});

	it('Fail with a file of that name fails with DingTalk\'s "already exists", the file untouched', async () => {
		const error = await failureOf(newFolder({ name: 'Budget 2026.xlsx', conflict: 'fail' }));
		expect(error.message).toContain('dentryNameConflict');
		expect(sandbox.storedFile(SPACE, FILES.budgetXlsx)).toMatchObject({ type: 'FILE' });
	});

	it.each([
		['a*b', `Name: "a*b" contains '*'; DingTalk does not allow tabs or * " < > | in file names`],
		['notes.', 'Name: "notes." ends with a dot, which DingTalk does not allow'],
		['   ', 'Name: is empty'],
	])('the name %p is refused before anything is sent', async (name, message) => {
		const error = await failureOf(newFolder({ name }));
		expect(error.message).toBe(message);
		expect(error.description).toContain('Nothing was sent to DingTalk');
		expect(sandbox.requests).toEqual([]);
	});

	it("a parent that is not a folder of the space fails with DingTalk's code", async () => {
		const error = await failureOf(newFolder({ parentFolderId: FILES.budgetXlsx, name: 'x' }));
		expect(error.message).toContain('dentryNotExist');
		expect(calls(PATH.folders(FILES.budgetXlsx))).toHaveLength(1);
	});
});
