'use strict';
// The sandbox's storage reads and changes (list, listAll, one dentry, download infos and the signed GET,
// delete, new folders) and the seeded tree, over real HTTP.
const crypto = require('node:crypto');
const { DEMO } = require('./server');
const { useSandbox, expectApiError } = require('./client');

const t = useSandbox();
const SPACE = DEMO.group.space.spaceId;
const { alice, carol } = DEMO.users;
const { folders, files, archive } = DEMO.tree;
const DENTRIES = `/v1.0/storage/spaces/${SPACE}/dentries`;
const DAY = 24 * 3600 * 1000;
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

const list = (query, options) =>
	t.api(`${DENTRIES}?${new URLSearchParams({ unionId: alice, ...query })}`, {
		method: 'GET',
		...options,
	});
const listAll = (option, unionId = alice) =>
	t.api(`${DENTRIES}/listAll?unionId=${unionId}`, { body: { option } });
const query = (dentryId, option = {}) =>
	t.api(`${DENTRIES}/${encodeURIComponent(dentryId)}/query?unionId=${alice}`, {
		body: { option },
	});
const downloadInfo = (dentryId, { unionId = alice, ...options } = {}) =>
	t.api(`${DENTRIES}/${dentryId}/downloadInfos/query?unionId=${unionId}`, {
		body: { option: { preferIntranet: false } },
		...options,
	});
const remove = (dentryId, toRecycleBin) =>
	t.api(
		`${DENTRIES}/${dentryId}?unionId=${alice}${toRecycleBin === undefined ? '' : `&toRecycleBin=${toRecycleBin}`}`,
		{ method: 'DELETE' },
	);
const newFolder = (parentId, name, conflictStrategy) =>
	t.api(`${DENTRIES}/${parentId}/folders?unionId=${alice}`, {
		body: { name, ...(conflictStrategy ? { option: { conflictStrategy } } : {}) },
	});

/** Every page of a listing, following nextToken. */
async function allPages(page) {
	const pages = [];
	let nextToken;
	do {
		const res = await page(nextToken);
		expect(res.status).toBe(200);
		pages.push(res.json.dentries);
		nextToken = res.json.nextToken;
	} while (nextToken);
	return pages;
}

/** GET the first resource URL with the returned headers, changed by `change`. */
async function download(info, change = (headers) => headers) {
	const { resourceUrls, headers } = info.headerSignatureInfo;
	return t.call(resourceUrls[0], { method: 'GET', headers: change({ ...headers }) });
}

describe('the seeded tree', () => {
	test('folders and files at the root, newest first; folders have no size or extension', async () => {
		const res = await list({ parentId: '0' });
		expect(res.status).toBe(200);
		expect(res.json).not.toHaveProperty('nextToken');
		expect(res.json).not.toHaveProperty('hasMore');
		const names = res.json.dentries.map((d) => d.name);
		expect(names).toEqual(
			expect.arrayContaining(['Reports', 'Photos', 'Archive', 'Q3 report.pdf', 'Docs']),
		);
		expect(names).not.toContain('old notes.docx'); // deleted
		const times = res.json.dentries.map((d) => d.modifiedTime);
		expect(times).toEqual([...times].sort().reverse());
		const reports = res.json.dentries.find((d) => d.id === folders.reports);
		expect(reports).toMatchObject({
			spaceId: SPACE,
			parentId: '0',
			type: 'FOLDER',
			path: '/Reports',
			status: 'NORMAL',
			version: 1,
		});
		expect(reports).not.toHaveProperty('size');
		expect(reports).not.toHaveProperty('extension');
		const budget = res.json.dentries.find((d) => d.id === files.budgetXlsx);
		expect(budget).toEqual({
			id: files.budgetXlsx,
			uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
			spaceId: SPACE,
			parentId: '0',
			name: 'Budget 2026.xlsx',
			type: 'FILE',
			size: 18_432,
			extension: 'xlsx',
			path: '/Budget 2026.xlsx',
			version: 1,
			status: 'NORMAL',
			category: 'DOCUMENT',
			createTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/),
			modifiedTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/),
			creatorId: alice,
			modifierId: alice,
			partitionType: 'PUBLIC_OSS_PARTITION',
			storageDriver: 'DINGTALK',
			properties: { readOnly: false },
		});
	});

	test('modified times spread over the last 30 days from the seed, some within 7 days', async () => {
		const everything = (await allPages((nextToken) => listAll({ nextToken }))).flat();
		const tree = everything.filter(
			(d) =>
				/^dentry-(folder-(reports|photos|archive)|archive-)/.test(d.id) ||
				Object.values(files).includes(d.id),
		);
		const ages = tree.map((d) => (t.sandbox.seededAt - Date.parse(d.modifiedTime)) / DAY);
		expect(Math.max(...ages)).toBeLessThan(30);
		expect(Math.min(...ages)).toBeGreaterThanOrEqual(0);
		const recentFiles = tree.filter((d, i) => d.type === 'FILE' && ages[i] < 7);
		expect(recentFiles.length).toBeGreaterThanOrEqual(5);
		expect(tree.filter((d, i) => d.type === 'FILE' && ages[i] > 7).length).toBeGreaterThan(5);
		expect(Object.keys(files).length).toBeGreaterThanOrEqual(12);
		const sizes = new Set(tree.filter((d) => d.type === 'FILE').map((d) => d.size));
		expect(sizes.size).toBeGreaterThan(50);
	});

	test('nested folders have their paths', async () => {
		const res = await list({ parentId: folders.reports2026, orderBy: 'NAME', order: 'ASC' });
		expect(res.json.dentries.map((d) => d.path)).toEqual([
			'/Reports/2026/Sales 2026-01.xlsx',
			'/Reports/2026/Sales 2026-02.xlsx',
			'/Reports/2026/forecast.zip',
		]);
	});
});

describe('listing a folder', () => {
	test('the Archive takes three pages of 50; the last has no nextToken', async () => {
		const pages = await allPages((nextToken) =>
			list({ parentId: folders.archive, ...(nextToken ? { nextToken } : {}) }),
		);
		expect(pages.map((page) => page.length)).toEqual([50, 50, 20]);
		const ids = pages.flat().map((d) => d.id);
		expect(new Set(ids).size).toBe(archive.count);
		const times = pages.flat().map((d) => d.modifiedTime);
		expect(times).toEqual([...times].sort().reverse());
	});

	test('orderBy NAME, SIZE and CREATE_TIME, ASC or DESC; maxResults', async () => {
		const byName = await list({ parentId: folders.archive, orderBy: 'NAME', order: 'ASC' });
		expect(byName.json.dentries[0]).toMatchObject({ id: archive.first, name: 'log-001.txt' });
		const bySize = await list({ parentId: '0', orderBy: 'SIZE', order: 'DESC', maxResults: '3' });
		expect(bySize.json.dentries.map((d) => d.id)).toEqual([
			files.videoMp4,
			files.roadmapPptx,
			files.chinesePdf,
		]);
		expect(bySize.json.nextToken).toEqual(expect.any(String));
		const byCreation = await list({ parentId: folders.photos, orderBy: 'CREATE_TIME' });
		const created = byCreation.json.dentries.map((d) => d.createTime);
		expect(created).toEqual([...created].sort().reverse());
	});

	test('refuses maxResults above 50, unknown orders, a token of another listing, a file as parent', async () => {
		expectApiError(
			await list({ parentId: '0', maxResults: '51' }),
			400,
			'invalidParameter.maxResults',
		);
		expectApiError(await list({ parentId: '0', orderBy: 'name' }), 400, 'invalidParameter.orderBy');
		expectApiError(await list({ parentId: '0', order: 'UP' }), 400, 'invalidParameter.order');
		const first = await list({ parentId: folders.archive });
		expectApiError(
			await list({ parentId: folders.archive, orderBy: 'NAME', nextToken: first.json.nextToken }),
			400,
			'invalidParameter.nextToken',
		);
		expectApiError(await list({ parentId: files.budgetXlsx }), 404, 'dentryNotExist');
		expectApiError(await list({}), 400, 'paramError');
	});

	test('withThumbnail adds a thumbnail to pictures, served by the file host', async () => {
		const res = await list({ parentId: folders.photos, withThumbnail: 'true' });
		const png = res.json.dentries.find((d) => d.id === files.offsite1Png);
		expect(png.thumbnail).toEqual({ url: expect.any(String), width: 8, height: 8 });
		const thumbnail = await t.call(png.thumbnail.url, { method: 'GET' });
		expect(sha256(thumbnail.buffer)).toBe(DEMO.files.photoPng.sha256);
		expect((await list({ parentId: folders.photos })).json.dentries[0]).not.toHaveProperty(
			'thumbnail',
		);
	});

	test('needs Storage.File.Read and a member of the group as operator', async () => {
		expectApiError(await list({ parentId: '0', unionId: carol }), 403, 'permissionDenied');
		t.sandbox.revokeScope(DEMO.app.appKey, 'Storage.File.Read');
		const res = await list({ parentId: '0' });
		expectApiError(res, 403, 'Forbidden.AccessDenied.AccessTokenPermissionDenied');
		expect(res.json.accessdenieddetail.requiredScopes).toEqual(['Storage.File.Read']);
	});
});

describe('listing the whole space and reading one dentry', () => {
	test('listAll: every NORMAL dentry, flat, oldest first by default, pages of at most 50', async () => {
		const pages = await allPages((nextToken) => listAll({ nextToken }));
		expect(pages.map((page) => page.length)).toEqual([50, 50, 41]);
		const everything = pages.flat();
		expect(everything.map((d) => d.id)).toEqual(
			expect.arrayContaining([files.salesJanXlsx, folders.reports2026, archive.last]),
		);
		const times = everything.map((d) => d.modifiedTime);
		expect(times).toEqual([...times].sort());
		const newest = await listAll({ order: 'DESC', maxResults: 1 });
		expect(newest.json.dentries[0].modifiedTime).toBe(times.at(-1));
		expectApiError(await listAll({ maxResults: 60 }), 400, 'invalidParameter.maxResults');
	});

	test('query: one dentry; unknown and deleted ones are dentryNotExist', async () => {
		const res = await query(files.kpiCsv);
		expect(res.json.dentry).toMatchObject({
			id: files.kpiCsv,
			parentId: folders.reports,
			path: '/Reports/KPI (draft).csv',
			extension: 'csv',
		});
		expect((await query(files.whiteboardPng, { withThumbnail: true })).json.dentry).toHaveProperty(
			'thumbnail',
		);
		expectApiError(await query('dentry-nope'), 404, 'dentryNotExist');
		expectApiError(await query(DEMO.dentries.deleted), 404, 'dentryNotExist');
	});
});

describe('download infos and the signed GET', () => {
	test('serve the exact bytes of a seeded file with exactly the returned headers', async () => {
		const info = await downloadInfo(DEMO.dentries.reportPdf);
		expect(info.status).toBe(200);
		expect(info.json).toEqual({
			protocol: 'HEADER_SIGNATURE',
			headerSignatureInfo: {
				resourceUrls: [expect.stringMatching(new RegExp(`^${t.urls.fileBaseUrl}/`))],
				internalResourceUrls: [expect.any(String)],
				headers: { Authorization: expect.any(String), 'x-oss-date': expect.any(String) },
				expirationSeconds: 900,
				region: expect.any(String),
			},
		});
		const file = await download(info.json);
		expect(file.status).toBe(200);
		expect(sha256(file.buffer)).toBe(DEMO.files.reportPdf.sha256);
		const entry = t.sandbox.requests.at(-1);
		expect(entry).toMatchObject({ host: 'files', status: 200, tokenValid: null });
	});

	test('a missing or changed header is a 403 from the file host, in XML', async () => {
		const info = (await downloadInfo(files.notesTxt)).json;
		const unsigned = await download(info, ({ Authorization, ...rest }) => rest);
		expect(unsigned.status).toBe(403);
		expect(unsigned.text).toContain('<Code>SignatureDoesNotMatch</Code>');
		const redated = await download(info, (headers) => ({
			...headers,
			'x-oss-date': new Date(Date.now() + 60_000).toUTCString(),
		}));
		expect(redated.status).toBe(403);
		const undated = await download(info, ({ 'x-oss-date': _, ...rest }) => rest);
		expect(undated.status).toBe(403);
		expect((await download(info)).text).toContain('- Budget 2026: review on Friday');
	});

	test('generated, uploaded and empty files; chunked mode; a connection cut mid-file', async () => {
		const video = await download((await downloadInfo(files.videoMp4)).json);
		expect(video.buffer.length).toBe(3 * 2 ** 20 + 17);
		expect(sha256(video.buffer)).toBe(t.sandbox.storedFile(SPACE, files.videoMp4).sha256);
		expect((await download((await downloadInfo(files.emptyTxt)).json)).buffer.length).toBe(0);

		const bytes = crypto.randomBytes(100_000);
		const { json: upload } = await t.api(
			`/v1.0/storage/spaces/${SPACE}/files/uploadInfos/query?unionId=${alice}`,
			{ body: { protocol: 'HEADER_SIGNATURE', multipart: false } },
		);
		const put = await fetch(upload.headerSignatureInfo.resourceUrls[0], {
			method: 'PUT',
			headers: upload.headerSignatureInfo.headers,
			body: bytes,
		});
		expect(put.status).toBe(200);
		const { json: committed } = await t.api(
			`/v1.0/storage/spaces/${SPACE}/files/commit?unionId=${alice}`,
			{ body: { uploadKey: upload.uploadKey, name: 'upload.bin', parentId: folders.reports } },
		);
		t.sandbox.setFileHost({ chunked: true });
		const uploaded = await download((await downloadInfo(committed.dentry.id)).json);
		expect(uploaded.headers.get('content-length')).toBeNull();
		expect(sha256(uploaded.buffer)).toBe(sha256(bytes));
		const listed = await list({ parentId: folders.reports });
		expect(listed.json.dentries[0]).toMatchObject({ name: 'upload.bin', size: bytes.length });

		t.sandbox.setFileHost({ chunked: false });
		t.sandbox.failNext({ path: '*', host: 'files' }, { cutAfterBytes: 1000 });
		const info = (await downloadInfo(files.roadmapPptx)).json;
		const { resourceUrls, headers } = info.headerSignatureInfo;
		const res = await fetch(resourceUrls[0], { headers });
		expect(res.headers.get('content-length')).toBe('245760');
		await expect(res.arrayBuffer()).rejects.toThrow();
	});

	test('folders, other versions, third-party apps, missing scope and non-members are refused', async () => {
		expectApiError(await downloadInfo(folders.photos), 400, 'folderNotSupport');
		expectApiError(
			await t.api(`${DENTRIES}/${files.notesTxt}/downloadInfos/query?unionId=${alice}`, {
				body: { option: { version: 2 } },
			}),
			400,
			'invalidParameter.version',
		);
		expectApiError(
			await downloadInfo(files.notesTxt, { token: await t.suiteToken() }),
			403,
			'Forbidden.AccessDenied.AccessTokenPermissionDenied',
		);
		expectApiError(await downloadInfo(files.notesTxt, { unionId: carol }), 403, 'permissionDenied');
		t.sandbox.revokeScope(DEMO.app.appKey, 'Storage.DownloadInfo.Read');
		const res = await downloadInfo(files.notesTxt);
		expect(res.json.accessdenieddetail.requiredScopes).toEqual(['Storage.DownloadInfo.Read']);
	});
});

describe('deleting and new folders', () => {
	test('to the recycle bin: gone from listings, kept in recycleBin; by default for good', async () => {
		const binned = await remove(files.budgetXlsx, true);
		expect(binned).toMatchObject({ status: 200, json: { async: false } });
		expect((await list({ parentId: '0' })).json.dentries.map((d) => d.id)).not.toContain(
			files.budgetXlsx,
		);
		expect(t.sandbox.recycleBin).toEqual([
			expect.objectContaining({
				spaceId: SPACE,
				dentryId: files.budgetXlsx,
				name: 'Budget 2026.xlsx',
				unionId: alice,
				dentries: [expect.objectContaining({ id: files.budgetXlsx, status: 'DELETED' })],
			}),
		]);
		expect((await remove(files.roadmapPptx)).status).toBe(200);
		expect(t.sandbox.storedFile(SPACE, files.roadmapPptx)).toBeNull();
		expect(t.sandbox.recycleBin).toHaveLength(1);
		expect(t.sandbox.deletions.map((d) => d.toRecycleBin)).toEqual([true, false]);
		expectApiError(await query(files.roadmapPptx), 404, 'dentryNotExist');
		const control = await t.call(`${t.urls.apiBaseUrl}/_sandbox/storage/recycle-bin`, {
			method: 'GET',
		});
		expect(control.json).toHaveLength(1);
	});

	test('a folder goes with everything under it; the root and bad flags are refused', async () => {
		const res = await remove(folders.reports, false);
		expect(res.status).toBe(200);
		expect(t.sandbox.deletions[0].removedIds).toEqual(
			expect.arrayContaining([folders.reports2026, files.salesJanXlsx, files.kpiCsv]),
		);
		expect(t.sandbox.deletions[0].removedIds).toHaveLength(7);
		expectApiError(await query(files.forecastZip), 404, 'dentryNotExist');
		expectApiError(await remove('0', true), 400, 'invalidParameter.dentryId');
		expectApiError(await remove(files.notesTxt, 'yes'), 400, 'invalidParameter.toRecycleBin');
		t.sandbox.revokeScope(DEMO.app.appKey, 'Storage.File.Write');
		expectApiError(
			await remove(files.notesTxt),
			403,
			'Forbidden.AccessDenied.AccessTokenPermissionDenied',
		);
	});

	test('new folders: at the root and inside a folder, names checked, the four strategies', async () => {
		const made = await newFolder('0', ' Minutes ');
		expect(made.status).toBe(200);
		expect(made.json.dentry).toMatchObject({
			type: 'FOLDER',
			name: 'Minutes',
			parentId: '0',
			path: '/Minutes',
			creatorId: alice,
		});
		expect(made.json.dentry).not.toHaveProperty('size');
		const inner = await newFolder(made.json.dentry.id, 'v1.2');
		expect(inner.json.dentry.path).toBe('/Minutes/v1.2');
		expect((await newFolder(made.json.dentry.id, 'v1.2')).json.dentry.name).toBe('v1.2(1)');
		const kept = await newFolder('0', 'Reports', 'RETURN_DENTRY_IF_EXISTS');
		expect(kept.json.dentry.id).toBe(folders.reports);
		expect((await newFolder('0', 'Reports', 'OVERWRITE')).json.dentry.id).toBe(folders.reports);
		expectApiError(
			await newFolder('0', 'Reports', 'RETURN_ERROR_IF_EXISTS'),
			400,
			'dentryNameConflict',
		);
		expectApiError(await newFolder('0', 'empty.txt', 'OVERWRITE'), 400, 'dentryNameConflict');
		expectApiError(await newFolder('0', 'a|b'), 400, 'invalidParameter.name');
		expectApiError(await newFolder('0', ''), 400, 'paramError');
		expectApiError(await newFolder(files.notesTxt, 'x'), 404, 'dentryNotExist');
		const listed = await list({ parentId: made.json.dentry.id });
		expect(listed.json.dentries.map((d) => d.name).sort()).toEqual(['v1.2', 'v1.2(1)']);
	});
});
