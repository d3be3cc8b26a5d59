/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports */
// The node's transport against the DingTalk sandbox over HTTP, in a real n8n-core execution context.
// Each test starts its own sandbox: new ports make a new app identity, so no token or rate-limit state
// carries over from another test.
import { createHash } from 'crypto';
import { mkdtempSync } from 'fs';
import { createServer } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import type { INodeExecutionData } from 'n8n-workflow';
import { runDingTalkNode, StoredCredential } from './n8n-context';

// n8n-core writes its instance settings into the user folder: keep them out of the home folder.
process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'dingtalk-integration-'));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSandbox, DEMO, PATHS, peakPerSecond } = require('../sandbox/server');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sandboxCredential } = require('../e2e/workflows');

const SPACE_QUERY: string = PATHS.spaceQuery;
const SEND_TO_USER: string = PATHS.sendToUser;
const spaceGet = {
	resource: 'groupSpace',
	operation: 'get',
	openConversationId: DEMO.group.openConversationId,
	operatorUnionId: DEMO.users.alice,
};
const sendReportToAlice = {
	resource: 'file',
	operation: 'sendToUser',
	receiverUnionId: DEMO.users.alice,
	spaceId: DEMO.group.space.spaceId,
	fileId: 'dentry-report-pdf',
};

interface LogEntry {
	time: number;
	path: string;
	status: number | null;
	code: string | null;
	errcode: number | null;
}

let sandbox: {
	start(): Promise<{ apiBaseUrl: string; legacyBaseUrl: string; fileBaseUrl: string }>;
	stop(): Promise<void>;
	requests: LogEntry[];
	media: Map<string, { sha256: string; filename: string }>;
	sent: object[];
	tokenFetches(): number;
	issuedTokens(): string[];
	invalidateTokens(): void;
	setTokenLifetime(seconds: number): void;
	setRateLimit(options: { enabled: boolean; perSecond?: number }): void;
	failNext(match: { path: string; host?: string }, response: object, times?: number): void;
	revokeScope(appKey: string, scope: string): void;
	issueDownloadCode(file: { fileName: string; bytes?: Buffer; size?: number }): string;
	setFileHost(settings: { chunked: boolean }): void;
};
let credential: StoredCredential;

beforeEach(async () => {
	sandbox = createSandbox();
	const urls = await sandbox.start();
	credential = new StoredCredential({
		...sandboxCredential(urls).data,
		accessToken: '',
		expiresAt: 0,
	});
});
afterEach(async () => await sandbox.stop());

const items = (count: number): INodeExecutionData[] =>
	Array.from({ length: count }, (_, i) => ({ json: { i } }));
const calls = (path: string) => sandbox.requests.filter((entry) => entry.path === path);
const wait = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

describe('token', () => {
	it('is fetched once for 20 items that all start without one, and persisted in the credential', async () => {
		const output = await runDingTalkNode({ credential, parameters: spaceGet, items: items(20) });
		expect(output).toHaveLength(20);
		expect(sandbox.tokenFetches()).toBe(1);
		expect(credential.persisted).toBe(1);
		expect(credential.data.accessToken).toBe(sandbox.issuedTokens()[0]);
		expect(Number(credential.data.expiresAt)).toBeGreaterThan(Date.now() + 7000 * 1000);
	});

	it('is replaced before it expires, so DingTalk never sees an expired one', async () => {
		sandbox.setTokenLifetime(3);
		await runDingTalkNode({ credential, parameters: spaceGet });
		await wait(2800);
		await runDingTalkNode({ credential, parameters: spaceGet });
		expect(sandbox.tokenFetches()).toBe(2);
		expect(calls(SPACE_QUERY).map((entry) => entry.status)).toEqual([200, 200]);
	});

	it('rejected by the legacy API (HTTP 200, errcode 40014) is replaced and the multipart upload rebuilt and sent again', async () => {
		const pdf = DEMO.files.reportPdf;
		const upload = {
			parameters: {
				resource: 'media',
				operation: 'upload',
				binaryPropertyName: 'data',
				mediaType: 'auto',
			},
			items: [
				{
					json: {},
					binary: {
						data: {
							data: pdf.bytes.toString('base64'),
							mimeType: 'application/pdf',
							fileName: 'Q3 report.pdf',
						},
					},
				},
			],
		};
		await runDingTalkNode({ credential, ...upload });
		sandbox.invalidateTokens();
		const [second] = await runDingTalkNode({ credential, ...upload });
		expect(calls(PATHS.mediaUpload).map((entry) => entry.errcode)).toEqual([0, 40014, 0]);
		expect(sandbox.tokenFetches()).toBe(2);
		expect(sandbox.media.get(String(second.json.mediaId))?.sha256).toBe(
			createHash('sha256').update(pdf.bytes).digest('hex'),
		);
	});
});

describe('errors', () => {
	it("a legacy permission error (HTTP 200) names the upload's permission", async () => {
		sandbox.revokeScope(DEMO.app.appKey, 'qyapi_base');
		const [item] = await runDingTalkNode({
			credential,
			parameters: {
				resource: 'media',
				operation: 'upload',
				binaryPropertyName: 'data',
				mediaType: 'auto',
			},
			items: [
				{
					json: {},
					binary: {
						data: {
							data: DEMO.files.photoPng.bytes.toString('base64'),
							mimeType: 'image/png',
							fileName: 'a.png',
						},
					},
				},
			],
			continueOnFail: true,
		});
		expect(item.json).toMatchObject({
			code: '60011',
			error: 'DingTalk: the DingTalk app lacks the API permission this operation needs [60011]',
		});
		expect(item.json.description).toContain('apply for qyapi_base');
	});
});

describe("rate limit (the sandbox enforces DingTalk's rolling-second limit)", () => {
	const accepted = () => calls(SPACE_QUERY).filter((entry) => entry.status === 200);
	const refused = () =>
		calls(SPACE_QUERY).filter(
			(entry) => entry.code === 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
		);

	it('keeps to the configured calls per second: every call succeeds, hardly any is refused', async () => {
		sandbox.setRateLimit({ enabled: true, perSecond: 15 });
		await runDingTalkNode({
			credential,
			parameters: { ...spaceGet, requestOptions: { callsPerSecond: 15 } },
			items: items(40),
		});
		expect(accepted()).toHaveLength(40);
		// Without the node's own limit 25 of the 40 would be refused at once.
		expect(refused().length).toBeLessThanOrEqual(4);
		expect(peakPerSecond(accepted())).toBeLessThanOrEqual(15);
	});

	it('counts the call that fetched the token from when it reached DingTalk, after a slow token fetch', async () => {
		sandbox.setRateLimit({ enabled: true, perSecond: 20 });
		sandbox.failNext({ path: PATHS.appToken }, { delayMs: 300 });
		await runDingTalkNode({ credential, parameters: spaceGet, items: items(30) });
		expect(accepted()).toHaveLength(30);
		expect(refused().length).toBeLessThanOrEqual(2);
	});

	it('is shared by two executions running at once for the same app', async () => {
		sandbox.setRateLimit({ enabled: true, perSecond: 20 });
		await Promise.all([
			runDingTalkNode({ credential, parameters: spaceGet, items: items(25) }),
			runDingTalkNode({ credential, parameters: spaceGet, items: items(25) }),
		]);
		expect(accepted()).toHaveLength(50);
		// Two executions in one process share one window: 30 of the 50 would be refused otherwise.
		expect(refused().length).toBeLessThanOrEqual(4);
	});
});

describe('failures', () => {
	it('a send whose connection drops after sending is not sent again', async () => {
		sandbox.failNext({ path: SEND_TO_USER }, { destroy: true });
		const [item] = await runDingTalkNode({
			credential,
			parameters: sendReportToAlice,
			continueOnFail: true,
		});
		expect(item.json.error).toBe(
			'Could not reach DingTalk: the connection was cut before an answer came',
		);
		expect(item.json.description).toContain('DingTalk may already have delivered it');
		expect(calls(SEND_TO_USER)).toHaveLength(1);
	});

	it('a send that gets no answer in time is not sent again, though DingTalk carried it out', async () => {
		sandbox.failNext({ path: SEND_TO_USER }, { delayMs: 1500 });
		const [item] = await runDingTalkNode({
			credential,
			parameters: {
				...sendReportToAlice,
				requestOptions: { timeout: 500 },
			},
			continueOnFail: true,
		});
		expect(item.json.error).toBe('Could not reach DingTalk: no answer in time');
		expect(item.json.description).toContain('DingTalk may already have delivered it');
		await wait(1500);
		expect(sandbox.sent).toHaveLength(1);
		expect(calls(SEND_TO_USER)).toHaveLength(1);
	});

	it('a look-up that gets no answer in time is sent again', async () => {
		sandbox.failNext({ path: SPACE_QUERY }, { delayMs: 1500 });
		const [item] = await runDingTalkNode({
			credential,
			parameters: { ...spaceGet, requestOptions: { timeout: 500 } },
		});
		expect(item.json).toEqual(DEMO.group.space);
		await wait(1500);
		expect(calls(SPACE_QUERY)).toHaveLength(2);
	});

	it('a look-up whose connection drops is sent again', async () => {
		sandbox.failNext({ path: SPACE_QUERY }, { destroy: true });
		const [item] = await runDingTalkNode({ credential, parameters: spaceGet });
		expect(item.json).toEqual(DEMO.group.space);
		expect(calls(SPACE_QUERY).map((entry) => entry.status)).toEqual([null, 200]);
	});

	it('redacts a token that DingTalk echoes back in an error message, also one the stored credential does not hold', async () => {
		await runDingTalkNode({ credential, parameters: spaceGet });
		const [token] = sandbox.issuedTokens();
		// A credential stored without the token: the node knows it only from this process's token state.
		credential = new StoredCredential({ ...credential.data, accessToken: '', expiresAt: 0 });
		sandbox.failNext(
			{ path: SPACE_QUERY },
			{
				status: 400,
				body: {
					code: 'paramError',
					message: `bad request /x?access_token=${token}&y=1 (${token})`,
					requestid: 'r-1',
				},
			},
		);
		const [item] = await runDingTalkNode({
			credential,
			parameters: spaceGet,
			continueOnFail: true,
		});
		expect(JSON.stringify(item)).not.toContain(token);
		expect(item.json.description).toContain('access_token=[redacted]');
	});
});

describe('requests go where the credential points, through n8n-core', () => {
	/** A server that records whoever reaches it: where a followed redirect would land. */
	async function trap() {
		const seen: string[] = [];
		const server = createServer((req, res) => {
			seen.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
			res.end('{}');
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const { port } = server.address() as { port: number };
		return { seen, url: `http://127.0.0.1:${port}`, close: () => server.close() };
	}

	it('a redirect is not followed by a call carrying the token: nothing reaches the other host', async () => {
		const other = await trap();
		try {
			sandbox.failNext(
				{ path: SEND_TO_USER },
				{ status: 307, headers: { location: `${other.url}/v1.0/steal` }, body: '' },
			);
			const [item] = await runDingTalkNode({
				credential,
				parameters: sendReportToAlice,
				continueOnFail: true,
			});
			expect(other.seen).toEqual([]);
			expect(item.json.error).toBe(
				'DingTalk: the address answered with a redirect, which the node does not follow [redirect]',
			);
			expect(item.json.description).toContain(`redirected to ${other.url.slice(7)}`);
			expect(sandbox.sent).toHaveLength(0);
		} finally {
			other.close();
		}
	});

	it('a 200 answer that is not JSON (a proxy page) is an error item with its first bytes, not an empty success', async () => {
		sandbox.failNext(
			{ path: SPACE_QUERY },
			{ status: 200, body: '<html><title>Portal</title>Log in to continue</html>' },
		);
		const [item] = await runDingTalkNode({
			credential,
			parameters: spaceGet,
			continueOnFail: true,
		});
		expect(item.json).toMatchObject({
			error: "DingTalk: the answer is not DingTalk's JSON [unexpectedAnswer]",
			code: 'unexpectedAnswer',
		});
		expect(item.json.description).toContain(
			"DingTalk's message: <html><title>Portal</title>Log in to continue</html>",
		);
		expect(calls(SPACE_QUERY)).toHaveLength(1);
	});

	it("a robot file streams into n8n's binary store under the sender's last name part, with no directory", async () => {
		const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3 * 1024 * 1024, 1)]);
		const downloadCode = sandbox.issueDownloadCode({ fileName: 'x.pdf', bytes });
		const [item] = await runDingTalkNode({
			credential,
			parameters: {
				resource: 'robotFile',
				operation: 'download',
				downloadCode,
				fileName: '../../tmp/Q3 report',
				downloadContent: true,
				binaryPropertyName: 'data',
			},
		});
		expect(item.json).toEqual({
			fileName: 'Q3 report.pdf',
			fileExtension: 'pdf',
			mimeType: 'application/pdf',
			fileSize: bytes.length,
		});
		expect(item.binary?.data).toMatchObject({
			fileName: 'Q3 report.pdf',
			mimeType: 'application/pdf',
		});
		expect(item.binary?.data.directory).toBeUndefined();
		expect(Buffer.from(item.binary!.data.data, 'base64').equals(bytes)).toBe(true);
	});

	it('an empty robot file is an empty binary, not a failure', async () => {
		const downloadCode = sandbox.issueDownloadCode({
			fileName: 'empty.txt',
			bytes: Buffer.alloc(0),
		});
		const [item] = await runDingTalkNode({
			credential,
			parameters: {
				resource: 'robotFile',
				operation: 'download',
				downloadCode,
				fileName: 'empty.txt',
				downloadContent: true,
				binaryPropertyName: 'data',
			},
		});
		expect(item.json).toMatchObject({ fileName: 'empty.txt', fileSize: 0 });
		expect(Buffer.from(item.binary!.data.data, 'base64').length).toBe(0);
	});

	const downloadWithin2Mb = (downloadCode: string) =>
		runDingTalkNode({
			credential,
			parameters: {
				resource: 'robotFile',
				operation: 'download',
				downloadCode,
				downloadContent: true,
				maxFileSizeMb: 2,
			},
			continueOnFail: true,
		});

	it('a robot file above Max File Size is refused from its announced size', async () => {
		const [item] = await downloadWithin2Mb(
			sandbox.issueDownloadCode({ fileName: 'x.zip', bytes: Buffer.alloc(2 * 1024 * 1024 + 1) }),
		);
		expect(item.json.error).toBe(
			'The file is 2,097,153 bytes, more than the 2,097,152 bytes allowed by "Max File Size"',
		);
	});

	it('a robot file whose host announces no size is stopped at Max File Size as it arrives', async () => {
		sandbox.setFileHost({ chunked: true });
		const [tooLarge] = await downloadWithin2Mb(
			sandbox.issueDownloadCode({ fileName: 'x.zip', size: 50 * 1024 * 1024 }),
		);
		expect(tooLarge.json.error).toBe(
			'The file is larger than the 2,097,152 bytes allowed by "Max File Size"',
		);
		expect(tooLarge.binary).toBeUndefined();
		const [within] = await downloadWithin2Mb(
			sandbox.issueDownloadCode({ fileName: 'x.zip', size: 2 * 1024 * 1024 }),
		);
		expect(within.json).toMatchObject({ fileSize: 2 * 1024 * 1024 });
	});

	it("a connection cut mid-file gives the node's own error, saying how far it came, with no address", async () => {
		sandbox.failNext({ path: '*', host: 'files' }, { cutAfterBytes: 100_000 });
		const [item] = await downloadWithin2Mb(
			sandbox.issueDownloadCode({ fileName: 'x.zip', size: 1024 * 1024 }),
		);
		expect(item.json.error).toMatch(
			/^The download from DingTalk's file host broke off after [\d,]+ bytes: /,
		);
		expect(JSON.stringify(item.json)).not.toMatch(/Signature=|Expires=/);
	});
});
