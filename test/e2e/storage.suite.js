'use strict';
// End-to-end: File > List, Get, Download, Delete and Folder > Create on files already in DingTalk storage,
// User > Get and Search, Robot Message > Reply, and the editor's pickers, in a real n8n process (one major
// line per test file) against the DingTalk sandbox. One n8n per line, a few workflows: the in-process
// cases are in test/integration/storage.test.ts, users-replies.test.ts and pickers.test.ts.
const crypto = require('node:crypto');
const fs = require('node:fs');
const { N8nInstance } = require('./n8n');
const { createSandbox, DEMO } = require('../sandbox/server');
const W = require('./workflows');

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const SPACE = DEMO.tree.spaceId;
const { alice } = DEMO.users;
const { folders: FOLDERS, files: FILES } = DEMO.tree;
const COF = { onError: 'continueRegularOutput' };
const DENTRIES = `/v1.0/storage/spaces/${SPACE}/dentries`;
const archiveId = (n) => `dentry-archive-${String(n).padStart(3, '0')}`;
/** A picker's value as the editor saves it: chosen From List (with the name it showed) or typed By ID. */
const picked = (value, cachedResultName) => ({
	__rl: true,
	mode: 'list',
	value,
	cachedResultName,
});
const byId = (value) => ({ __rl: true, mode: 'id', value });
/** What a robot trigger outputs for a message in the team group (the fields Reply reads). */
const triggerItemOf = (message) => ({
	messageId: message.msgId,
	sender: { staffId: message.senderStaffId },
	conversation: { type: 'group', id: message.conversationId },
	raw: message,
});

/** File > <operation> on the team space, on Alice's behalf. */
const stored = (name, operation, parameters, settings) =>
	W.dingTalk(
		name,
		{ resource: 'file', operation, spaceId: SPACE, operatorUnionId: alice, ...parameters },
		settings,
	);

function defineSuite(line) {
	jest.setTimeout(20 * 60 * 1000);
	describe(`File > List, Get, Download, Delete and Folder > Create in real n8n ${line}.x`, () => {
		let sandbox;
		let urls;
		let n8n;
		let replyMessages;
		const runs = [];
		const ids = {};
		const log = (path, method) =>
			sandbox.requests.filter(
				(entry) => entry.path === path && (method === undefined || entry.method === method),
			);
		const outputOf = (result, node) => result.runData[node]?.[0]?.data?.main?.[0] ?? [];
		const execute = async (id) => {
			const result = await n8n.execute(ids[id]);
			runs.push(result);
			return result;
		};

		function workflows() {
			const id = (name) => (ids[name] = `${name}${line}`);
			return [
				W.chain(id('listArchive'), 'list the whole Archive folder', [
					W.trigger(),
					stored('DingTalk', 'list', {
						scope: 'folder',
						folderId: FOLDERS.archive,
						returnAll: true,
					}),
				]),
				W.chain(id('download'), 'download stored files, hashed as n8n stores them', [
					W.trigger(),
					...W.itemsOf([
						{ id: FILES.chinesePdf },
						{ id: FILES.roadmapPptx },
						{ id: FILES.emptyTxt },
					]),
					stored('DingTalk', 'download', { fileId: '={{ $json.id }}' }),
					W.sha256Of('Hash', 'data'),
				]),
				W.chain(id('deleteAndCreate'), 'delete to the recycle bin, then a new folder', [
					W.trigger(),
					stored('Delete', 'delete', { fileId: FILES.notesTxt }),
					W.dingTalk('New Folder', {
						resource: 'folder',
						operation: 'create',
						spaceId: SPACE,
						operatorUnionId: alice,
						parentFolderId: FOLDERS.reports,
						name: 'Minutes',
						conflict: 'rename',
					}),
				]),
				W.chain(id('picked'), "values from the editor's pickers: chosen and typed", [
					W.trigger(),
					W.dingTalk('Get', {
						resource: 'file',
						operation: 'get',
						spaceId: byId(SPACE),
						operatorUnionId: picked(alice, 'Alice (Engineering Manager)'),
						fileId: picked(FILES.kpiCsv, 'Reports/KPI (draft).csv'),
					}),
					W.dingTalk('List', {
						resource: 'file',
						operation: 'list',
						spaceId: picked(SPACE, 'Sandbox team (group files)'),
						operatorUnionId: picked(alice, 'Alice (Engineering Manager)'),
						scope: 'folder',
						folderId: picked(FOLDERS.reports2026, 'Reports/2026/'),
						returnAll: true,
						orderBy: 'name',
						order: 'ASC',
					}),
				]),
				W.chain(id('users'), 'a user by staff ID, then a search by name', [
					W.trigger(),
					W.dingTalk('Get User', {
						resource: 'user',
						operation: 'get',
						by: 'staffId',
						staffId: picked('manager4220', 'Alice (Engineering Manager)'),
					}),
					W.dingTalk('Search', {
						resource: 'user',
						operation: 'search',
						query: '王',
						returnAll: true,
					}),
				]),
				W.chain(id('reply'), 'reply to two robot messages, one whose session has expired', [
					W.trigger(),
					...W.itemsOf(replyMessages.map(triggerItemOf)),
					W.dingTalk('Reply', {
						resource: 'robotMessage',
						operation: 'reply',
						replyText: '=Got it: {{ $json.messageId }}',
						whenExpired: 'send',
					}),
				]),
				W.chain(id('getUnknown'), 'get a known and an unknown entry, Continue On Fail', [
					W.trigger(),
					...W.itemsOf([{ id: FILES.budgetXlsx }, { id: 'dentry-nope' }]),
					stored('DingTalk', 'get', { fileId: '={{ $json.id }}' }, COF),
				]),
			];
		}

		beforeAll(async () => {
			sandbox = createSandbox();
			urls = await sandbox.start();
			replyMessages = [1, 2].map(
				() => sandbox.robot.buildMessage({ chat: 'group', text: 'file budget' }).message,
			);
			n8n = new N8nInstance({ line, name: `storage-${process.pid}` });
			await n8n.setup();
			await n8n.importCredentials([W.sandboxCredential(urls)]);
			await n8n.importWorkflow(workflows());
			await n8n.serve();
		});

		afterAll(async () => {
			if (sandbox) await sandbox.stop();
			if (n8n) {
				await n8n.stopServing();
				process.stderr.write(`[e2e] n8n ${n8n.version} timings: ${JSON.stringify(n8n.timings)}\n`);
				n8n.remove();
			}
		});

		beforeEach(() => sandbox.clearLog());

		test('File > List with Return All: the 120 files of the Archive, from 3 pages chained by nextToken', async () => {
			const result = await execute('listArchive');
			expect(result.error).toBeNull();
			const output = result.lastNodeOutput;
			expect(output.map((item) => item.json.id)).toEqual(
				Array.from({ length: 120 }, (_, i) => archiveId(i + 1)),
			);
			expect(output.every((item) => item.pairedItem.item === 0)).toBe(true);
			expect(output[0].json).toMatchObject({
				name: 'log-001.txt',
				type: 'FILE',
				parentId: FOLDERS.archive,
				spaceId: SPACE,
			});
			const pages = log(DENTRIES, 'GET');
			expect(pages.map((entry) => [entry.status, entry.query.maxResults])).toEqual(
				Array(3).fill([200, '50']),
			);
			const tokens = pages.map((entry) => entry.query.nextToken);
			expect(tokens[0]).toBeUndefined();
			expect(new Set(tokens.slice(1)).size).toBe(2);
		});

		test('File > Download: the exact bytes as n8n stores them (an empty file too), under the real name; the file host gets no token', async () => {
			const result = await execute('download');
			expect(result.error).toBeNull();
			const expected = [
				{
					id: FILES.chinesePdf,
					name: '季度报告 Q1.pdf',
					mimeType: 'application/pdf',
					size: 52_000,
				},
				{
					id: FILES.roadmapPptx,
					name: 'Roadmap.pptx',
					mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
					size: 245_760,
				},
				{ id: FILES.emptyTxt, name: 'empty.txt', mimeType: 'text/plain', size: 0 },
			];
			const downloaded = outputOf(result, 'DingTalk');
			expect(
				downloaded.map((item) => [
					item.json.id,
					item.binary.data.fileName,
					item.binary.data.mimeType,
				]),
			).toEqual(expected.map((file) => [file.id, file.name, file.mimeType]));
			expect(downloaded.map((item) => item.pairedItem)).toEqual(
				[0, 1, 2].map((item) => ({ item })),
			);
			for (const [index, item] of downloaded.entries()) {
				const binary = item.binary.data;
				// 2.x keeps binary data on disk and notes its size; 1.x holds it inline as base64.
				const size =
					binary.bytes ??
					(binary.data === 'filesystem-v2' ? undefined : Buffer.from(binary.data, 'base64').length);
				expect(size).toBe(expected[index].size);
				if (line === 1)
					expect(sha256(Buffer.from(binary.data, 'base64'))).toBe(
						sandbox.storedFile(SPACE, expected[index].id).sha256,
					);
			}
			// What n8n stored, byte for byte (n8n's own Crypto node reads it back).
			expect(result.lastNodeOutput.map((item) => item.json.sha256)).toEqual(
				expected.map((file) => sandbox.storedFile(SPACE, file.id).sha256),
			);
			const fileHost = sandbox.requests.filter((entry) => entry.host === 'files');
			expect(fileHost).toHaveLength(3);
			for (const entry of fileHost)
				expect(entry).toMatchObject({
					status: 200,
					tokenHeader: false,
					hadQueryToken: false,
					body: { signed: true },
				});
			expect(JSON.stringify(result.runData)).not.toContain(urls.fileBaseUrl);
		});

		test('File > Delete goes to the recycle bin, then Folder > Create makes a folder in a subfolder', async () => {
			const result = await execute('deleteAndCreate');
			expect(result.error).toBeNull();
			expect(outputOf(result, 'Delete')).toEqual([
				{
					json: { deleted: true, fileId: FILES.notesTxt, toRecycleBin: true, async: false },
					pairedItem: { item: 0 },
				},
			]);
			expect(log(`${DENTRIES}/${FILES.notesTxt}`, 'DELETE').map((entry) => entry.query)).toEqual([
				{ unionId: alice, toRecycleBin: 'true' },
			]);
			expect(sandbox.storedFile(SPACE, FILES.notesTxt)).toBeNull();
			expect(sandbox.recycleBin.map((entry) => entry.dentryId)).toEqual([FILES.notesTxt]);
			const [created] = outputOf(result, 'New Folder');
			expect(created.json).toMatchObject({
				name: 'Minutes',
				type: 'FOLDER',
				parentId: FOLDERS.reports,
				path: '/Reports/Minutes',
			});
			expect(sandbox.storedFile(SPACE, created.json.id)).toMatchObject({
				type: 'FOLDER',
				parentId: FOLDERS.reports,
			});
			expect(log(`${DENTRIES}/${FOLDERS.reports}/folders`)[0].body).toEqual({
				name: 'Minutes',
				option: { conflictStrategy: 'AUTO_RENAME' },
			});
		});

		test('File > Get with Continue On Fail: an unknown ID is an error item paired with its input', async () => {
			const result = await execute('getUnknown');
			expect(result.error).toBeNull();
			const [known, unknown] = result.lastNodeOutput;
			expect(result.lastNodeOutput).toHaveLength(2);
			expect(known).toMatchObject({
				json: { id: FILES.budgetXlsx, name: 'Budget 2026.xlsx', type: 'FILE', size: 18_432 },
				pairedItem: { item: 0 },
			});
			expect(unknown.pairedItem).toEqual({ item: 1 });
			expect(unknown.json).toMatchObject({
				code: 'dentryNotExist',
				error: expect.stringContaining('dentryNotExist'),
			});
		});

		test('values chosen in pickers or typed By ID run, and plain IDs saved before the pickers still do', async () => {
			const result = await execute('picked');
			expect(result.error).toBeNull();
			expect(outputOf(result, 'Get')[0].json).toMatchObject({
				id: FILES.kpiCsv,
				name: 'KPI (draft).csv',
			});
			expect(
				outputOf(result, 'List')
					.map((item) => item.json.name)
					.sort(),
			).toEqual(['Sales 2026-01.xlsx', 'Sales 2026-02.xlsx', 'forecast.zip']);
			expect(log(DENTRIES, 'GET')[0].query).toMatchObject({
				unionId: alice,
				parentId: FOLDERS.reports2026,
				orderBy: 'NAME',
				order: 'ASC',
			});
		});

		test("User > Get by a picked staff ID and User > Search by name, with each person's details", async () => {
			const result = await execute('users');
			expect(result.error).toBeNull();
			expect(outputOf(result, 'Get User')[0].json).toMatchObject({
				userid: 'manager4220',
				unionid: alice,
				name: 'Alice',
				title: 'Engineering Manager',
			});
			const expected = DEMO.directory.filter(
				(person) => person.corpId === DEMO.corpId && person.name.includes('王'),
			);
			expect(expected.length).toBeGreaterThan(0);
			expect(outputOf(result, 'Search').map((item) => item.json.unionid)).toEqual(
				expected.map((person) => person.unionid),
			);
		});

		test("Robot Message > Reply answers through the message's own address with no token; an expired session goes as a new message to the group", async () => {
			sandbox.robot.expireSession(replyMessages[1].sessionWebhook);
			const sentBefore = sandbox.robotMessages.length;
			const result = await execute('reply');
			expect(result.error).toBeNull();
			expect(sandbox.robot.replies).toEqual([
				expect.objectContaining({
					msgtype: 'text',
					content: `Got it: ${replyMessages[0].msgId}`,
					hadToken: false,
				}),
			]);
			const fallback = sandbox.robotMessages.slice(sentBefore);
			expect(fallback).toHaveLength(1);
			expect(fallback[0]).toMatchObject({ openConversationId: DEMO.group.openConversationId });
			expect(JSON.stringify(fallback[0].msgParam)).toContain(`Got it: ${replyMessages[1].msgId}`);
			expect(outputOf(result, 'Reply').map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
			]);
		});

		test("the editor's pickers list files by path, people by name and the robot's group chats, through n8n's REST API", async () => {
			const { rest } = n8n;
			const pick = async (methodName, currentNodeParameters, filter, paginationToken) =>
				(
					await rest.post('/rest/dynamic-node-parameters/resource-locator-results', {
						nodeTypeAndVersion: { name: 'n8n-nodes-dingtalk-files.dingTalk', version: 1 },
						methodName,
						path: 'parameters.fileId',
						currentNodeParameters,
						credentials: { dingTalkApi: { id: W.CREDENTIAL_ID, name: W.CREDENTIAL_ID } },
						filter,
						paginationToken,
					})
				).data;
			const storage = {
				resource: 'file',
				operation: 'get',
				spaceId: picked(SPACE, 'Sandbox team (group files)'),
				operatorUnionId: byId(alice),
			};
			const reports = await pick('searchFiles', storage, 'Reports/');
			// (with the folder an earlier test made there)
			expect(reports.results.map((entry) => [entry.name, entry.value])).toEqual(
				expect.arrayContaining([
					['Reports/2026/', FOLDERS.reports2026],
					['Reports/Annual summary.docx', FILES.annualDocx],
					['Reports/KPI (draft).csv', FILES.kpiCsv],
				]),
			);
			expect(reports.results.every((entry) => entry.name.startsWith('Reports/'))).toBe(true);
			const archive = await pick('searchFiles', storage, 'Archive/');
			expect(archive.results).toHaveLength(50);
			expect(archive.paginationToken).toEqual(expect.any(String));
			const next = await pick('searchFiles', storage, 'Archive/', archive.paginationToken);
			expect(next.results[0].value).toBe(archiveId(51));
			const people = await pick('searchUsersByUnionId', { resource: 'file' }, 'Alice');
			expect(people.results).toEqual([
				expect.objectContaining({ name: 'Alice (Engineering Manager)', value: alice }),
			]);
			const groups = await pick('searchGroupChats', { resource: 'groupSpace' }, 'team');
			expect(groups.results).toEqual([
				expect.objectContaining({
					name: 'Sandbox team',
					value: DEMO.group.openConversationId,
				}),
			]);
			// A picker that cannot list says why, naming the field to fill in first.
			const missing = await pick('searchFiles', { resource: 'file', operation: 'get' }).then(
				() => 'listed',
				(error) => error.message,
			);
			expect(missing).toContain('Fill in \\"Operator Union ID\\" first');
		});

		test('no token, secret or signed download header appears in any output or log line', () => {
			expect(runs.length).toBe(7);
			const secrets = [
				DEMO.app.appSecret,
				...sandbox.issuedTokens(),
				'x-oss-date',
				'OSS SandboxStorageKeyId',
			];
			expect(sandbox.issuedTokens().length).toBeGreaterThan(0);
			// Each run, and everything the served n8n printed (the pickers' calls too).
			for (const run of [...runs, n8n.served]) {
				const printed = `${run.stdout}\n${run.stderr}\n${JSON.stringify(run.runData)}`;
				for (const secret of secrets) expect(printed).not.toContain(secret);
			}
		});
	});
}

module.exports = { defineSuite };
