/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports */
// What both robot-trigger test files share: a fresh sandbox per test (its Stream gateway over HTTP and
// WebSocket), the trigger started in a real n8n-core TriggerContext, and waiting helpers. Jest runs on
// the machine's Node (20, no global WebSocket): the `ws` library stands in for Node's built-in one here;
// the end-to-end suite runs the real one in n8n 2.x on Node 24. Two files, so Jest runs them side by side.
import { createHash } from 'crypto';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { IDataObject } from 'n8n-workflow';
import { startRobotTrigger, StoredCredential, type RunningTrigger } from './n8n-context';

process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'dingtalk-trigger-'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WebSocket: WsWebSocket } = require('ws');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { createSandbox, DEMO } = require('../sandbox/server');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { sandboxCredential } = require('../e2e/workflows');

const OPEN_PATH = '/v1.0/gateway/connections/open';
// Values the sandbox does not know: a mistyped secret, and one the app got after rotating its own.
export const WRONG_SECRET = ['not', 'the', 'secret', '0000'].join('-');
export const ROTATED_SECRET = ['a', 'new', 'secret', '0000'].join('-');
export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
export const wait = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

interface Connection {
	id: string;
	appKey: string;
	closedAt: number | null;
	closeCode: number | null;
	closedBy: string | null;
	pingReplies: number;
	acks: number;
}
interface Sent {
	message: { msgId: string; [key: string]: unknown };
	attachments: Array<{ fileName: string; sha256: string; bytes: Buffer }>;
	frameId: string;
}
export let sandbox: {
	start(): Promise<{ apiBaseUrl: string; legacyBaseUrl: string; fileBaseUrl: string }>;
	stop(): Promise<void>;
	robot: {
		configure(settings: object): void;
		connections: Connection[];
		openConnections(appKey?: string): Connection[];
		sendMessage(spec: object): Promise<Sent>;
		resend(msgId: string, options?: { newFrame?: boolean }): void;
		dropConnections(appKey?: string): number;
		silence(appKey?: string): number;
		announceDisconnect(appKey?: string): number;
		addApp(app: { appKey: string; appSecret: string }): void;
		issuedTickets(): string[];
		pending(appKey?: string): { waiting: number; unacknowledged: number };
		acks: Array<{ msgId: string; time: number; deliveredAt: number }>;
		deliveries: Array<{ msgId: string; attempt: number }>;
	};
	failNext(match: { path: string; host?: string }, response: object, times?: number): void;
	requests: Array<{ host: string; path: string; status: number | null; time: number }>;
};
export let urls: { apiBaseUrl: string; legacyBaseUrl: string; fileBaseUrl: string };
export const triggers: RunningTrigger[] = [];

// A gateway that pings every 200 ms, sends an unacknowledged frame again after 1.5 s and closes 0.5 s
// after a disconnect notice: seconds of DingTalk's behaviour per test, not minutes.
const QUICK_GATEWAY = { pingIntervalMs: 200, redeliverAfterMs: 1500, disconnectGraceMs: 500 };

/** A fresh sandbox for each test of the calling file, and every trigger it started closed after it. */
export function useRobotSandbox(): void {
	// Reconnects wait 1 to 2 s, and some tests wait for nothing to happen.
	jest.setTimeout(60_000);
	beforeAll(() => {
		(global as unknown as { WebSocket: unknown }).WebSocket = WsWebSocket;
	});
	beforeEach(async () => {
		sandbox = createSandbox();
		urls = await sandbox.start();
		sandbox.robot.configure(QUICK_GATEWAY);
	});
	afterEach(async () => {
		for (const trigger of triggers.splice(0)) await trigger.response.closeFunction?.();
		await sandbox.stop();
	});
}

export const credentialFor = (data: IDataObject = {}) =>
	new StoredCredential({
		...sandboxCredential(urls, { data }).data,
		accessToken: '',
		expiresAt: 0,
	});

export async function start(
	parameters: IDataObject = {},
	options: Partial<Parameters<typeof startRobotTrigger>[0]> = {},
) {
	const trigger = await startRobotTrigger({ credential: credentialFor(), parameters, ...options });
	triggers.push(trigger);
	return trigger;
}

export async function until(condition: () => boolean, what: string, ms = 15000) {
	const deadline = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await wait(25);
	}
}

export const emittedIds = (trigger: RunningTrigger) =>
	trigger.emitted.map((entry) => entry.items[0].json.messageId as string);
export const openCalls = () => sandbox.requests.filter((entry) => entry.path === OPEN_PATH);
