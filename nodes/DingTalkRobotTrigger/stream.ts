import { sleep, type Logger } from 'n8n-workflow';
import type { StreamConnectionGrant } from '../shared/transport';
import {
	ROBOT_MESSAGE_TOPIC,
	STREAM_DEFAULT_SILENCE_LIMIT_MS,
	STREAM_FRAME_TYPE,
	STREAM_MIN_SILENCE_LIMIT_MS,
	STREAM_RECONNECT_BASE_MS,
	STREAM_RECONNECT_JITTER_MS,
	STREAM_RECONNECT_MAX_MS,
	STREAM_SILENT_AFTER_PINGS,
	STREAM_SYSTEM_TOPIC,
	STREAM_TICKET_QUERY,
	streamAckOf,
	type StreamFrame,
} from '../shared/wire';

/** What the connection needs from its trigger. */
export interface StreamHooks {
	/** Asks DingTalk's gateway for an endpoint and a new ticket (one attempt). */
	open: () => Promise<StreamConnectionGrant>;
	/** Handles a robot message; its frame is acknowledged when this settles. */
	onMessage: (frame: StreamFrame) => Promise<void>;
	/** What reconnecting cannot fix, once the trigger is running (a wrong secret, a revoked app). */
	onFinalError: (error: Error) => void;
	logger: Logger;
}

/** How long to wait before reconnect attempt `failures` (0 after a connection that worked). */
export function reconnectDelay(failures: number, random: () => number = Math.random): number {
	const base = Math.min(STREAM_RECONNECT_MAX_MS, STREAM_RECONNECT_BASE_MS * 2 ** failures);
	return base + random() * STREAM_RECONNECT_JITTER_MS;
}

/** How long a connection may stay without any frame: a few of the ping intervals seen, or a default. */
export function silenceLimit(pingGaps: number[]): number {
	if (pingGaps.length === 0) return STREAM_DEFAULT_SILENCE_LIMIT_MS;
	return Math.max(STREAM_MIN_SILENCE_LIMIT_MS, STREAM_SILENT_AFTER_PINGS * Math.max(...pingGaps));
}

/** The WebSocket URL: the endpoint with the ticket. It holds a secret: it is never logged. */
export function streamUrlOf(endpoint: string, ticket: string): string {
	const separator = endpoint.includes('?') ? '&' : '?';
	return `${endpoint}${separator}${STREAM_TICKET_QUERY}=${encodeURIComponent(ticket)}`;
}

/** Waits `ms`, or less when `signal` aborts. n8n-workflow 1.x's sleep takes no signal: the abort is awaited beside it. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
	if (signal.aborted) return;
	let onAbort!: () => void;
	const aborted = new Promise<void>((resolve) => {
		onAbort = resolve;
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		await Promise.race([sleep(ms, signal).catch(() => undefined), aborted]);
	} finally {
		// A loop that pauses every second for weeks must not pile up listeners.
		signal.removeEventListener('abort', onAbort);
	}
}

const WATCHDOG_TICK_MS = 1000;
const CLOSE_WAIT_MS = 5000;
const REMEMBERED_PING_GAPS = 5;
const NORMAL_CLOSURE = 1000;

interface Session {
	socket: WebSocket;
	end: (reason: string) => void;
	closed: Promise<void>;
}

/**
 * DingTalk's Stream connection for robot messages: opens it with a new ticket each time, answers pings,
 * acknowledges every frame, and reconnects with backoff after a close, an error, a `disconnect` notice or
 * silence, until `close()`.
 */
export class RobotStream {
	private readonly stopping = new AbortController();

	private session?: Session;

	private loop?: Promise<void>;

	private readonly pingGaps: number[] = [];

	constructor(private readonly hooks: StreamHooks) {}

	get stopped(): boolean {
		return this.stopping.signal.aborted;
	}

	/**
	 * Starts the connection loop. Resolves once the first connection is open, or after a failure that
	 * reconnecting may fix (the loop goes on trying); rejects when DingTalk refuses the app for good.
	 */
	async start(): Promise<void> {
		if (this.loop) return;
		let first!: { resolve: () => void; reject: (error: Error) => void };
		const started = new Promise<void>((resolve, reject) => (first = { resolve, reject }));
		let settled = false;
		const settle = (error?: Error) => {
			if (settled) return false;
			settled = true;
			if (error) first.reject(error);
			else first.resolve();
			return true;
		};
		this.loop = this.run(settle);
		await started;
	}

	/** Closes the connection for good: no reconnect, no socket or timer left. */
	async close(): Promise<void> {
		this.stopping.abort();
		const session = this.session;
		if (session) {
			session.end('the trigger was closed');
			const waited = new AbortController();
			await Promise.race([session.closed, pause(CLOSE_WAIT_MS, waited.signal)]);
			waited.abort();
		}
	}

	private async run(settle: (error?: Error) => boolean): Promise<void> {
		let failures = 0;
		while (!this.stopped) {
			const grant = await this.hooks.open();
			if (this.stopped) break;
			if (!grant.ok) {
				if (grant.final) {
					// Activation fails with it, or, once running, n8n is told (it retries activation).
					if (!settle(grant.error)) this.hooks.onFinalError(grant.error);
					return;
				}
				this.hooks.logger.warn(
					`DingTalk Robot Trigger: could not open a Stream connection, trying again: ${grant.error.message}`,
				);
				settle();
			} else {
				const outcome = await this.connect(grant.endpoint, grant.ticket, () => settle());
				settle();
				if (outcome.healthy) failures = 0;
				if (this.stopped) break;
				this.hooks.logger.info(
					`DingTalk Robot Trigger: the Stream connection ended (${outcome.reason}); reconnecting`,
				);
			}
			await pause(reconnectDelay(failures++), this.stopping.signal);
		}
	}

	/** One connection, from open to its end. Healthy when a frame came: the next reconnect waits least. */
	private async connect(
		endpoint: string,
		ticket: string,
		onOpen: () => void,
	): Promise<{ healthy: boolean; reason: string }> {
		let socket: WebSocket;
		try {
			socket = new WebSocket(streamUrlOf(endpoint, ticket));
		} catch {
			// The message would show the URL, ticket included.
			return { healthy: false, reason: 'DingTalk gave an endpoint that is not a WebSocket URL' };
		}
		let framesSeen = 0;
		let lastFrameAt = Date.now();
		let lastPingAt: number | undefined;
		const watchdog = new AbortController();
		let markClosed!: () => void;
		const closed = new Promise<void>((resolve) => (markClosed = resolve));
		return await new Promise((resolve) => {
			let ended = false;
			const end = (reason: string) => {
				if (ended) return;
				ended = true;
				watchdog.abort();
				try {
					socket.close(NORMAL_CLOSURE);
				} catch {
					// Already closing.
				}
				if (this.session?.socket === socket) this.session = undefined;
				resolve({ healthy: framesSeen > 0, reason });
			};
			this.session = { socket, end, closed };
			if (this.stopped) end('the trigger was closed');

			const watch = async () => {
				while (!watchdog.signal.aborted) {
					await pause(WATCHDOG_TICK_MS, watchdog.signal);
					if (watchdog.signal.aborted) return;
					if (Date.now() - lastFrameAt > silenceLimit(this.pingGaps)) {
						end('no frame from DingTalk for longer than its pings allow');
						return;
					}
				}
			};
			socket.addEventListener('open', () => {
				lastFrameAt = Date.now();
				onOpen();
				void watch();
			});
			socket.addEventListener('message', (event: MessageEvent) => {
				framesSeen++;
				const now = Date.now();
				lastFrameAt = now;
				const frame = parseFrame(event.data);
				if (!frame) {
					this.hooks.logger.warn('DingTalk Robot Trigger: ignored a frame that is not JSON');
					return;
				}
				const topic = frame.headers?.topic;
				if (frame.type === STREAM_FRAME_TYPE.system) {
					if (topic === STREAM_SYSTEM_TOPIC.ping) {
						if (lastPingAt !== undefined) {
							this.pingGaps.push(now - lastPingAt);
							this.pingGaps.splice(0, this.pingGaps.length - REMEMBERED_PING_GAPS);
						}
						lastPingAt = now;
						send(socket, streamAckOf(frame));
					} else if (topic === STREAM_SYSTEM_TOPIC.disconnect) {
						end('DingTalk announced a disconnect');
					}
					return;
				}
				if (frame.type === STREAM_FRAME_TYPE.callback && topic === ROBOT_MESSAGE_TOPIC) {
					void this.hooks
						.onMessage(frame)
						.catch((error: Error) =>
							this.hooks.logger.error(
								`DingTalk Robot Trigger: a message could not be handled: ${error.message}`,
							),
						)
						// Acknowledged on the connection it came on; if that one is gone, DingTalk sends it again.
						.finally(() => send(socket, streamAckOf(frame)));
					return;
				}
				// Nothing else was subscribed: acknowledged, so DingTalk does not send it again.
				send(socket, streamAckOf(frame));
			});
			socket.addEventListener('error', () => end('a connection error'));
			socket.addEventListener('close', (event: { code: number }) => {
				markClosed();
				end(`closed with code ${event.code}`);
			});
		});
	}
}

function parseFrame(data: unknown): StreamFrame | undefined {
	const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : '';
	try {
		const frame = JSON.parse(text) as StreamFrame;
		return frame && typeof frame === 'object' ? frame : undefined;
	} catch {
		return undefined;
	}
}

function send(socket: WebSocket, text: string): void {
	// A socket that closed meanwhile cannot take it; DingTalk then sends the frame again.
	if (socket.readyState !== 1) return;
	try {
		socket.send(text);
	} catch {
		// Closed between the check and the send.
	}
}
