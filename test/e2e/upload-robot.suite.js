'use strict';
// End-to-end: File > Upload into DingTalk storage, Robot Message > Send, and the credential in n8n's own
// HTTP Request node, in a real n8n process (one major line per test file) against the DingTalk sandbox.
// Every test reads what a user would see and what DingTalk would have received (the sandbox's log).
const crypto = require('node:crypto');
const fs = require('node:fs');
const { N8nInstance } = require('./n8n');
const { createSandbox, DEMO, PATHS } = require('../sandbox/server');
const W = require('./workflows');

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const MiB = 1024 * 1024;
const GROUP = DEMO.group.openConversationId;
const SPACE = DEMO.group.space.spaceId;
const { alice } = DEMO.users;
const COF = { onError: 'continueRegularOutput' };
const STORAGE = {
	uploadInfo: `/v1.0/storage/spaces/${SPACE}/files/uploadInfos/query`,
	commit: `/v1.0/storage/spaces/${SPACE}/files/commit`,
};
const ROBOT = {
	toGroup: '/v1.0/robot/groupMessages/send',
	toUsers: '/v1.0/robot/oToMessages/batchSend',
};

// The files the workflows carry (Convert to File turns each item's b64 into binary field "data").
const BIG = crypto.randomBytes(6 * MiB + 123);
const PDF = DEMO.files.reportPdf;
const PNG = DEMO.files.photoPng;
const AMR = DEMO.files.voiceAmr;
// A minimal MP4 (an ftyp box): the media rules look at the extension and size only.
const MP4 = Buffer.concat([
	Buffer.from([0, 0, 0, 24]),
	Buffer.from('ftypisom\0\0\x02\0isomiso2', 'latin1'),
]);
const fileOf = (bytes, fileName, mimeType, extra = {}) => ({
	b64: bytes.toString('base64'),
	fileName,
	mimeType,
	...extra,
});

const fromItems = (field) => `={{ $('Items').item.json.${field} }}`;

function defineSuite(line) {
	jest.setTimeout(20 * 60 * 1000);
	describe(`File > Upload, Robot Message > Send and the HTTP Request node in real n8n ${line}.x`, () => {
		let sandbox;
		let urls;
		let n8n;
		const runs = [];
		const ids = {};
		const log = (path) => sandbox.requests.filter((entry) => entry.path === path);
		const outputOf = (result, node) => result.runData[node]?.[0]?.data?.main?.[0] ?? [];
		const execute = async (id) => {
			const result = await n8n.execute(ids[id]);
			runs.push(result);
			return result;
		};

		function workflows() {
			const id = (name) => (ids[name] = `${name}${line}`);
			const items = (rows) => W.itemsOf(rows);
			return [
				W.chain(id('toGroup'), 'upload a report to the group and send it', [
					W.trigger(),
					...items([fileOf(BIG, 'weekly report.zip', 'application/zip')]),
					W.toFile(),
					W.uploadToGroup('DingTalk', { thenSend: 'file' }),
				]),
				W.chain(id('conflicts'), 'each conflict strategy, into a space by ID', [
					W.trigger(),
					...items([
						fileOf(Buffer.from('kept?'), 'Q3 report.pdf', 'application/pdf', {
							conflict: 'returnExisting',
							send: 'none',
							folderId: '',
						}),
						fileOf(Buffer.from('refused'), 'Q3 report.pdf', 'application/pdf', {
							conflict: 'fail',
							send: 'none',
							folderId: '',
						}),
						fileOf(Buffer.from('renamed copy'), 'Q3 report.pdf', 'application/pdf', {
							conflict: 'rename',
							send: 'none',
							folderId: '',
						}),
						fileOf(Buffer.from('the new Q3 report'), 'Q3 report.pdf', 'application/pdf', {
							conflict: 'overwrite',
							send: 'none',
							folderId: '',
						}),
						fileOf(PDF.bytes, 'agenda.pdf', 'application/pdf', {
							conflict: 'rename',
							send: 'link',
							folderId: 'dentry-folder-docs',
						}),
					]),
					W.toFile(),
					W.uploadToGroup(
						'DingTalk',
						{
							destination: 'space',
							spaceId: SPACE,
							thenSend: fromItems('send'),
							options: { conflict: fromItems('conflict'), folderId: fromItems('folderId') },
						},
						COF,
					),
				]),
				W.chain(id('badNames'), 'names DingTalk refuses', [
					W.trigger(),
					...items(
						[
							'report.',
							'a*b.pdf',
							'tab\there.pdf',
							'say "hi".pdf',
							'<draft>.pdf',
							'a|b.pdf',
							' notes. ',
						].map((name) => fileOf(Buffer.from('x'), 'x.pdf', 'application/pdf', { name })),
					),
					W.toFile(),
					W.uploadToGroup(
						'DingTalk',
						{ thenSend: 'file', options: { fileName: fromItems('name') } },
						COF,
					),
				]),
				W.chain(id('missingBinary'), 'no binary data', [W.trigger(), W.uploadToGroup('DingTalk')]),
				W.graph(
					id('kinds'),
					'a robot message of each kind, media uploaded in the same step',
					[
						W.trigger(),
						...items(
							[
								fileOf(Buffer.from('-'), 'unused.txt', 'text/plain', {
									kind: 'text',
									text: 'Build 42 is green',
									title: '',
									markdown: '',
									duration: 0,
								}),
								fileOf(Buffer.from('-'), 'unused.txt', 'text/plain', {
									kind: 'markdown',
									text: '',
									title: 'Release',
									markdown: '## Release 1.2\n- faster uploads',
									duration: 0,
								}),
								fileOf(PNG.bytes, 'team photo.png', 'image/png', {
									kind: 'image',
									text: '',
									title: '',
									markdown: '',
									duration: 0,
								}),
								fileOf(PDF.bytes, 'Q3 report.pdf', 'application/pdf', {
									kind: 'file',
									text: '',
									title: '',
									markdown: '',
									duration: 0,
								}),
								fileOf(AMR.bytes, 'voice.amr', 'audio/amr', {
									kind: 'voice',
									text: '',
									title: '',
									markdown: '',
									duration: 3.2,
								}),
								fileOf(MP4, 'clip.mp4', 'video/mp4', {
									kind: 'video',
									text: '',
									title: '',
									markdown: '',
									duration: 12,
								}),
							].map((row) => ({ ...row, cover: PNG.bytes.toString('base64') })),
						),
						W.toFile('To File'),
						{
							...W.toFile('Cover To File'),
							parameters: {
								...W.toFile().parameters,
								sourceProperty: 'cover',
								binaryPropertyName: 'cover',
								options: { fileName: 'cover.png', mimeType: 'image/png' },
							},
						},
						W.mergeByPosition('Together', 3),
						W.dingTalk('DingTalk', {
							resource: 'robotMessage',
							operation: 'send',
							sendTo: 'group',
							openConversationId: GROUP,
							messageKind: '={{ $json.kind }}',
							text: '={{ $json.text }}',
							title: '={{ $json.title }}',
							markdown: '={{ $json.markdown }}',
							mediaSource: 'binary',
							binaryPropertyName: 'data',
							coverBinaryPropertyName: 'cover',
							durationSeconds: '={{ $json.duration }}',
						}),
					],
					[
						['Start', 'Rows'],
						['Rows', 'Items'],
						['Items', 'To File'],
						['Items', 'Cover To File'],
						['Items', 'Together', 0],
						['To File', 'Together', 1],
						['Cover To File', 'Together', 2],
						['Together', 'DingTalk'],
					],
				),
				W.chain(id('toUsers'), 'a robot message to users', [
					W.trigger(),
					W.dingTalk('DingTalk', {
						resource: 'robotMessage',
						operation: 'send',
						sendTo: 'users',
						userIds: 'staffAlice01, nobody, staffBob02',
						messageKind: 'text',
						text: 'Your report is ready',
					}),
				]),
				W.chain(id('badRobot'), 'robot messages refused before sending', [
					W.trigger(),
					...items([
						fileOf(PDF.bytes, 'Q3 report.pdf', 'application/pdf', {
							kind: 'text',
							users: Array.from({ length: 21 }, (_, i) => `staff${i}`).join(','),
							text: 'hi',
							duration: 0,
						}),
						fileOf(PDF.bytes, 'Q3 report.pdf', 'application/pdf', {
							kind: 'text',
							users: 'staffAlice01',
							text: '  ',
							duration: 0,
						}),
						fileOf(PDF.bytes, 'Q3 report.pdf', 'application/pdf', {
							kind: 'image',
							users: 'staffAlice01',
							text: '',
							duration: 0,
						}),
						fileOf(AMR.bytes, 'voice.amr', 'audio/amr', {
							kind: 'voice',
							users: 'staffAlice01',
							text: '',
							duration: 0,
						}),
						fileOf(PDF.bytes, 'Q3 report.pdf', 'application/pdf', {
							kind: 'text',
							users: 'staffAlice01',
							text: 'é'.repeat(8000),
							duration: 0,
						}),
					]),
					W.toFile(),
					W.dingTalk(
						'DingTalk',
						{
							resource: 'robotMessage',
							operation: 'send',
							sendTo: 'users',
							userIds: fromItems('users'),
							messageKind: fromItems('kind'),
							text: fromItems('text'),
							mediaSource: 'binary',
							binaryPropertyName: 'data',
							durationSeconds: fromItems('duration'),
						},
						COF,
					),
				]),
			];
		}

		// The HTTP Request node calling a new-API and a legacy endpoint with the credential.
		function httpWorkflows() {
			const id = (name) => (ids[name] = `${name}${line}`);
			const newApi = W.httpRequest(
				'New API',
				{
					method: 'POST',
					url: `${urls.apiBaseUrl}${PATHS.spaceQuery}`,
					sendQuery: true,
					queryParameters: { parameters: [{ name: 'unionId', value: alice }] },
					sendBody: true,
					specifyBody: 'json',
					jsonBody: JSON.stringify({ openConversationId: GROUP }),
				},
				'httpApp',
			);
			const legacy = W.httpRequest(
				'Legacy API',
				{
					method: 'POST',
					url: `${urls.legacyBaseUrl}${PATHS.mediaUpload}`,
					sendQuery: true,
					queryParameters: { parameters: [{ name: 'type', value: 'file' }] },
					sendBody: true,
					contentType: 'multipart-form-data',
					bodyParameters: {
						parameters: [
							{ parameterType: 'formData', name: 'type', value: 'file' },
							{ parameterType: 'formBinaryData', name: 'media', inputDataFieldName: 'data' },
						],
					},
				},
				'httpApp',
			);
			const report = W.jsonItem('Report', fileOf(PDF.bytes, 'Q3 report.pdf', 'application/pdf'));
			return [
				W.chain(id('httpBoth'), 'HTTP Request node: new API, then legacy API', [
					W.trigger(),
					newApi,
					report,
					W.toFile(),
					legacy,
				]),
				W.chain(id('httpLegacy'), 'HTTP Request node: legacy API only', [
					W.trigger(),
					report,
					W.toFile(),
					legacy,
				]),
			];
		}

		beforeAll(async () => {
			sandbox = createSandbox();
			urls = await sandbox.start();
			n8n = new N8nInstance({ line, name: `upload-robot-${process.pid}` });
			await n8n.setup();
			await n8n.importCredentials([
				W.sandboxCredential(urls),
				W.sandboxCredential(urls, { id: 'httpApp' }),
			]);
			await n8n.importWorkflow([...workflows(), ...httpWorkflows()]);
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

		test("File > Upload: a 6 MB file goes into the group's space byte for byte, in three steps, and is sent to the group", async () => {
			const result = await execute('toGroup');
			expect(result.error).toBeNull();
			const [item] = result.lastNodeOutput;
			expect(item.pairedItem).toEqual({ item: 0 });
			expect(item.json).toMatchObject({
				name: 'weekly report.zip',
				size: BIG.length,
				spaceId: SPACE,
				parentId: '0',
				type: 'FILE',
				extension: 'zip',
				sentFile: { name: 'weekly report.zip', conversationId: GROUP, spaceId: SPACE },
			});
			expect(item.json.dentryId).toEqual(expect.any(String));
			expect(sandbox.storedFile(SPACE, item.json.dentryId).sha256).toBe(sha256(BIG));
			expect(
				sandbox.requests.map(
					(entry) =>
						`${entry.method} ${entry.path.startsWith('/sandbox-') ? 'signed PUT' : entry.path} ${entry.status}`,
				),
			).toEqual([
				'POST /v1.0/oauth2/accessToken 200',
				`POST ${PATHS.spaceQuery} 200`,
				`POST ${STORAGE.uploadInfo} 200`,
				'PUT signed PUT 200',
				`POST ${STORAGE.commit} 200`,
				`POST ${PATHS.sendToGroup} 200`,
			]);
			const [put] = sandbox.requests.filter((entry) => entry.host === 'uploads');
			// Exactly the signed headers: no token, no Content-Type of the HTTP client's, the real length.
			expect(put).toMatchObject({ tokenHeader: false, hadQueryToken: false, tokenValid: null });
			expect(put.body).toEqual({
				contentType: null,
				contentLength: String(BIG.length),
				chunked: false,
				signed: true,
				size: BIG.length,
				sha256: sha256(BIG),
			});
			expect(log(STORAGE.commit)[0].body).toMatchObject({
				name: 'weekly report.zip',
				parentId: '0',
				option: { size: BIG.length, conflictStrategy: 'AUTO_RENAME' },
			});
			expect(sandbox.sent).toEqual([
				expect.objectContaining({
					dentryId: item.json.dentryId,
					openConversationId: GROUP,
					unionId: alice,
				}),
			]);
			expect(`${result.stdout}${result.stderr}${JSON.stringify(result.runData)}`).not.toContain(
				urls.uploadBaseUrl,
			);
		});

		test('each conflict strategy, into a space by ID and a folder, with a link sent', async () => {
			const before = sandbox.storedFile(SPACE, 'dentry-report-pdf');
			const result = await execute('conflicts');
			expect(result.error).toBeNull();
			const [kept, refused, renamed, overwritten, inFolder] = result.lastNodeOutput;
			expect(result.lastNodeOutput.map((item) => item.pairedItem)).toEqual(
				[0, 1, 2, 3, 4].map((item) => ({ item })),
			);
			expect(kept.json).toMatchObject({
				dentryId: 'dentry-report-pdf',
				name: 'Q3 report.pdf',
				size: before.size,
			});
			expect(refused.json).toMatchObject({
				code: 'dentryNameConflict',
				error: expect.stringContaining('[dentryNameConflict]'),
			});
			expect(renamed.json).toMatchObject({ name: 'Q3 report(1).pdf', size: 'renamed copy'.length });
			expect(renamed.json.dentryId).not.toBe('dentry-report-pdf');
			expect(overwritten.json).toMatchObject({
				dentryId: 'dentry-report-pdf',
				name: 'Q3 report.pdf',
				size: 'the new Q3 report'.length,
				version: 2,
			});
			expect(sandbox.storedFile(SPACE, 'dentry-report-pdf').sha256).toBe(
				sha256(Buffer.from('the new Q3 report')),
			);
			expect(inFolder.json).toMatchObject({
				name: 'agenda.pdf',
				parentId: 'dentry-folder-docs',
				sentFile: { name: 'agenda.pdf', conversationId: GROUP },
			});
			// The refused commit stored nothing.
			expect(sandbox.commits.slice(-4).map((c) => [c.conflictStrategy, c.outcome])).toEqual([
				['RETURN_DENTRY_IF_EXISTS', 'returnedExisting'],
				['AUTO_RENAME', 'renamed'],
				['OVERWRITE', 'overwritten'],
				['AUTO_RENAME', 'created'],
			]);
			// Space by ID: no space look-up; the refused commit was sent once; only the fifth item was posted.
			expect(log(PATHS.spaceQuery)).toHaveLength(0);
			expect(log(STORAGE.commit).map((entry) => entry.body.option.conflictStrategy)).toEqual([
				'RETURN_DENTRY_IF_EXISTS',
				'RETURN_ERROR_IF_EXISTS',
				'AUTO_RENAME',
				'OVERWRITE',
				'AUTO_RENAME',
			]);
			expect(sandbox.sent.map((entry) => [entry.endpoint, entry.dentryId])).toEqual([
				[PATHS.sendLink, inFolder.json.dentryId],
			]);
		});

		test('names DingTalk refuses and a missing binary are refused before any request, naming the rule', async () => {
			const result = await execute('badNames');
			const errors = result.lastNodeOutput.map((item) => item.json.error);
			const rule = 'DingTalk does not allow tabs or * " < > | in file names';
			expect(errors).toEqual([
				'File Name: "report." ends with a dot, which DingTalk does not allow',
				`File Name: "a*b.pdf" contains '*'; ${rule}`,
				`File Name: "tab\\there.pdf" contains a tab; ${rule}`,
				`File Name: "say "hi".pdf" contains '"'; ${rule}`,
				`File Name: "<draft>.pdf" contains '<' and '>'; ${rule}`,
				`File Name: "a|b.pdf" contains '|'; ${rule}`,
				// DingTalk trims the spaces itself, and then the name ends with a dot
				'File Name: "notes." ends with a dot, which DingTalk does not allow',
			]);
			expect(result.lastNodeOutput.map((item) => item.pairedItem.item)).toEqual([
				0, 1, 2, 3, 4, 5, 6,
			]);
			expect(result.lastNodeOutput[0].json.description).toContain('Nothing was sent to DingTalk');
			expect(sandbox.requests).toEqual([]);
			const missing = await execute('missingBinary');
			expect(missing.error.message).toBe(
				'Input Binary Field: item 1 has no binary field "data" (it has no binary data at all)',
			);
		});

		test('Robot Message > Send: one message of each kind to the group, media uploaded in the same step, in item order', async () => {
			const result = await execute('kinds');
			expect(result.error).toBeNull();
			const output = result.lastNodeOutput;
			expect(output.map((item) => item.json.msgKey)).toEqual([
				'sampleText',
				'sampleMarkdown',
				'sampleImageMsg',
				'sampleFile',
				'sampleAudio',
				'sampleVideo',
			]);
			for (const item of output) expect(item.json.processQueryKey).toEqual(expect.any(String));
			const messages = sandbox.robotMessages.slice(-6);
			expect(messages.map((message) => message.processQueryKey)).toEqual(
				output.map((item) => item.json.processQueryKey),
			);
			const [text, markdown, image, file, voice, video] = messages.map(
				(message) => message.msgParam,
			);
			expect(text).toEqual({ content: 'Build 42 is green' });
			expect(markdown).toEqual({ title: 'Release', text: '## Release 1.2\n- faster uploads' });
			expect(image).toEqual({ photoURL: output[2].json.mediaId });
			expect(file).toEqual({
				mediaId: output[3].json.mediaId,
				fileName: 'Q3 report.pdf',
				fileType: 'pdf',
			});
			expect(voice).toEqual({ mediaId: output[4].json.mediaId, duration: '3200' });
			expect(video).toEqual({
				duration: '12',
				videoMediaId: output[5].json.mediaId,
				videoType: 'mp4',
				picMediaId: output[5].json.coverMediaId,
			});
			// The media DingTalk got are the input bytes, uploaded with the type each message needs.
			const media = (id) => sandbox.media.get(id);
			expect(media(output[2].json.mediaId)).toMatchObject({ type: 'image', sha256: PNG.sha256 });
			expect(media(output[3].json.mediaId)).toMatchObject({
				type: 'file',
				sha256: PDF.sha256,
				filename: 'Q3 report.pdf',
			});
			expect(media(output[4].json.mediaId)).toMatchObject({ type: 'voice', sha256: AMR.sha256 });
			expect(media(output[5].json.mediaId)).toMatchObject({ type: 'video', sha256: sha256(MP4) });
			expect(media(output[5].json.coverMediaId)).toMatchObject({
				type: 'image',
				sha256: PNG.sha256,
			});
			// Each send after its own uploads, one item at a time.
			const order = sandbox.requests
				.filter((entry) => entry.path === PATHS.mediaUpload || entry.path === ROBOT.toGroup)
				.map((entry) => (entry.path === ROBOT.toGroup ? 'send' : entry.body.fields.type));
			expect(order).toEqual([
				'send',
				'send',
				'image',
				'send',
				'file',
				'send',
				'voice',
				'send',
				'video',
				'image',
				'send',
			]);
			expect(log(ROBOT.toGroup).map((entry) => entry.body.robotCode)).toEqual(
				Array(6).fill(DEMO.app.robotCode),
			);
		});

		test('Robot Message > Send to users outputs the invalid and the flow-controlled users', async () => {
			sandbox.setFlowControlled(['staffBob02']);
			try {
				const result = await execute('toUsers');
				expect(result.error).toBeNull();
				expect(result.lastNodeOutput[0].json).toEqual({
					processQueryKey: expect.any(String),
					msgKey: 'sampleText',
					userIds: ['staffAlice01', 'nobody', 'staffBob02'],
					invalidUserIds: ['nobody'],
					flowControlledUserIds: ['staffBob02'],
				});
				expect(log(ROBOT.toUsers)[0].body).toMatchObject({
					userIds: ['staffAlice01', 'nobody', 'staffBob02'],
					msgKey: 'sampleText',
				});
			} finally {
				sandbox.setFlowControlled([]);
			}
		});

		test('robot messages DingTalk would refuse are refused before any request, naming the field', async () => {
			const result = await execute('badRobot');
			expect(result.lastNodeOutput.map((item) => item.json.error)).toEqual([
				'User IDs: names 21 users; DingTalk takes at most 20 per message (split them over several items)',
				'Text: is empty',
				'Message Type: DingTalk accepts only jpg, jpeg, gif, png, bmp as image, and "Q3 report.pdf" is a .pdf file',
				'Duration (Seconds): must be more than 0',
				`Text: makes a message of ${Buffer.byteLength(JSON.stringify({ content: 'é'.repeat(8000) })).toLocaleString('en-US')} bytes; DingTalk takes at most 15,000`,
			]);
			expect(sandbox.requests).toEqual([]);
		});

		test('the HTTP Request node: the token goes in the header for the new API and in the query for the legacy API', async () => {
			const result = await execute('httpBoth');
			expect(result.error).toBeNull();
			expect(outputOf(result, 'New API')[0].json).toEqual({ space: DEMO.group.space });
			const uploaded = outputOf(result, 'Legacy API')[0].json;
			expect(uploaded).toMatchObject({ errcode: 0, type: 'file' });
			expect(sandbox.media.get(uploaded.media_id).sha256).toBe(PDF.sha256);
			expect(log(PATHS.spaceQuery)).toEqual([
				expect.objectContaining({
					status: 200,
					tokenHeader: true,
					hadQueryToken: false,
					tokenValid: true,
				}),
			]);
			expect(log(PATHS.mediaUpload)).toEqual([
				expect.objectContaining({
					errcode: 0,
					tokenHeader: false,
					hadQueryToken: true,
					tokenValid: true,
				}),
			]);
			expect(sandbox.tokenFetches()).toBe(1);
		});

		test('the HTTP Request node after the token is invalidated: the new API heals; the legacy API cannot until a call heals the stored token', async () => {
			sandbox.invalidateTokens();
			// Legacy alone: DingTalk answers HTTP 200 with errcode 40014, which n8n does not treat as a failure.
			const legacyOnly = await execute('httpLegacy');
			expect(legacyOnly.error).toBeNull();
			expect(outputOf(legacyOnly, 'Legacy API')[0].json).toMatchObject({ errcode: 40014 });
			expect(sandbox.tokenFetches()).toBe(0);

			// New API first: its 400 makes n8n fetch a new token and send again; the legacy call after it
			// uses the token now stored in the credential.
			sandbox.clearLog();
			const both = await execute('httpBoth');
			expect(both.error).toBeNull();
			expect(log(PATHS.spaceQuery).map((entry) => entry.code ?? entry.status)).toEqual([
				'InvalidAuthentication',
				200,
			]);
			expect(outputOf(both, 'New API')[0].json).toEqual({ space: DEMO.group.space });
			expect(outputOf(both, 'Legacy API')[0].json).toMatchObject({ errcode: 0 });
			expect(sandbox.tokenFetches()).toBe(1);
		});

		test('the HTTP Request node with a token past its expiry: a new one is fetched before the legacy call', async () => {
			sandbox.setTokenLifetime(2);
			try {
				sandbox.invalidateTokens();
				await execute('httpBoth'); // heals, and stores a token that lives 2 s
				await new Promise((resolve) => setTimeout(resolve, 2500));
				sandbox.clearLog();
				const result = await execute('httpLegacy');
				expect(outputOf(result, 'Legacy API')[0].json).toMatchObject({ errcode: 0 });
				expect(log(PATHS.mediaUpload).map((entry) => entry.errcode)).toEqual([0]);
				expect(sandbox.tokenFetches()).toBe(1);
			} finally {
				sandbox.setTokenLifetime(7200);
			}
		});

		test('no token, secret, upload URL or signed upload header appears in any output, error or log line', () => {
			expect(runs.length).toBeGreaterThanOrEqual(10);
			const secrets = [
				DEMO.app.appSecret,
				...sandbox.issuedTokens(),
				urls.uploadBaseUrl,
				'x-oss-date',
				'OSS SandboxStorageKeyId',
			];
			expect(sandbox.issuedTokens().length).toBeGreaterThan(2);
			// Each run, and everything the served n8n printed.
			for (const run of [...runs, n8n.served]) {
				const printed = `${run.stdout}\n${run.stderr}`;
				for (const secret of secrets) expect(printed).not.toContain(secret);
			}
		});
	});
}

module.exports = { defineSuite };
