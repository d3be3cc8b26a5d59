/* eslint-disable @n8n/community-nodes/no-restricted-imports */
// The DingTalk Robot Webhook Trigger's rules with a stand-in for n8n's webhook context: single-use
// signatures, refusals counted instead of logged one by one, the reply address, who may start the
// workflow, state dropped on deactivation, and DingTalk answered before any download. The end-to-end
// suite runs the same node in real n8n.
import { createHmac } from 'crypto';
import { Readable } from 'stream';
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { DingTalkRobotWebhookTrigger } from '../../nodes/DingTalkRobotWebhookTrigger/DingTalkRobotWebhookTrigger.node';
import { SIGNATURES_KEPT_PER_APP } from '../../nodes/DingTalkRobotWebhookTrigger/signatures';
import { FakeN8n, freshApp, tokenAnswer } from './fake-n8n';

const trigger = new DingTalkRobotWebhookTrigger();
const signOf = (timestamp: string, secret: string) =>
	createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');

let messages = 0;
let workflows = 0;
const messageOf = (extra: IDataObject = {}): IDataObject => ({
	msgId: `msg${++messages}==`,
	msgtype: 'text',
	text: { content: 'hello' },
	conversationId: 'cidTeam==',
	conversationType: '2',
	isInAtList: true,
	senderStaffId: 'alice01',
	senderId: '$:LWCP_v1:$alice',
	chatbotUserId: '$:LWCP_v1:$robot',
	robotCode: 'robot',
	sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=abc',
	...extra,
});

interface Answer {
	status?: number;
	body?: unknown;
	/** Events in order: the answer and every request the node made. */
	at?: number;
}

/** One app's webhook trigger in one workflow, called as n8n calls it. */
function webhookOf(
	options: {
		app?: IDataObject;
		parameters?: IDataObject;
		workflowId?: string;
		script?: ConstructorParameters<typeof FakeN8n>[1];
	} = {},
) {
	const app = (options.app ?? freshApp()) as ReturnType<typeof freshApp>;
	const secret = String(app.clientSecret);
	const events: string[] = [];
	const logged: string[] = [];
	const fake = new FakeN8n(app, async (request, index) => {
		events.push(`${request.kind} ${new URL(request.url).pathname}`);
		return await (options.script ?? (() => ({ statusCode: 500 })))(request, index);
	});
	const base = fake.context();
	const node = { ...fake.node, id: 'robot-node', name: 'Robot' };
	// Each its own workflow: what the trigger keeps per workflow lives as long as the process.
	const workflow = { id: options.workflowId ?? `wf-${++workflows}` };
	const hooks = () =>
		({ getWorkflow: () => workflow, getNode: () => node }) as unknown as IWebhookFunctions;
	return {
		secret,
		events,
		logged,
		fake,
		deactivate: async () => await trigger.webhookMethods.default.delete.call(hooks() as never),
		async call(
			body: IDataObject,
			headers: Record<string, string | undefined>,
		): Promise<{ answer: Answer; result: IWebhookResponseData }> {
			const answer: Answer = {};
			const response = {
				status(code: number) {
					answer.status = code;
					return response;
				},
				send(value: unknown) {
					answer.body = value;
					answer.at = events.push('answered');
					return response;
				},
				json(value: unknown) {
					answer.status ??= 200;
					return response.send(value);
				},
				end: () => response,
			};
			const log = (line: string) => logged.push(line);
			const ctx = {
				...base,
				getNode: () => node,
				getWorkflow: () => workflow,
				getHeaderData: () => headers,
				getBodyData: () => body,
				getResponseObject: () => response,
				getNodeParameter: (name: string, fallback: unknown) =>
					name in (options.parameters ?? {}) ? options.parameters![name] : fallback,
				logger: { warn: log, info: log, error: log, debug: log },
				helpers: {
					...base.helpers,
					// As n8n's binary helpers do: the stream is read to its end.
					async prepareBinaryData(stream: Readable, fileName: string, mimeType: string) {
						const chunks: Buffer[] = [];
						for await (const chunk of stream) chunks.push(chunk as Buffer);
						return { data: Buffer.concat(chunks).toString('base64'), fileName, mimeType };
					},
				},
			} as unknown as IWebhookFunctions;
			const result = await trigger.webhook.call(ctx);
			return { answer, result };
		},
		/** Headers DingTalk would send now (or at `timestamp`). */
		signed(timestamp = String(Date.now())) {
			return { timestamp, sign: signOf(timestamp, secret) };
		},
	};
}

const started = (result: IWebhookResponseData) => result.workflowData?.[0]?.[0]?.json;

describe('each signature starts one message', () => {
	it('a captured request with another body gets 401 and starts nothing; the same request again gets 200 and starts nothing', async () => {
		const webhook = webhookOf();
		const headers = webhook.signed();
		const first = messageOf();
		expect(started((await webhook.call(first, headers)).result)).toMatchObject({
			messageId: first.msgId,
		});
		const forged = await webhook.call(messageOf({ text: { content: 'wire the money' } }), headers);
		expect(forged.answer).toMatchObject({ status: 401, body: 'Unauthorized' });
		expect(forged.result).toEqual({ noWebhookResponse: true });
		const retried = await webhook.call(first, headers);
		expect(retried.answer.status).toBeUndefined();
		expect(retried.result).toEqual({});
		// A new signature is a new request: DingTalk's next message goes through.
		const next = await webhook.call(messageOf(), webhook.signed(String(Date.now() + 1)));
		expect(started(next.result)).toBeDefined();
	});

	it("holds across the app's triggers: a signature used in one workflow is refused in another", async () => {
		const app = freshApp();
		const one = webhookOf({ app, workflowId: 'wf-a' });
		const other = webhookOf({ app, workflowId: 'wf-b' });
		const headers = one.signed();
		expect(started((await one.call(messageOf(), headers)).result)).toBeDefined();
		expect((await other.call(messageOf(), headers)).answer.status).toBe(401);
	});

	it(`keeps at most ${SIGNATURES_KEPT_PER_APP} per app; past that, anything as old as the oldest forgotten one is refused`, async () => {
		const webhook = webhookOf();
		const start = Date.now() - 30 * 60 * 1000;
		for (let i = 0; i <= SIGNATURES_KEPT_PER_APP; i++) {
			const { result } = await webhook.call(messageOf(), webhook.signed(String(start + i)));
			expect(result.workflowData).toBeDefined();
		}
		// The first was forgotten: it and any older timestamp can no longer be told from a replay.
		for (const timestamp of [start, start - 1]) {
			const { answer } = await webhook.call(messageOf(), webhook.signed(String(timestamp)));
			expect(answer.status).toBe(401);
		}
		expect(webhook.logged[0]).toMatch(
			/its timestamp is older than the signatures this n8n still remembers/,
		);
		// The second is still remembered: refused as a replay of its own message's signature.
		const { answer } = await webhook.call(messageOf(), webhook.signed(String(start + 1)));
		expect(answer.status).toBe(401);
		const newer = await webhook.call(messageOf(), webhook.signed(String(Date.now())));
		expect(newer.result.workflowData).toBeDefined();
	});
});

describe('refused calls', () => {
	it('10,000 forged calls make one log line a minute, with the count of the rest', async () => {
		const now = jest.spyOn(performance, 'now').mockReturnValue(1_000_000);
		try {
			const webhook = webhookOf();
			for (let i = 0; i < 10_000; i++) {
				const { answer } = await webhook.call(messageOf(), {
					timestamp: String(Date.now()),
					sign: 'forged',
				});
				expect(answer.status).toBe(401);
			}
			expect(webhook.logged).toHaveLength(1);
			expect(webhook.logged[0]).toBe(
				'DingTalk Robot Webhook Trigger: refused a call (401): the signature does not match the app secret. Further refusals within a minute are counted, not logged.',
			);
			now.mockReturnValue(1_000_000 + 60_000);
			await webhook.call(messageOf(), { timestamp: 'x', sign: 'forged' });
			expect(webhook.logged).toHaveLength(2);
			expect(webhook.logged[1]).toBe(
				'DingTalk Robot Webhook Trigger: refused a call (401): the timestamp header is missing or not a number of milliseconds (and 9999 more refused calls in the minute before). Further refusals within a minute are counted, not logged.',
			);
		} finally {
			now.mockRestore();
		}
	});
});

describe('what starts the workflow', () => {
	it("a reply address that is not DingTalk's is left out of the item and its raw message, reported once", async () => {
		const webhook = webhookOf();
		const foreign = {
			sessionWebhook: 'https://collector.example/steal',
			sessionWebhookExpiredTime: 1,
		};
		for (let i = 0; i < 2; i++) {
			const item = started(
				(await webhook.call(messageOf(foreign), webhook.signed(String(Date.now() + i)))).result,
			);
			expect(item).toBeDefined();
			expect(JSON.stringify(item)).not.toContain('collector.example');
			expect(item!.raw).not.toHaveProperty('sessionWebhookExpiredTime');
		}
		expect(webhook.logged).toEqual([
			"DingTalk Robot Webhook Trigger: left out a message's reply address (sessionWebhook), because it points to https://collector.example, not to DingTalk; later ones are left out without a word",
		]);
		const item = started(
			(await webhook.call(messageOf(), webhook.signed(String(Date.now() + 5)))).result,
		);
		expect((item!.raw as IDataObject).sessionWebhook).toBe(
			'https://oapi.dingtalk.com/robot/sendBySession?session=abc',
		);
	});

	it("only the allowed senders and chats start it, never the robot's own messages; the rest get 200", async () => {
		const webhook = webhookOf({
			parameters: { options: { senderStaffIds: 'alice01, bob02', conversationIds: 'cidTeam==' } },
		});
		let clock = Date.now();
		const outcome = async (extra: IDataObject) => {
			const { answer, result } = await webhook.call(
				messageOf(extra),
				webhook.signed(String(++clock)),
			);
			return { status: answer.status ?? 200, started: result.workflowData !== undefined };
		};
		expect(await outcome({})).toEqual({ status: 200, started: true });
		expect(await outcome({ senderStaffId: 'bob02' })).toEqual({ status: 200, started: true });
		expect(await outcome({ senderStaffId: 'mallory' })).toEqual({ status: 200, started: false });
		expect(await outcome({ conversationId: 'cidOther==' })).toEqual({
			status: 200,
			started: false,
		});
		expect(await outcome({ senderId: '$:LWCP_v1:$robot' })).toEqual({
			status: 200,
			started: false,
		});
	});

	it('a message seen is remembered until the workflow is deactivated', async () => {
		const webhook = webhookOf();
		const message = messageOf();
		expect(
			started((await webhook.call(message, webhook.signed(String(Date.now())))).result),
		).toBeDefined();
		// DingTalk sending it again, newly signed: nothing starts.
		expect((await webhook.call(message, webhook.signed(String(Date.now() + 1)))).result).toEqual(
			{},
		);
		await webhook.deactivate();
		expect(
			started((await webhook.call(message, webhook.signed(String(Date.now() + 2)))).result),
		).toBeDefined();
	});
});

describe('Download Attachment', () => {
	it('DingTalk gets its 200 before the file is fetched; the execution then has the file', async () => {
		const bytes = Buffer.from('%PDF-1.4 the contract');
		const webhook = webhookOf({
			parameters: { downloadAttachment: true },
			script: (request) => {
				if (request.kind === 'token') return tokenAnswer('token-1');
				if (request.kind === 'api')
					return { statusCode: 200, body: { downloadUrl: 'https://files.example.test/x.file' } };
				return {
					statusCode: 200,
					body: Readable.from([bytes]),
					headers: { 'content-length': String(bytes.length) },
				};
			},
		});
		const message = messageOf({
			msgtype: 'file',
			conversationType: '1',
			content: { downloadCode: 'dl-1', fileName: 'contract.pdf' },
		});
		const { answer, result } = await webhook.call(message, webhook.signed());
		expect(answer).toMatchObject({ status: 200, body: { message: 'Workflow was started' } });
		expect(webhook.events[0]).toBe('answered');
		expect(webhook.events.slice(1)).toEqual([
			'token /v1.0/oauth2/accessToken',
			'api /v1.0/robot/messageFiles/download',
			'file /x.file',
		]);
		expect(result.noWebhookResponse).toBe(true);
		const [[item]] = result.workflowData!;
		expect(item.json).toMatchObject({ messageType: 'file', fileName: 'contract.pdf' });
		expect(Buffer.from(item.binary!.data.data, 'base64')).toEqual(bytes);
	});
});

// Each call its own timestamp: two calls in one millisecond would share a signature.
let lastSigned = 0;
const nextTimestamp = () => String((lastSigned = Math.max(Date.now(), lastSigned + 1)));
describe("Add Sender's Union ID", () => {
	it('DingTalk gets its 200 first; the sender is looked up once, then remembered', async () => {
		const webhook = webhookOf({
			parameters: { options: { addSenderUnionId: true } },
			script: (request) => {
				if (request.kind === 'token') return tokenAnswer('token-1');
				return {
					statusCode: 200,
					body: { errcode: 0, result: { userid: 'lookup01', unionid: 'unionLookup01' } },
				};
			},
		});
		const sender = { senderStaffId: 'lookup01' };
		const first = await webhook.call(messageOf(sender), webhook.signed(nextTimestamp()));
		expect(webhook.events.slice(0, 2)).toEqual(['answered', 'token /v1.0/oauth2/accessToken']);
		expect(started(first.result)).toMatchObject({
			sender: { staffId: 'lookup01', unionId: 'unionLookup01' },
		});
		const second = await webhook.call(messageOf(sender), webhook.signed(nextTimestamp()));
		expect(started(second.result)).toMatchObject({ sender: { unionId: 'unionLookup01' } });
		expect(webhook.events.filter((event) => event.includes('/topapi/v2/user/get'))).toHaveLength(1);
	});

	it('a union ID the message carries is kept, with no look-up; a failed look-up still starts the workflow and says why', async () => {
		const webhook = webhookOf({
			parameters: { options: { addSenderUnionId: true } },
			script: (request) => {
				if (request.kind === 'token') return tokenAnswer('token-1');
				return { statusCode: 200, body: { errcode: 60121, errmsg: 'user not found' } };
			},
		});
		const carried = await webhook.call(
			messageOf({ senderStaffId: 'carrier01', senderUnionId: 'unionCarried' }),
			webhook.signed(nextTimestamp()),
		);
		expect(started(carried.result)).toMatchObject({ sender: { unionId: 'unionCarried' } });
		expect(webhook.events.filter((event) => event.includes('/topapi/'))).toEqual([]);
		const missing = await webhook.call(
			messageOf({ senderStaffId: 'gone01' }),
			webhook.signed(nextTimestamp()),
		);
		const json = started(missing.result) as IDataObject;
		expect(json.sender).not.toHaveProperty('unionId');
		expect(String((json.sender as IDataObject).unionIdError)).toContain('60121');
	});
});
