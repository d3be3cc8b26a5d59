'use strict';
// The sandbox's storage uploads (upload info, signed PUT, commit) and robot messages, over real HTTP.
const crypto = require('node:crypto');
const { createSandbox, DEMO } = require('./server');

const GROUP = DEMO.group.openConversationId;
const SPACE = DEMO.group.space.spaceId;
const { alice, carol } = DEMO.users;
const INFO = `/v1.0/storage/spaces/${SPACE}/files/uploadInfos/query?unionId=${alice}`;
const COMMIT = `/v1.0/storage/spaces/${SPACE}/files/commit?unionId=${alice}`;
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

let sandbox;
let urls;
let token;

beforeAll(async () => {
	sandbox = createSandbox();
	urls = await sandbox.start();
});
afterAll(() => sandbox.stop());
beforeEach(async () => {
	sandbox.reset();
	token = (
		await post('/v1.0/oauth2/accessToken', {
			appKey: DEMO.app.appKey,
			appSecret: DEMO.app.appSecret,
		})
	).json.accessToken;
});

async function post(path, body, headers = {}) {
	const res = await fetch(urls.apiBaseUrl + path, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			...(token ? { 'x-acs-dingtalk-access-token': token } : {}),
			...headers,
		},
		body: JSON.stringify(body),
	});
	return { status: res.status, json: await res.json() };
}

const info = (size) =>
	post(INFO, {
		protocol: 'HEADER_SIGNATURE',
		multipart: false,
		option: { preCheckParam: { size } },
	});

/** A PUT with exactly the signed headers, plus whatever `extra` adds. */
async function put(answer, bytes, extra = {}) {
	const { resourceUrls, headers } = answer.headerSignatureInfo;
	const res = await fetch(resourceUrls[0], {
		method: 'PUT',
		headers: { ...headers, ...extra },
		body: bytes,
	});
	return { status: res.status, text: await res.text() };
}

async function upload(name, bytes, { conflictStrategy, parentId = '0' } = {}) {
	const { json } = await info(bytes.length);
	expect((await put(json, bytes)).status).toBe(200);
	return post(COMMIT, {
		uploadKey: json.uploadKey,
		name,
		parentId,
		option: { size: bytes.length, ...(conflictStrategy ? { conflictStrategy } : {}) },
	});
}

describe('storage upload', () => {
	test('upload info, then a signed PUT on the upload host, then the commit stores the exact bytes', async () => {
		const bytes = crypto.randomBytes(70_000);
		const { status, json } = await info(bytes.length);
		expect(status).toBe(200);
		expect(json).toMatchObject({ protocol: 'HEADER_SIGNATURE', storageDriver: 'DINGTALK' });
		expect(json.headerSignatureInfo.resourceUrls[0].startsWith(`${urls.uploadBaseUrl}/`)).toBe(
			true,
		);
		expect(Object.keys(json.headerSignatureInfo.headers).sort()).toEqual([
			'Authorization',
			'x-oss-date',
		]);
		expect((await put(json, bytes)).status).toBe(200);
		const committed = await post(COMMIT, {
			uploadKey: json.uploadKey,
			name: ' notes.pdf ',
			parentId: '0',
			option: { size: bytes.length },
		});
		expect(committed.status).toBe(200);
		expect(committed.json.dentry).toMatchObject({
			name: 'notes.pdf',
			size: bytes.length,
			spaceId: SPACE,
			parentId: '0',
			type: 'FILE',
			version: 1,
			extension: 'pdf',
		});
		expect(committed.json.dentry.sha256).toBeUndefined();
		expect(sandbox.storedFile(SPACE, committed.json.dentry.id).sha256).toBe(sha256(bytes));
		const [putEntry] = sandbox.requests.filter((entry) => entry.host === 'uploads');
		expect(putEntry).toMatchObject({
			method: 'PUT',
			status: 200,
			tokenHeader: false,
			hadQueryToken: false,
		});
		expect(putEntry.body).toMatchObject({
			size: bytes.length,
			sha256: sha256(bytes),
			contentType: null,
			signed: true,
		});
	});

	test('the PUT is refused with an extra Content-Type, without the signature, or after expiry of the upload', async () => {
		const { json } = await info(3);
		const extra = await put(json, Buffer.from('abc'), {
			'content-type': 'application/x-www-form-urlencoded',
		});
		expect(extra.status).toBe(403);
		expect(extra.text).toContain('<Code>SignatureDoesNotMatch</Code>');
		const { resourceUrls } = json.headerSignatureInfo;
		const unsigned = await fetch(resourceUrls[0], { method: 'PUT', body: 'abc' });
		expect(unsigned.status).toBe(403);
		// nothing was stored, so the commit has nothing to commit
		const committed = await post(COMMIT, {
			uploadKey: json.uploadKey,
			name: 'a.txt',
			parentId: '0',
		});
		expect(committed).toMatchObject({ status: 400, json: { code: 'fileNotUploaded' } });
	});

	test('a returned Content-Type is part of the signature and must be sent as given', async () => {
		sandbox.setSignedContentType('application/octet-stream');
		const { json } = await info(3);
		expect(json.headerSignatureInfo.headers['Content-Type']).toBe('application/octet-stream');
		expect((await put(json, Buffer.from('abc'))).status).toBe(200);
		expect((await put(json, Buffer.from('abc'), { 'Content-Type': 'text/plain' })).status).toBe(
			403,
		);
	});

	test('each conflict strategy', async () => {
		const first = Buffer.from('first version');
		const second = Buffer.from('second version!');
		const original = (await upload('plan.pdf', first)).json.dentry;
		const renamed = await upload('plan.pdf', second, { conflictStrategy: 'AUTO_RENAME' });
		expect(renamed.json.dentry).toMatchObject({ name: 'plan(1).pdf', size: second.length });
		const kept = await upload('plan.pdf', second, { conflictStrategy: 'RETURN_DENTRY_IF_EXISTS' });
		expect(kept.json.dentry).toMatchObject({ id: original.id, size: first.length, version: 1 });
		const refused = await upload('plan.pdf', second, {
			conflictStrategy: 'RETURN_ERROR_IF_EXISTS',
		});
		expect(refused).toMatchObject({ status: 400, json: { code: 'dentryNameConflict' } });
		const overwritten = await upload('plan.pdf', second, { conflictStrategy: 'OVERWRITE' });
		expect(overwritten.json.dentry).toMatchObject({
			id: original.id,
			size: second.length,
			version: 2,
		});
		expect(sandbox.storedFile(SPACE, original.id).sha256).toBe(sha256(second));
		expect(sandbox.commits.map((commit) => commit.outcome)).toEqual([
			'created',
			'renamed',
			'returnedExisting',
			'overwritten',
		]);
	});

	test('a folder as parent; bad names, sizes, parents, users and protocols are refused', async () => {
		const inFolder = await upload('in folder.txt', Buffer.from('x'), {
			parentId: 'dentry-folder-docs',
		});
		expect(inFolder.json.dentry).toMatchObject({
			parentId: 'dentry-folder-docs',
			path: '/Docs/in folder.txt',
		});
		expect((await upload('a.', Buffer.from('x'))).json.code).toBe('invalidParameter.name');
		expect((await upload('a|b', Buffer.from('x'))).json.code).toBe('invalidParameter.name');
		expect(
			(await upload('x.txt', Buffer.from('x'), { parentId: 'dentry-report-pdf' })).json.code,
		).toBe('dentryNotExist');
		const { json } = await info(3);
		await put(json, Buffer.from('abc'));
		expect(
			(
				await post(COMMIT, {
					uploadKey: json.uploadKey,
					name: 'a.txt',
					parentId: '0',
					option: { size: 4 },
				})
			).json.code,
		).toBe('fileSizeNotMatch');
		const notMember = await post(
			`/v1.0/storage/spaces/${SPACE}/files/uploadInfos/query?unionId=${carol}`,
			{ protocol: 'HEADER_SIGNATURE' },
		);
		expect(notMember).toMatchObject({ status: 403, json: { code: 'permissionDenied' } });
		expect((await post(INFO, { protocol: 'URL_SIGNATURE' })).json.code).toBe(
			'DENTRY_UPLOAD_PROTOCOL_NOTSUPPORT',
		);
		sandbox.revokeScope(DEMO.app.appKey, 'Storage.File.Write');
		expect((await upload('b.txt', Buffer.from('x'))).json).toMatchObject({
			code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
			accessdenieddetail: { requiredScopes: ['Storage.File.Write'] },
		});
	});

	test('a committed file can be sent to the group with the convFile sends', async () => {
		const { dentry } = (await upload('minutes.pdf', Buffer.from('%PDF-1.4 minutes'))).json;
		const sent = await post(`/v1.0/convFile/conversations/files/send?unionId=${alice}`, {
			spaceId: SPACE,
			dentryId: dentry.id,
			openConversationId: GROUP,
		});
		expect(sent.status).toBe(200);
		expect(sent.json.file.name).toBe('minutes.pdf');
	});
});

describe('robot messages', () => {
	const group = (body) =>
		post('/v1.0/robot/groupMessages/send', {
			robotCode: DEMO.app.robotCode,
			openConversationId: GROUP,
			...body,
		});
	const users = (body) =>
		post('/v1.0/robot/oToMessages/batchSend', { robotCode: DEMO.app.robotCode, ...body });

	async function mediaId(type, filename, bytes) {
		const form = new FormData();
		form.append('type', type);
		form.append('media', new Blob([bytes]), filename);
		const res = await fetch(
			`${urls.legacyBaseUrl}/media/upload?access_token=${token}&type=${type}`,
			{ method: 'POST', body: form },
		);
		return (await res.json()).media_id;
	}

	test('a group message: processQueryKey, recorded with its media', async () => {
		const image = await mediaId('image', 'a.png', DEMO.files.photoPng.bytes);
		const sent = await group({
			msgKey: 'sampleImageMsg',
			msgParam: JSON.stringify({ photoURL: image }),
		});
		expect(sent.status).toBe(200);
		expect(sent.json.processQueryKey).toEqual(expect.any(String));
		expect(sandbox.robotMessages[0]).toMatchObject({
			openConversationId: GROUP,
			msgKey: 'sampleImageMsg',
			media: [{ field: 'photoURL', type: 'image', sha256: DEMO.files.photoPng.sha256 }],
		});
	});

	test('one-to-one messages list invalid and flow-controlled users', async () => {
		sandbox.setFlowControlled(['staffBob02']);
		const sent = await users({
			userIds: ['staffAlice01', 'nobody', 'staffBob02', 'staffOscar04'],
			msgKey: 'sampleText',
			msgParam: '{"content":"hi"}',
		});
		expect(sent.json).toMatchObject({
			invalidStaffIdList: ['nobody', 'staffOscar04'],
			flowControlledStaffIdList: ['staffBob02'],
		});
		expect(sandbox.robotMessages[0].deliveredTo).toEqual(['staffAlice01']);
	});

	test('validation: robot code, group membership, users, msgKey and msgParam', async () => {
		const text = { msgKey: 'sampleText', msgParam: '{"content":"hi"}' };
		expect((await group({ ...text, robotCode: '' })).json.code).toBe(
			'invalidParameter.robotCode.empty',
		);
		expect((await group({ ...text, robotCode: DEMO.otherRobotCode })).json.code).toBe(
			'invalidParameter.robotCode.auth',
		);
		expect(
			(await group({ ...text, openConversationId: DEMO.otherCorpGroup.openConversationId })).json
				.code,
		).toBe('invalidParameter.robotCode.empty');
		expect(
			(await users({ ...text, userIds: Array.from({ length: 21 }, (_, i) => `u${i}`) })).json.code,
		).toBe('invalidParameter.userIds.overMax');
		expect((await users({ ...text, userIds: [] })).json.code).toBe(
			'invalidParameter.userIds.empty',
		);
		expect((await group({ msgKey: 'sampleNope', msgParam: '{}' })).json.code).toBe(
			'invalidParameter.msgKey.invalid',
		);
		expect((await group({ msgKey: 'sampleText', msgParam: { content: 'x' } })).json.code).toBe(
			'invalidParameter.msgParam.invalid',
		);
		expect(
			(
				await group({
					msgKey: 'sampleText',
					msgParam: JSON.stringify({ content: 'x'.repeat(15001) }),
				})
			).json.code,
		).toBe('invalidParameter.msgParam.invalid');
		const image = await mediaId('image', 'a.png', DEMO.files.photoPng.bytes);
		const wrongType = await group({
			msgKey: 'sampleFile',
			msgParam: JSON.stringify({ mediaId: image, fileName: 'a.pdf', fileType: 'pdf' }),
		});
		expect(wrongType.json.message).toContain('must be file media, not image');
		expect(
			(
				await group({
					msgKey: 'sampleAudio',
					msgParam: JSON.stringify({ mediaId: '@lAunknown', duration: '3000' }),
				})
			).json.code,
		).toBe('invalidParameter.msgParam.invalid');
		expect(sandbox.robotMessages).toEqual([]);
	});
});
