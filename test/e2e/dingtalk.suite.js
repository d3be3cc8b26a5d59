'use strict';
// The end-to-end suite: our packed package inside a real n8n process (one major line per test file),
// against the DingTalk sandbox. Every test reads what a user would see (output items, binary data,
// error items) and what DingTalk would have seen (the sandbox's request log).
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { N8nInstance } = require('./n8n');
const { createSandbox, DEMO, PATHS, peakPerSecond } = require('../sandbox/server');
const W = require('./workflows');

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const MiB = 1024 * 1024;
const GROUP = DEMO.group.openConversationId;
const SPACE = DEMO.group.space.spaceId;
const { alice, carol } = DEMO.users;
// The sandbox's paths, under the names the tests use.
const PATH = {
	token: PATHS.appToken,
	corpToken: PATHS.corpToken,
	space: PATHS.spaceQuery,
	sendToUser: PATHS.sendToUser,
	sendLink: PATHS.sendLink,
	sendToGroup: PATHS.sendToGroup,
	download: PATHS.robotDownload,
	upload: PATHS.mediaUpload,
};
const COF = { onError: 'continueRegularOutput' };
const spaceGet = W.groupSpaceLookup;

function defineSuite(line) {
	// Each test starts n8n processes; installing n8n on a cold machine happens in beforeAll.
	jest.setTimeout(20 * 60 * 1000);
	describe(`DingTalk node in real n8n ${line}.x`, () => {
		let sandbox;
		let urls;
		let n8n;
		const runs = []; // every execution's printed output, searched for secrets at the end
		const workflows = {};

		const add = (workflow) => {
			workflows[workflow.id] = workflow;
			return workflow.id;
		};
		const execute = async (id) => {
			const result = await n8n.execute(id);
			runs.push(result);
			return result;
		};
		const log = (path) => sandbox.requests.filter((entry) => entry.path === path);
		const outputOf = (result, node) => result.runData[node]?.[0]?.data?.main?.[0] ?? [];

		// Files sent through Convert to File: a PDF and a PNG of the sandbox's own demo data.
		const pdf = DEMO.files.reportPdf;
		const png = DEMO.files.photoPng;

		const ids = {
			space: add(
				W.chain(`space${line}`, 'space', [W.trigger(), W.dingTalk('DingTalk', spaceGet())]),
			),
			sendToUser: add(
				W.chain(`sendToUser${line}`, 'send to user', [
					W.trigger(),
					W.dingTalk('DingTalk', {
						resource: 'file',
						operation: 'sendToUser',
						receiverUnionId: alice,
						spaceId: SPACE,
						fileId: 'dentry-report-pdf',
					}),
				]),
			),
			sendLink: add(
				W.chain(`sendLink${line}`, 'send link', [
					W.trigger(),
					W.dingTalk('DingTalk', {
						resource: 'file',
						operation: 'sendLinkToGroup',
						openConversationId: GROUP,
						operatorUnionId: alice,
						spaceId: SPACE,
						fileId: 'dentry-report-pdf',
					}),
				]),
			),
			sendToGroup: add(
				W.chain(`sendToGroup${line}`, 'send to group', [
					W.trigger(),
					W.dingTalk('DingTalk', {
						resource: 'file',
						operation: 'sendToGroup',
						openConversationId: GROUP,
						operatorUnionId: alice,
						spaceId: SPACE,
						fileId: 'dentry-photo-png',
					}),
				]),
			),
			upload: add(
				W.chain(`upload${line}`, 'upload', [
					W.trigger(),
					...W.itemsOf([
						{
							b64: pdf.bytes.toString('base64'),
							fileName: 'Q3 report.pdf',
							mimeType: 'application/pdf',
							rename: '',
						},
						{
							b64: png.bytes.toString('base64'),
							fileName: 'team photo',
							mimeType: 'image/png',
							rename: '',
						},
						{
							b64: png.bytes.toString('base64'),
							fileName: 'team photo.png',
							mimeType: 'image/png',
							rename: 'Offsite 2026.png',
						},
					]),
					W.toFile(),
					W.dingTalk('DingTalk', {
						resource: 'media',
						operation: 'upload',
						binaryPropertyName: 'data',
						mediaType: 'auto',
						options: { fileName: "={{ $('Items').item.json.rename }}" },
					}),
				]),
			),
			download: add(
				W.chain(`download${line}`, 'download', [
					W.trigger(),
					...W.itemsOf([
						{ content: { downloadCode: 'dlcode-report-pdf', fileName: 'Q3 report.pdf' } },
						{ content: { downloadCode: 'dlcode-photo-png', fileName: '' } },
						{ content: { downloadCode: 'dlcode-voice-amr', fileName: 'voice' } },
					]),
					W.dingTalk('DingTalk', {
						resource: 'robotFile',
						operation: 'download',
						downloadCode: '={{ $json.content.downloadCode }}',
						fileName: '={{ $json.content.fileName }}',
						downloadContent: true,
						binaryPropertyName: 'file',
					}),
					W.sha256Of('Hash', 'file'),
				]),
			),
			downloadUrlOnly: add(
				W.chain(`downloadUrl${line}`, 'download url only', [
					W.trigger(),
					W.dingTalk('DingTalk', {
						resource: 'robotFile',
						operation: 'download',
						downloadCode: 'dlcode-report-pdf',
						downloadContent: false,
					}),
				]),
			),
			badInput: add(
				// IDs come from earlier nodes, as in real workflows (n8n itself refuses an empty literal in a required field).
				W.fan(
					`badInput${line}`,
					'bad input, one node per operation',
					[
						W.dingTalk('Space', spaceGet({ openConversationId: '={{ $json.badCid }}' }), COF),
						W.dingTalk(
							'To User',
							{
								resource: 'file',
								operation: 'sendToUser',
								receiverUnionId: '={{ $json.blank }}',
								spaceId: SPACE,
								fileId: 'dentry-report-pdf',
							},
							COF,
						),
						W.dingTalk(
							'Link',
							{
								resource: 'file',
								operation: 'sendLinkToGroup',
								openConversationId: GROUP,
								operatorUnionId: alice,
								spaceId: SPACE,
								fileId: '={{ $json.spaced }}',
							},
							COF,
						),
						W.dingTalk(
							'To Group',
							{
								resource: 'file',
								operation: 'sendToGroup',
								openConversationId: GROUP,
								operatorUnionId: alice,
								spaceId: '={{ $json.empty }}',
								fileId: 'x',
							},
							COF,
						),
						W.dingTalk(
							'Download',
							{ resource: 'robotFile', operation: 'download', downloadCode: '={{ $json.empty }}' },
							COF,
						),
					],
					W.jsonItem('Message', {
						badCid: 'SandboxTeamGroup0001==',
						blank: '   ',
						spaced: 'dentry report',
						empty: '',
					}),
				),
			),
			badMedia: add(
				W.chain(`badMedia${line}`, 'bad media', [
					W.trigger(),
					...W.itemsOf([
						{
							b64: Buffer.from('plain notes').toString('base64'),
							fileName: 'notes.txt',
							mimeType: 'text/plain',
							type: 'auto',
						},
						{
							b64: Buffer.alloc(2 * MiB + 1, 1).toString('base64'),
							fileName: 'long.mp3',
							mimeType: 'audio/mpeg',
							type: 'voice',
						},
						{
							b64: pdf.bytes.toString('base64'),
							fileName: 'Q3 report.pdf',
							mimeType: 'application/pdf',
							type: 'image',
						},
					]),
					W.toFile(),
					W.dingTalk(
						'DingTalk',
						{
							resource: 'media',
							operation: 'upload',
							binaryPropertyName: 'data',
							mediaType: "={{ $('Items').item.json.type }}",
						},
						COF,
					),
				]),
			),
			missingBinary: add(
				W.chain(`missingBinary${line}`, 'missing binary', [
					W.trigger(),
					W.dingTalk('DingTalk', {
						resource: 'media',
						operation: 'upload',
						binaryPropertyName: 'attachment',
						mediaType: 'auto',
					}),
				]),
			),
			dingTalkErrors: add(
				W.fan(`dingTalkErrors${line}`, 'DingTalk errors', [
					W.dingTalk('Not Member', spaceGet({ operatorUnionId: carol }), COF),
					W.dingTalk('No Group', spaceGet({ openConversationId: 'cidNoSuchGroup==' }), COF),
					W.dingTalk(
						'No File',
						{
							resource: 'file',
							operation: 'sendToUser',
							receiverUnionId: alice,
							spaceId: SPACE,
							fileId: 'dentry-missing',
						},
						COF,
					),
					W.dingTalk(
						'Folder',
						{
							resource: 'file',
							operation: 'sendToGroup',
							openConversationId: GROUP,
							operatorUnionId: alice,
							spaceId: SPACE,
							fileId: 'dentry-folder-docs',
						},
						COF,
					),
					W.dingTalk(
						'Expired Code',
						{ resource: 'robotFile', operation: 'download', downloadCode: 'dlcode-expired' },
						COF,
					),
					W.dingTalk(
						'Other Robot',
						{ resource: 'robotFile', operation: 'download', downloadCode: 'dlcode-other-robot' },
						COF,
					),
				]),
			),
			noPermission: add(
				W.chain(`noPermission${line}`, 'no permission', [
					W.trigger(),
					W.dingTalk('DingTalk', spaceGet()),
				]),
			),
			continueOnFail: add(
				W.chain(`continueOnFail${line}`, 'continue on fail', [
					W.trigger(),
					...W.itemsOf([
						{ fileId: 'dentry-report-pdf' },
						{ fileId: 'dentry-missing' },
						{ fileId: '' },
						{ fileId: 'dentry-photo-png' },
					]),
					W.dingTalk(
						'DingTalk',
						{
							resource: 'file',
							operation: 'sendToUser',
							receiverUnionId: alice,
							spaceId: SPACE,
							fileId: '={{ $json.fileId }}',
						},
						COF,
					),
				]),
			),
			stopOnFail: add(
				W.chain(`stopOnFail${line}`, 'stop on fail', [
					W.trigger(),
					...W.itemsOf([
						{ fileId: 'dentry-report-pdf' },
						{ fileId: 'dentry-missing' },
						{ fileId: 'dentry-photo-png' },
					]),
					W.dingTalk('DingTalk', {
						resource: 'file',
						operation: 'sendToUser',
						receiverUnionId: alice,
						spaceId: SPACE,
						fileId: '={{ $json.fileId }}',
					}),
				]),
			),
			fifty: add(
				W.chain(`fifty${line}`, 'fifty space look-ups, fresh credential', [
					W.trigger(),
					...W.itemsOf(Array.from({ length: 50 }, (_, i) => ({ i }))),
					W.dingTalk('DingTalk', spaceGet(), { credentialId: 'freshApp' }),
				]),
			),
			fiftyRate: add(
				W.chain(`fiftyRate${line}`, 'fifty space look-ups', [
					W.trigger(),
					...W.itemsOf(Array.from({ length: 50 }, (_, i) => ({ i }))),
					W.dingTalk('DingTalk', spaceGet()),
				]),
			),
			serverError: add(
				W.fan(`serverError${line}`, '500 answers', [
					W.dingTalk(
						'Send',
						{
							resource: 'file',
							operation: 'sendToUser',
							receiverUnionId: alice,
							spaceId: SPACE,
							fileId: 'dentry-report-pdf',
						},
						COF,
					),
				]),
			),
			serverErrorQuery: add(
				W.chain(`serverErrorQuery${line}`, '500 on a look-up', [
					W.trigger(),
					W.dingTalk('DingTalk', spaceGet()),
				]),
			),
			badSecret: add(
				W.chain(`badSecret${line}`, 'wrong secret', [
					W.trigger(),
					W.dingTalk('DingTalk', spaceGet(), { credentialId: 'badSecret' }),
				]),
			),
			suite: add(
				W.chain(`suite${line}`, 'third-party app', [
					W.trigger(),
					W.dingTalk('DingTalk', spaceGet(), { credentialId: 'suiteApp' }),
				]),
			),
			retryOnFailSend: add(
				W.chain(`retryOnFailSend${line}`, 'a send with Retry On Fail', [
					W.trigger(),
					W.dingTalk(
						'DingTalk',
						{
							resource: 'file',
							operation: 'sendToUser',
							receiverUnionId: alice,
							spaceId: SPACE,
							fileId: 'dentry-report-pdf',
						},
						{ retryOnFail: true, maxTries: 2, waitBetweenTries: 0 },
					),
				]),
			),
			zeroRate: add(
				W.chain(`zeroRate${line}`, 'calls per second from an expression', [
					W.trigger(),
					W.jsonItem('Settings', { rate: 0 }),
					W.dingTalk(
						'DingTalk',
						spaceGet({ requestOptions: { callsPerSecond: '={{ $json.rate }}' } }),
					),
				]),
			),
		};

		beforeAll(async () => {
			sandbox = createSandbox();
			urls = await sandbox.start();
			// A user folder of this process's own: two runs at once must not share n8n's database.
			n8n = new N8nInstance({ line, name: `dingtalk-${process.pid}` });
			await n8n.setup();
			await n8n.importCredentials([
				W.sandboxCredential(urls),
				W.sandboxCredential(urls, { id: 'freshApp' }),
				W.sandboxCredential(urls, {
					id: 'badSecret',
					data: { clientSecret: 'not-the-secret-0000' },
				}),
				W.sandboxCredential(urls, {
					id: 'suiteApp',
					data: {
						appType: 'thirdParty',
						suiteKey: DEMO.suite.suiteKey,
						suiteSecret: DEMO.suite.suiteSecret,
						authCorpId: DEMO.suite.authCorpId,
						suiteTicket: DEMO.suite.suiteTicket,
					},
				}),
			]);
			await n8n.importWorkflow(Object.values(workflows));
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

		beforeEach(() => {
			sandbox.clearLog();
			sandbox.sent.length = 0;
		});

		test('Group Space > Get outputs the space; one token fetch, then the stored token serves the next execution', async () => {
			const first = await execute(ids.space);
			expect(first.error).toBeNull();
			expect(first.lastNodeOutput).toEqual([{ json: DEMO.group.space, pairedItem: { item: 0 } }]);
			const [query] = log(PATH.space);
			expect(query).toMatchObject({
				status: 200,
				tokenHeader: true,
				tokenValid: true,
				query: { unionId: alice },
				body: { openConversationId: GROUP },
			});
			expect(sandbox.tokenFetches()).toBe(1);

			sandbox.clearLog();
			const second = await execute(ids.space);
			expect(second.lastNodeOutput[0].json).toEqual(DEMO.group.space);
			expect(sandbox.tokenFetches()).toBe(0);
		});

		test('File > Send to User, Send Link to Group and Send to Group deliver once each and output the file', async () => {
			const toUser = await execute(ids.sendToUser);
			expect(toUser.error).toBeNull();
			expect(toUser.lastNodeOutput[0].json).toMatchObject({
				name: 'Q3 report.pdf',
				spaceId: SPACE,
				type: 'FILE',
				status: 'NORMAL',
				extension: 'pdf',
			});
			expect(toUser.lastNodeOutput[0].json.uuid).toBeUndefined();

			const link = await execute(ids.sendLink);
			expect(link.error).toBeNull();
			expect(link.lastNodeOutput[0].json).toMatchObject({
				name: 'Q3 report.pdf',
				conversationId: GROUP,
			});
			expect(link.lastNodeOutput[0].json.uuid).toBeTruthy();

			const toGroup = await execute(ids.sendToGroup);
			expect(toGroup.error).toBeNull();
			expect(toGroup.lastNodeOutput[0].json).toMatchObject({
				name: 'team photo.png',
				conversationId: GROUP,
			});

			expect(sandbox.sent.map((entry) => [entry.endpoint, entry.unionId, entry.dentryId])).toEqual([
				[expect.stringContaining('apps/conversations/files/send'), alice, 'dentry-report-pdf'],
				[expect.stringContaining('links/send'), alice, 'dentry-report-pdf'],
				[PATH.sendToGroup, alice, 'dentry-photo-png'],
			]);
		});

		test('Media > Upload sends the exact bytes as multipart to the legacy host with the token in the query only, under the chosen file name', async () => {
			const result = await execute(ids.upload);
			expect(result.error).toBeNull();
			const [pdfOut, pngOut, renamedOut] = result.lastNodeOutput;
			expect(renamedOut.json).toMatchObject({ type: 'image', fileName: 'Offsite 2026.png' });
			expect(pdfOut.json).toMatchObject({
				type: 'file',
				fileName: 'Q3 report.pdf',
				fileSize: pdf.bytes.length,
				mimeType: 'application/pdf',
			});
			expect(pngOut.json).toMatchObject({
				type: 'image',
				fileName: 'team photo.png',
				fileSize: png.bytes.length,
				mimeType: 'image/png',
			});
			expect(pdfOut.json.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
			expect(sandbox.media.get(pdfOut.json.mediaId).sha256).toBe(sha256(pdf.bytes));
			expect(sandbox.media.get(pngOut.json.mediaId).sha256).toBe(sha256(png.bytes));
			for (const entry of log(PATH.upload)) {
				expect(entry).toMatchObject({
					host: 'legacy',
					hadQueryToken: true,
					tokenHeader: false,
					tokenValid: true,
					errcode: 0,
				});
				expect(entry.body.file.fieldName).toBe('media');
			}
			// Uploads run two at a time, so they may arrive in any order.
			const uploads = log(PATH.upload).map((entry) => [
				entry.query.type,
				entry.body.fields.type,
				entry.body.file.filename,
			]);
			expect(uploads).toHaveLength(3);
			expect(uploads).toEqual(
				expect.arrayContaining([
					['file', 'file', 'Q3 report.pdf'],
					['image', 'image', 'team photo.png'],
					['image', 'image', 'Offsite 2026.png'],
				]),
			);
		});

		test('Robot File > Download outputs the bytes as binary with the real name and extension; the file host gets no token', async () => {
			const result = await execute(ids.download);
			expect(result.error).toBeNull();
			const hashed = result.lastNodeOutput;
			expect(hashed.map((item) => item.json.sha256)).toEqual([
				DEMO.files.reportPdf.sha256,
				DEMO.files.photoPng.sha256,
				DEMO.files.voiceAmr.sha256,
			]);
			const downloaded = outputOf(result, 'DingTalk');
			expect(
				downloaded.map((item) => [
					item.binary.file.fileName,
					item.binary.file.mimeType,
					item.binary.file.fileExtension,
				]),
			).toEqual([
				['Q3 report.pdf', 'application/pdf', 'pdf'],
				[expect.stringMatching(/^[^./?]+\.png$/), 'image/png', 'png'],
				['voice.amr', 'audio/amr', 'amr'],
			]);
			expect(downloaded.map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
			]);
			// Look-ups run in parallel, so the requests may arrive in any order.
			const downloadBodies = log(PATH.download).map((entry) => entry.body);
			expect(downloadBodies).toHaveLength(3);
			expect(downloadBodies).toEqual(
				expect.arrayContaining([
					{ downloadCode: 'dlcode-report-pdf', robotCode: DEMO.app.robotCode },
					{ downloadCode: 'dlcode-photo-png', robotCode: DEMO.app.robotCode },
					{ downloadCode: 'dlcode-voice-amr', robotCode: DEMO.app.robotCode },
				]),
			);
			const fileHost = sandbox.requests.filter((entry) => entry.host === 'files');
			expect(fileHost).toHaveLength(3);
			for (const entry of fileHost)
				expect(entry).toMatchObject({ status: 200, tokenHeader: false, hadQueryToken: false });
			// The signed URL is in no output item when the content is downloaded.
			expect(JSON.stringify(result.runData)).not.toContain(urls.fileBaseUrl);
		});

		test('Robot File > Download with content off outputs only the temporary URL', async () => {
			const result = await execute(ids.downloadUrlOnly);
			expect(result.error).toBeNull();
			expect(Object.keys(result.lastNodeOutput[0].json)).toEqual(['downloadUrl']);
			expect(result.lastNodeOutput[0].json.downloadUrl).toMatch(
				new RegExp(`^${urls.fileBaseUrl}/[^/]+\\.file\\?Expires=\\d+&Signature=`),
			);
			expect(result.lastNodeOutput[0].binary).toBeUndefined();
			expect(sandbox.requests.filter((entry) => entry.host === 'files')).toHaveLength(0);
		});

		test('bad IDs are refused before any request, each with a message naming the field', async () => {
			const result = await execute(ids.badInput);
			const errorOf = (node) => outputOf(result, node).map((item) => item.json.error);
			expect(errorOf('Space')).toEqual([
				'Open Conversation ID: "SandboxTeamGroup0001==" does not look like one: it should start with "cid"',
			]);
			expect(errorOf('To User')).toEqual(['Receiver Union ID: is empty']);
			expect(errorOf('Link')).toEqual(['File ID: "dentry report" contains spaces or line breaks']);
			expect(errorOf('To Group')).toEqual(['Space ID: is empty']);
			expect(errorOf('Download')).toEqual(['Download Code: is empty']);
			expect(sandbox.requests).toEqual([]);
		});

		test('a wrong media type, an oversized file or a missing binary field is refused before any request', async () => {
			const result = await execute(ids.badMedia);
			const errors = result.lastNodeOutput.map((item) => item.json.error);
			expect(errors[0]).toMatch(
				/^Media Type: cannot tell what kind of media "notes\.txt" \(text\/plain\) is: DingTalk accepts image: /,
			);
			expect(errors[1]).toBe(
				'Input Binary Field: "long.mp3" is 2,097,153 bytes; DingTalk accepts voice files up to 2 MB (2 × 1,048,576 bytes)',
			);
			expect(errors[2]).toBe(
				'Media Type: DingTalk accepts only jpg, jpeg, gif, png, bmp as image, and "Q3 report.pdf" is a .pdf file',
			);
			expect(result.lastNodeOutput.map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
			]);

			const missing = await execute(ids.missingBinary);
			expect(missing.error.message).toBe(
				'Input Binary Field: item 1 has no binary field "attachment" (it has no binary data at all)',
			);
			expect(sandbox.requests).toEqual([]);
		});

		test("DingTalk's error codes become errors that say what happened, with code, message, request ID and what to do", async () => {
			const result = await execute(ids.dingTalkErrors);
			const errorOf = (node) => outputOf(result, node)[0].json;
			expect(errorOf('Not Member')).toMatchObject({
				error: expect.stringContaining('[permissionDenied]'),
				code: 'permissionDenied',
				requestId: expect.any(String),
			});
			expect(errorOf('Not Member').description).toMatch(/Request ID: \S+/);
			expect(errorOf('Not Member').description).toContain(
				'What to do: Use the unionId of a member who may read and add the files, and check that the app has the permission ConvFile.Space.Read.',
			);
			expect(errorOf('Not Member').description).toContain(
				'This operation needs the app permission ConvFile.Space.Read.',
			);
			expect(errorOf('No Group')).toMatchObject({
				code: 'conversationNotExist',
				error: expect.stringContaining('found no group'),
			});
			expect(errorOf('No File')).toMatchObject({ code: 'dentryNotExist' });
			expect(errorOf('Folder')).toMatchObject({
				code: 'folderNotSupport',
				error: expect.stringContaining('only files can be sent'),
			});
			expect(errorOf('Expired Code')).toMatchObject({
				code: 'invalidParameter.robotCode.downloadCode',
			});
			expect(errorOf('Other Robot')).toMatchObject({ code: 'invalidParameter.robotCode.auth' });
			// Every error item carries DingTalk's own message in its description.
			for (const node of [
				'Not Member',
				'No Group',
				'No File',
				'Folder',
				'Expired Code',
				'Other Robot',
			]) {
				expect(errorOf(node).description).toContain("DingTalk's message:");
			}
		});

		test('a missing app permission names the permission to grant in the developer console', async () => {
			sandbox.revokeScope(DEMO.app.appKey, 'ConvFile.Space.Read');
			try {
				const result = await execute(ids.noPermission);
				expect(result.error.message).toBe(
					'DingTalk: the DingTalk app lacks the API permission this operation needs [Forbidden.AccessDenied.AccessTokenPermissionDenied]',
				);
				expect(result.error.description).toContain('Missing permission: ConvFile.Space.Read');
				expect(result.error.description).toContain('apply for ConvFile.Space.Read');
			} finally {
				sandbox.grantScope(DEMO.app.appKey, 'ConvFile.Space.Read');
			}
		});

		test('Continue On Fail: one error item per failed item, paired to it, and the other items go on', async () => {
			const result = await execute(ids.continueOnFail);
			expect(result.error).toBeNull();
			const items = result.lastNodeOutput;
			expect(items.map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
				{ item: 3 },
			]);
			expect(items[0].json.name).toBe('Q3 report.pdf');
			expect(items[1].json).toMatchObject({
				code: 'dentryNotExist',
				error: expect.stringContaining('found no file'),
			});
			expect(items[2].json.error).toBe('File ID: is empty');
			expect(items[3].json.name).toBe('team photo.png');
			expect(sandbox.sent.map((entry) => entry.dentryId)).toEqual([
				'dentry-report-pdf',
				'dentry-photo-png',
			]);
		});

		test('without Continue On Fail the node stops at the failed item and sends nothing after it', async () => {
			const result = await execute(ids.stopOnFail);
			expect(result.error.message).toContain('[dentryNotExist]');
			expect(sandbox.sent.map((entry) => entry.dentryId)).toEqual(['dentry-report-pdf']);
		});

		test('a token invalidated in the middle of a 50-item run: no failed item, exactly one extra token fetch', async () => {
			sandbox.invalidateTokensAfter(25);
			const result = await execute(ids.fifty);
			expect(result.error).toBeNull();
			expect(result.lastNodeOutput).toHaveLength(50);
			for (const item of result.lastNodeOutput) expect(item.json).toEqual(DEMO.group.space);
			// Exactly one fetch after the first refusal, shared by every item in flight. Before it, one fetch
			// at most: none when the served n8n still holds this app's token from an earlier test.
			const calls = sandbox.requests.filter((entry) =>
				[PATH.token, PATH.space].includes(entry.path),
			);
			const firstRefusal = calls.findIndex((entry) => entry.code === 'InvalidAuthentication');
			expect(firstRefusal).toBeGreaterThan(0);
			const fetches = (entries) => entries.filter((entry) => entry.path === PATH.token).length;
			expect(fetches(calls.slice(firstRefusal))).toBe(1);
			expect(fetches(calls.slice(0, firstRefusal))).toBeLessThanOrEqual(1);
			expect(log(PATH.space).filter((entry) => entry.status === 200)).toHaveLength(50);
		});

		test("50 items under DingTalk's limit of 20 per second: all succeed, hardly any call refused", async () => {
			sandbox.setRateLimit({ enabled: true, perSecond: 20 });
			try {
				const result = await execute(ids.fiftyRate);
				expect(result.error).toBeNull();
				expect(result.lastNodeOutput).toHaveLength(50);
				const calls = log(PATH.space);
				// The earlier invalidation test left this credential's stored token dead: healing is allowed here.
				const refused = calls.filter(
					(entry) => entry.code === 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
				);
				expect(
					calls.filter(
						(entry) =>
							entry.status !== 200 &&
							entry.code !== 'InvalidAuthentication' &&
							!refused.includes(entry),
					),
				).toEqual([]);
				// Without the node's own limit, 30 of the 50 would be refused at once.
				expect(refused.length).toBeLessThanOrEqual(2);
				expect(calls.filter((entry) => entry.status === 200)).toHaveLength(50);
				expect(peakPerSecond(calls.filter((entry) => entry.status === 200))).toBeLessThanOrEqual(
					20,
				);
			} finally {
				sandbox.setRateLimit({ enabled: false });
			}
		});

		test('when DingTalk allows fewer calls than the node is set to, refused calls go again until every item succeeds', async () => {
			sandbox.setRateLimit({ enabled: true, perSecond: 8 });
			try {
				const result = await execute(ids.fiftyRate);
				expect(result.error).toBeNull();
				expect(result.lastNodeOutput).toHaveLength(50);
				const calls = log(PATH.space);
				expect(
					calls.filter((entry) => entry.code === 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi')
						.length,
				).toBeGreaterThan(0);
				expect(calls.filter((entry) => entry.status === 200)).toHaveLength(50);
			} finally {
				sandbox.setRateLimit({ enabled: false });
			}
		});

		test('a send answered with a server error is not sent again; a look-up is', async () => {
			sandbox.failNext(
				{ path: PATH.sendToUser },
				{
					status: 500,
					body: { code: 'systemError', message: 'internal error', requestid: 'req-500' },
				},
			);
			const send = await execute(ids.serverError);
			const [item] = outputOf(send, 'Send');
			expect(item.json).toMatchObject({ code: 'systemError', requestId: 'req-500' });
			expect(item.json.description).toContain('DingTalk may already have delivered it');
			expect(log(PATH.sendToUser)).toHaveLength(1);

			sandbox.clearLog();
			sandbox.failNext(
				{ path: PATH.space },
				{
					status: 500,
					body: { code: 'systemError', message: 'internal error', requestid: 'req-501' },
				},
			);
			const query = await execute(ids.serverErrorQuery);
			expect(query.error).toBeNull();
			expect(log(PATH.space).map((entry) => entry.status)).toEqual([500, 200]);
		});

		test("a wrong app secret shows DingTalk's own reason", async () => {
			const result = await execute(ids.badSecret);
			expect(result.error.message).toContain('invalidClientIdOrSecret');
			expect(log(PATH.token).map((entry) => entry.code)).toEqual(['invalidClientIdOrSecret']);
			expect(log(PATH.space)).toHaveLength(0);
		});

		test('settings that make no sense are refused before anything is sent: Retry On Fail on a send, a rate of 0', async () => {
			const retried = await execute(ids.retryOnFailSend);
			expect(retried.error.message).toBe(
				'Retry On Fail is on: it would send the messages of this node again, the delivered ones too',
			);
			const zero = await execute(ids.zeroRate);
			expect(zero.error.message).toBe(
				'Request Options > Calls per Second: "0" is not a whole number from 1 to 20',
			);
			expect(sandbox.requests).toEqual([]);
			expect(sandbox.sent).toEqual([]);
		});

		test('a third-party enterprise app gets its token from corpAccessToken', async () => {
			const result = await execute(ids.suite);
			expect(result.error).toBeNull();
			expect(result.lastNodeOutput[0].json).toEqual(DEMO.group.space);
			expect(log(PATH.corpToken)).toHaveLength(1);
			expect(log(PATH.corpToken)[0].body).toMatchObject({
				suiteKey: DEMO.suite.suiteKey,
				authCorpId: DEMO.suite.authCorpId,
			});
		});

		test("in the editor: the node, its AI tool variant and themed icons load, and the credential's Test button shows DingTalk's own reason", async () => {
			const { server: editor, rest } = n8n;
			// n8n's built editor lands outside the repository, so `npm run lint` does not lint it.
			const editorFiles = path.join(n8n.userFolder, '.cache', 'n8n', 'public');
			expect(fs.readdirSync(editorFiles)).toContain('index.html');
			const repository = path.resolve(__dirname, '..', '..');
			expect(path.relative(repository, fs.realpathSync(editorFiles))).toMatch(/^\.\./);
			const nodeTypes = (await rest.get('/types/nodes.json')).filter((type) =>
				type.name.startsWith('n8n-nodes-dingtalk-files.'),
			);
			// The triggers have no AI tool variant (never usableAsTool).
			expect(nodeTypes.map((type) => type.name).sort()).toEqual([
				'n8n-nodes-dingtalk-files.dingTalk',
				'n8n-nodes-dingtalk-files.dingTalkRobotTrigger',
				'n8n-nodes-dingtalk-files.dingTalkRobotWebhookTrigger',
				'n8n-nodes-dingtalk-files.dingTalkTool',
			]);
			const byName = (name) =>
				nodeTypes.find((type) => type.name === `n8n-nodes-dingtalk-files.${name}`);
			const dingTalk = byName('dingTalk');
			const triggers = [byName('dingTalkRobotTrigger'), byName('dingTalkRobotWebhookTrigger')];
			for (const type of [dingTalk, ...triggers])
				expect(type.codex.categories).toEqual(['Communication', 'Data & Storage']);
			expect(triggers.map((type) => type.group)).toEqual([['trigger'], ['trigger']]);
			const credentialType = (await rest.get('/types/credentials.json')).find(
				(type) => type.name === 'dingTalkApi',
			);
			for (const iconUrl of [
				...[dingTalk, ...triggers].flatMap((type) => [type.iconUrl.light, type.iconUrl.dark]),
				credentialType.iconUrl.light,
			]) {
				const icon = await fetch(`${editor.url}/${iconUrl}`);
				expect(icon.headers.get('content-type')).toBe('image/svg+xml');
				expect(await icon.text()).toMatch(/^<svg /);
			}
			expect(dingTalk.iconUrl.light).not.toBe(dingTalk.iconUrl.dark);
			const results = [];
			const suite = {
				appType: 'thirdParty',
				suiteKey: DEMO.suite.suiteKey,
				suiteSecret: DEMO.suite.suiteSecret,
				authCorpId: DEMO.suite.authCorpId,
				suiteTicket: DEMO.suite.suiteTicket,
			};
			for (const [index, data] of [
				{ clientSecret: 'not-the-secret-0000' },
				{ clientSecret: DEMO.app.appSecret },
				suite,
			].entries()) {
				const credential = W.sandboxCredential(urls, { data });
				const created = await rest.post('/rest/credentials', {
					name: `test ${index}`,
					type: credential.type,
					data: credential.data,
				});
				const tested = await rest.post('/rest/credentials/test', {
					credentials: {
						id: created.data.id,
						name: created.data.name,
						type: credential.type,
						data: credential.data,
					},
				});
				results.push(tested.data);
			}
			expect(results[0].status).toBe('Error');
			expect(results[0].message).toMatch(
				/^DingTalk did not issue an access token: .+ \[invalidClientIdOrSecret\] \(request id \S+\)$/,
			);
			expect(results[1]).toEqual({ status: 'OK', message: 'Connection successful!' });
			expect(results[2]).toEqual({ status: 'OK', message: 'Connection successful!' });
			expect(log(PATH.corpToken).length).toBeGreaterThan(0);
			expect(log(PATH.token).map((entry) => entry.code)).toContain('invalidClientIdOrSecret');
		});

		test('no access token, app secret, suite secret or signed URL appears in any output, error or log line', () => {
			const secrets = [
				DEMO.app.appSecret,
				DEMO.suite.suiteSecret,
				'not-the-secret-0000',
				...sandbox.issuedTokens(),
			];
			expect(sandbox.issuedTokens().length).toBeGreaterThan(2);
			expect(runs.length).toBeGreaterThan(10);
			// Each run, and everything the served n8n printed (the editor's calls too).
			for (const run of [...runs, n8n.served]) {
				const printed = `${run.stdout}\n${run.stderr}`;
				for (const secret of secrets) expect(printed).not.toContain(secret);
				// Signed URLs only where returning one is the job (Download with content off).
				const outsideUrlOnly =
					run === runs.find((r) => r.lastNodeOutput?.[0]?.json?.downloadUrl) ? '' : printed;
				expect(outsideUrlOnly).not.toContain('Signature=');
			}
		});
	});
}

module.exports = { defineSuite };
