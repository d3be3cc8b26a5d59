/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports */
// File > Upload and Robot Message > Send in a real n8n-core execution context (n8n's own request
// helpers, binary data held in memory) against the DingTalk sandbox. The end-to-end suite repeats the
// important cases inside real n8n processes, where binary data is kept on disk and streamed.
import { createHash, randomBytes } from 'crypto';
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

const GROUP: string = DEMO.group.openConversationId;
const SPACE: string = DEMO.group.space.spaceId;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Entry {
	host: string;
	method: string;
	path: string;
	status: number | null;
	tokenHeader: boolean;
	hadQueryToken: boolean;
	body: IDataObject | null;
}

let sandbox: {
	start(): Promise<Record<string, string>>;
	stop(): Promise<void>;
	requests: Entry[];
	media: Map<string, { sha256: string; type: string }>;
	commits: Array<{ dentryId: string; sha256: string; outcome: string }>;
	robotMessages: Array<{ msgKey: string; msgParam: IDataObject }>;
	storedFile(spaceId: string, dentryId: string): { sha256: string } | null;
	setSignedContentType(contentType: string | null): void;
	failNext(match: { path: string; host?: string }, response: object, times?: number): void;
};
let credential: StoredCredential;
let urls: Record<string, string>;

beforeEach(async () => {
	sandbox = createSandbox();
	urls = await sandbox.start();
	credential = new StoredCredential({ ...sandboxCredential(urls).data, accessToken: '' });
});
afterEach(async () => await sandbox.stop());

const fileItem = (bytes: Buffer, fileName: string, mimeType: string): INodeExecutionData => ({
	json: {},
	binary: { data: { data: bytes.toString('base64'), fileName, mimeType } },
});
const upload = (extra: IDataObject = {}) => ({
	resource: 'file',
	operation: 'upload',
	binaryPropertyName: 'data',
	destination: 'group',
	openConversationId: GROUP,
	operatorUnionId: DEMO.users.alice,
	thenSend: 'none',
	options: {},
	...extra,
});

describe('File > Upload', () => {
	it('stores the exact bytes through the three steps and sends the file to the group', async () => {
		const bytes = randomBytes(300_000);
		const [item] = await runDingTalkNode({
			credential,
			parameters: upload({ thenSend: 'file' }),
			items: [fileItem(bytes, 'weekly.zip', 'application/zip')],
		});
		expect(item.json).toMatchObject({ name: 'weekly.zip', size: bytes.length, spaceId: SPACE });
		expect((item.json.sentFile as IDataObject).name).toBe('weekly.zip');
		expect(sandbox.storedFile(SPACE, String(item.json.dentryId))?.sha256).toBe(sha256(bytes));
		expect(
			sandbox.requests.map((entry) => `${entry.method} ${entry.host} ${entry.status}`),
		).toEqual([
			'POST api 200',
			'POST api 200',
			'POST api 200',
			'PUT uploads 200',
			'POST api 200',
			'POST api 200',
		]);
		const put = sandbox.requests.find((entry) => entry.host === 'uploads')!;
		expect(put).toMatchObject({ tokenHeader: false, hadQueryToken: false });
		expect(put.body).toMatchObject({
			contentType: null,
			contentLength: String(bytes.length),
			chunked: false,
			signed: true,
		});
		expect(JSON.stringify(item)).not.toContain(urls.uploadBaseUrl);
	});

	it('sends a Content-Type only when DingTalk signed one, and then exactly that one', async () => {
		sandbox.setSignedContentType('application/octet-stream');
		const [item] = await runDingTalkNode({
			credential,
			parameters: upload(),
			items: [fileItem(Buffer.from('hello'), 'hello.txt', 'text/plain')],
		});
		expect(item.json.dentryId).toEqual(expect.any(String));
		const put = sandbox.requests.find((entry) => entry.host === 'uploads')!;
		expect(put.body).toMatchObject({ contentType: 'application/octet-stream', signed: true });
	});

	it('a refused PUT names the storage code only: no URL, no signature', async () => {
		sandbox.failNext(
			{ path: '*', host: 'uploads' },
			{
				status: 403,
				body: '<Error><Code>AccessDenied</Code><StringToSign>secret-ish</StringToSign></Error>',
			},
		);
		const [item] = await runDingTalkNode({
			credential,
			parameters: upload(),
			items: [fileItem(Buffer.from('x'), 'x.txt', 'text/plain')],
			continueOnFail: true,
		});
		expect(String(item.json.error)).toBe(
			"DingTalk's file storage refused the upload (HTTP 403, AccessDenied)",
		);
		expect(JSON.stringify(item)).not.toMatch(/StringToSign|secret-ish|127\.0\.0\.1/);
	});
});

describe('sends that DingTalk may have carried out are not repeated', () => {
	const serverError = {
		status: 500,
		body: { code: 'systemError', message: 'internal', requestid: 'r-500' },
	};

	it('a robot message answered with a server error', async () => {
		sandbox.failNext({ path: '/v1.0/robot/groupMessages/send' }, serverError);
		const [item] = await runDingTalkNode({
			credential,
			parameters: {
				resource: 'robotMessage',
				operation: 'send',
				sendTo: 'group',
				openConversationId: GROUP,
				messageKind: 'text',
				text: 'hello',
			},
			continueOnFail: true,
		});
		expect(item.json).toMatchObject({ code: 'systemError', requestId: 'r-500' });
		expect(String(item.json.description)).toContain('DingTalk may already have delivered it');
		expect(
			sandbox.requests.filter((entry) => entry.path === '/v1.0/robot/groupMessages/send'),
		).toHaveLength(1);
	});

	it('a commit answered with a server error; the upload info before it is retried', async () => {
		const commit = `/v1.0/storage/spaces/${SPACE}/files/commit`;
		const uploadInfo = `/v1.0/storage/spaces/${SPACE}/files/uploadInfos/query`;
		sandbox.failNext({ path: uploadInfo }, serverError);
		sandbox.failNext({ path: commit }, serverError);
		const [item] = await runDingTalkNode({
			credential,
			parameters: upload(),
			items: [fileItem(Buffer.from('once'), 'once.txt', 'text/plain')],
			continueOnFail: true,
		});
		expect(item.json).toMatchObject({ code: 'systemError' });
		const paths = sandbox.requests.map((entry) => entry.path);
		expect(paths.filter((path) => path === uploadInfo)).toHaveLength(2);
		expect(paths.filter((path) => path === commit)).toHaveLength(1);
	});
});

describe('Robot Message > Send', () => {
	it('uploads the media in the same step and sends the message with msgParam built from the fields', async () => {
		const png = DEMO.files.photoPng;
		const [item] = await runDingTalkNode({
			credential,
			parameters: {
				resource: 'robotMessage',
				operation: 'send',
				sendTo: 'group',
				openConversationId: GROUP,
				messageKind: 'image',
				mediaSource: 'binary',
				binaryPropertyName: 'data',
			},
			items: [fileItem(png.bytes, 'team photo.png', 'image/png')],
		});
		expect(item.json).toMatchObject({ msgKey: 'sampleImageMsg', openConversationId: GROUP });
		expect(item.json.processQueryKey).toEqual(expect.any(String));
		const [message] = sandbox.robotMessages;
		expect(message.msgParam).toEqual({ photoURL: item.json.mediaId });
		expect(sandbox.media.get(String(item.json.mediaId))).toMatchObject({
			type: 'image',
			sha256: png.sha256,
		});
	});
});
