import type { Logger } from 'n8n-workflow';
import { SYSTEM_CLOCK, type Clock } from '../shared/clock';
import type { StreamConnectionGrant } from '../shared/transport';
import {
	ROBOT_MESSAGE_TOPIC,
	STREAM_DEFAULT_SILENCE_LIMIT_MS,
	STREAM_FRAME_TYPE,
	STREAM_MIN_SILENCE_LIMIT_MS,
	STREAM_RECONNECT_BASE_MS,
	STREAM_RECONNECT_MAX_MS,
	STREAM_SILENT_AFTER_PINGS,
	STREAM_SYSTEM_TOPIC,
	STREAM_TICKET_QUERY,
	streamAckOf,
	type StreamFrame,
} from '../shared/wire';

/** The part of a WebSocket the connection uses: Node's built-in one, or a test's stand-in. */
export interface StreamSocket {
	readonly readyState: number;
	addEventListener(type: string, listener: (event: never) => void): void;
	send(text: string): void;
	close(code?: number): void;
}

/** What the connection needs from its trigger. */
export interface StreamHooks {
	/** Asks DingTalk's gateway for an endpoint and a new ticket (one attempt). */
	open: () => Promise<StreamConnectionGrant>;
	/**
	 * Handles a robot message. True: acknowledge its frame (n8n took the execution, or the message starts
	 * nothing); false: leave it unacknowledged, so DingTalk sends it again.
	 */
	onMessage: (frame: StreamFrame) => Promise<boolean>;
	/** What reconnecting cannot fix, once the trigger is running (a wrong secret, a revoked app). */
	onFinalError: (error: Error) => void;
	logger: Logger;
	/** Replaced in tests, which run minutes of reconnects in milliseconds. */
	clock?: Clock;
	openSocket?: (url: string) => StreamSocket;
	random?: () => number;
}

/**
 * How long to wait before reconnect attempt `failures` (0 after a healthy connection): 1 s × 2^n, at most
 * a minute, as DingTalk's own clients do; each wait is a random 50 to 100 % of that, so n8n instances cut
 * off together do not all come back in the same second.
 */
export function reconnectDelay(failures: number, random: () => number = Math.random): number {
	const ceiling = Math.min(STREAM_RECONNECT_MAX_MS, STREAM_RECONNECT_BASE_MS * 2 ** failures);
	return ceiling / 2 + random() * (ceiling / 2);
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

// A socket that has not opened by then is given up: without it a hung upgrade waits on the platform's
// defaults, minutes, while the ticket (valid 90 s) runs out.
export const STREAM_OPEN_TIMEOUT_MS = 10_000;
// A robot message is a few KB (its files come by download code): a frame whose data is larger is refused
// unread, and acknowledged, since DingTalk would otherwise send it again forever.
export const STREAM_MAX_DATA_BYTES = 1024 * 1024;
// On close, messages already being handed to n8n get this long to be taken and acknowledged.
export const STREAM_CLOSE_WAIT_MS = 5000;
const REMEMBERED_PING_GAPS = 5;
const WATCHDOG_TICK_MS = 1000;
const NORMAL_CLOSURE = 1000;
const OPEN = 1;

interface Session {
	socket: StreamSocket;
	end: (reason: string) => void;
	closed: Promise<void>;
}

/**
 * DingTalk's Stream connection for robot messages: opens it with a new ticket each time, answers pings,
 * acknowledges each frame once its message is handled, and reconnects with backoff after a close, an
 * error, a `disconnect` notice, a connection that does not open, or silence, until `close()`.
 */
export class RobotStream {
	private readonly stopping = new AbortController();

	private readonly clock: Clock;

	private readonly openSocket: (url: string) => StreamSocket;

	private readonly random: () => number;

	private session?: Session;

	private loop?: Promise<void>;

	private readonly pingGaps: number[] = [];

	/** Messages being handled, whatever connection they came on. */
	private readonly handling = new Set<Promise<void>>();

	constructor(private readonly hooks: StreamHooks) {
		this.clock = hooks.clock ?? SYSTEM_CLOCK;
		this.openSocket = hooks.openSocket ?? ((url) => new WebSocket(url) as unknown as StreamSocket);
		this.random = hooks.random ?? Math.random;
	}

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

	/**
	 * Closes the connection for good: no reconnect, no socket or timer left. New frames are left for
	 * DingTalk to send again; messages already on their way to n8n get a few seconds to be acknowledged.
	 */
	async close(): Promise<void> {
		this.stopping.abort();
		await this.within(STREAM_CLOSE_WAIT_MS, Promise.allSettled([...this.handling]));
		const session = this.session;
		if (session) {
			session.end('the trigger was closed');
			await this.within(STREAM_CLOSE_WAIT_MS, session.closed);
		}
	}

	/** Waits for `promise`, at most `ms`. */
	private async within(ms: number, promise: Promise<unknown>): Promise<void> {
		const timer = new AbortController();
		await Promise.race([promise, this.clock.sleep(ms, timer.signal)]);
		timer.abort();
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
				// Only a connection that lasted a whole keep-alive window resets the backoff: a gateway that
				// pings and closes must not bring each new open call (it carries the secret) forward.
				if (outcome.healthy) failures = 0;
				if (this.stopped) break;
				this.hooks.logger.info(
					`DingTalk Robot Trigger: the Stream connection ended (${outcome.reason}); reconnecting`,
				);
			}
			await this.clock.sleep(reconnectDelay(failures++, this.random), this.stopping.signal);
		}
	}

	/** One connection, from the socket's creation to its end. */
	private async connect(
		endpoint: string,
		ticket: string,
		onOpen: () => void,
	): Promise<{ healthy: boolean; reason: string }> {
		const { clock, hooks } = this;
		let socket: StreamSocket;
		try {
			socket = this.openSocket(streamUrlOf(endpoint, ticket));
		} catch {
			// The message would show the URL, ticket included.
			return { healthy: false, reason: 'DingTalk gave an endpoint that is not a WebSocket URL' };
		}
		const createdAt = clock.now();
		let openedAt: number | undefined;
		let lastFrameAt = createdAt;
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
				const healthy =
					openedAt !== undefined && clock.now() - openedAt >= silenceLimit(this.pingGaps);
				resolve({ healthy, reason });
			};
			this.session = { socket, end, closed };
			if (this.stopped) end('the trigger was closed');

			// From the socket's creation: first the time it has to open, then the silence its pings allow.
			const watch = async () => {
				while (!watchdog.signal.aborted) {
					const deadline =
						openedAt === undefined
							? createdAt + STREAM_OPEN_TIMEOUT_MS
							: lastFrameAt + silenceLimit(this.pingGaps);
					const now = clock.now();
					if (now >= deadline) {
						end(
							openedAt === undefined
								? `the connection did not open within ${STREAM_OPEN_TIMEOUT_MS / 1000} s`
								: 'no frame from DingTalk for longer than its pings allow',
						);
						return;
					}
					// At least once a second: the limit shrinks once pings show their interval.
					await clock.sleep(Math.min(deadline - now, WATCHDOG_TICK_MS), watchdog.signal);
				}
			};
			void watch();
			socket.addEventListener('open', () => {
				openedAt = clock.now();
				lastFrameAt = openedAt;
				onOpen();
			});
			socket.addEventListener('message', (event: { data: unknown }) => {
				// Closing: the frame is left for DingTalk to send again after the next activation.
				if (this.stopped) return;
				const now = clock.now();
				lastFrameAt = now;
				const frame = parseFrame(event.data);
				if (!frame) {
					hooks.logger.warn('DingTalk Robot Trigger: ignored a frame that is not JSON');
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
					const size = Buffer.byteLength(typeof frame.data === 'string' ? frame.data : '');
					if (size > STREAM_MAX_DATA_BYTES) {
						hooks.logger.warn(
							`DingTalk Robot Trigger: refused frame ${String(frame.headers?.messageId)}: its message is ${size} bytes, more than the ${STREAM_MAX_DATA_BYTES} bytes a robot message can be; acknowledged, nothing started`,
						);
						send(socket, streamAckOf(frame));
						return;
					}
					this.handle(frame, socket);
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

	/** Hands a message frame to the trigger; acknowledges it on the connection it came on, when told to. */
	private handle(frame: StreamFrame, socket: StreamSocket): void {
		const handled = this.hooks
			.onMessage(frame)
			.then(
				(acknowledge) => {
					// If that connection is gone, DingTalk sends the frame again on the next one.
					if (acknowledge) send(socket, streamAckOf(frame));
				},
				(error: Error) =>
					this.hooks.logger.error(
						`DingTalk Robot Trigger: a message could not be handled: ${error.message}`,
					),
			)
			.finally(() => this.handling.delete(handled));
		this.handling.add(handled);
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

function send(socket: StreamSocket, text: string): void {
	// A socket that closed meanwhile cannot take it; DingTalk then sends the frame again.
	if (socket.readyState !== OPEN) return;
	try {
		socket.send(text);
	} catch {
		// Closed between the check and the send.
	}
}
