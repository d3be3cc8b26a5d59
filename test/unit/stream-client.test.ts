// The Stream client's rules in virtual time: a gateway stand-in drives the socket, the test drives the
// clock, so five minutes of reconnects take milliseconds and every time is exact.
import type { Logger } from 'n8n-workflow';
import {
	RobotStream,
	STREAM_CLOSE_WAIT_MS,
	STREAM_MAX_DATA_BYTES,
	STREAM_OPEN_TIMEOUT_MS,
	type StreamHooks,
	type StreamSocket,
} from '../../nodes/DingTalkRobotTrigger/streamClient';
import type { StreamFrame } from '../../nodes/shared/wire';
import { VirtualClock } from './virtual-clock';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const TOPIC = '/v1.0/im/bot/messages/get';

/** A socket as the client sees it; the test plays DingTalk's side through accept, push and hangUp. */
class FakeSocket implements StreamSocket {
	readyState = CONNECTING;

	readonly sent: Array<{ at: number; frame: { headers?: { messageId?: string } } }> = [];

	closedByClientAt?: number;

	private readonly listeners = new Map<string, Array<(event: never) => void>>();

	constructor(
		readonly url: string,
		private readonly clock: VirtualClock,
	) {}

	addEventListener(type: string, listener: (event: never) => void): void {
		this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
	}

	private dispatch(type: string, event: object): void {
		for (const listener of this.listeners.get(type) ?? []) listener(event as never);
	}

	send(text: string): void {
		if (this.readyState !== OPEN) throw new Error('not open');
		this.sent.push({ at: this.clock.time, frame: JSON.parse(text) });
	}

	close(code = 1000): void {
		if (this.readyState >= CLOSING) return;
		this.readyState = CLOSING;
		this.closedByClientAt = this.clock.time;
		this.clock.after(0, () => this.closed(code));
	}

	accept(): void {
		this.readyState = OPEN;
		this.dispatch('open', {});
	}

	push(frame: object): void {
		this.dispatch('message', { data: JSON.stringify(frame) });
	}

	hangUp(code = 1000): void {
		if (this.readyState === CLOSED) return;
		this.closed(code);
	}

	private closed(code: number): void {
		this.readyState = CLOSED;
		this.dispatch('close', { code });
	}

	acknowledged(messageId: string): number[] {
		return this.sent
			.filter((entry) => entry.frame.headers?.messageId === messageId)
			.map((entry) => entry.at);
	}
}

let pings = 0;
const ping = () => ({
	specVersion: '1.0',
	type: 'SYSTEM',
	headers: { topic: 'ping', messageId: `ping-${++pings}` },
	data: '{"opaque":"o"}',
});
const message = (frameId: string, data = JSON.stringify({ msgId: frameId, msgtype: 'text' })) => ({
	specVersion: '1.0',
	type: 'CALLBACK',
	headers: { topic: TOPIC, messageId: frameId },
	data,
});

/** A running client against a gateway that does `gateway(socket, index)` with each new socket. */
function connectTo(
	gateway: (socket: FakeSocket, index: number, clock: VirtualClock) => void,
	onMessage: StreamHooks['onMessage'] = async () => true,
) {
	const clock = new VirtualClock();
	const sockets: FakeSocket[] = [];
	const opens: number[] = [];
	const logged: string[] = [];
	const log = (line: string) => logged.push(line);
	const logger = { warn: log, info: log, error: log, debug: log } as unknown as Logger;
	const stream = new RobotStream({
		open: async () => {
			opens.push(clock.time);
			return { ok: true, endpoint: 'wss://gateway.test/connect', ticket: 'ticket-1' };
		},
		onMessage,
		onFinalError: (error) => log(`final: ${error.message}`),
		logger,
		clock,
		random: () => 0.5,
		openSocket: (url) => {
			const socket = new FakeSocket(url, clock);
			sockets.push(socket);
			gateway(socket, sockets.length - 1, clock);
			return socket;
		},
	});
	const started = stream.start();
	return { clock, sockets, opens, logged, stream, started };
}

/** Closes the client, moving time on while it waits for its socket's close. */
async function closeIn(clock: VirtualClock, stream: RobotStream): Promise<void> {
	const closed = stream.close();
	await clock.advance(STREAM_CLOSE_WAIT_MS * 2);
	await closed;
	expect(clock.pending).toBe(0);
}

/** Opens 50 ms after the socket is created. */
const acceptAfter50 = (socket: FakeSocket, _index: number, clock: VirtualClock) =>
	clock.after(50, () => socket.accept());

describe('reconnecting', () => {
	it('a gateway that closes every connection right after its first ping gets the backoff schedule, not a storm: 12 opens in five minutes', async () => {
		const { clock, opens, stream } = connectTo((socket, _index, clock) => {
			acceptAfter50(socket, _index, clock);
			clock.after(150, () => {
				socket.push(ping());
				socket.hangUp();
			});
		});
		await clock.advance(5 * 60 * 1000);
		// Each connection lasts 150 ms; the waits are 75 % (random 0.5) of 1 s × 2^n, at most 60 s.
		const waits = [750, 1500, 3000, 6000, 12_000, 24_000, 45_000, 45_000, 45_000, 45_000, 45_000];
		const expected = [0];
		for (const wait of waits) expected.push(expected[expected.length - 1] + 150 + wait);
		expect(opens).toEqual(expected);
		await closeIn(clock, stream);
	});

	it('a connection that stayed healthy for its keep-alive window brings the next wait back to the shortest', async () => {
		const { clock, opens, stream } = connectTo((socket, index, clock) => {
			acceptAfter50(socket, index, clock);
			if (index === 0) {
				// Pings every 10 s: the keep-alive window is 3 of them, 30 s. It lasts 60 s.
				for (let at = 10_050; at <= 60_050; at += 10_000)
					clock.after(at, () => socket.push(ping()));
				clock.after(60_050, () => socket.hangUp());
			} else {
				clock.after(150, () => socket.hangUp());
			}
		});
		await clock.advance(63_000);
		expect(opens).toEqual([0, 60_050 + 750, 60_800 + 150 + 1500]);
		await closeIn(clock, stream);
	});

	it('a socket that does not open is given up after 10 s, not left to the platform', async () => {
		const { clock, sockets, opens, stream, started } = connectTo(() => undefined);
		await clock.advance(25_000);
		await started;
		expect(sockets[0].closedByClientAt).toBe(STREAM_OPEN_TIMEOUT_MS);
		expect(opens).toEqual([0, 10_750, 10_750 + 10_000 + 1500]);
		await closeIn(clock, stream);
	});

	it('a socket that goes silent is dropped 3 ping intervals after its last frame, on the monotonic clock', async () => {
		// The wall clock stands still (or is set back): it must not matter.
		const wallClock = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
		try {
			const { clock, sockets, stream } = connectTo((socket, index, clock) => {
				acceptAfter50(socket, index, clock);
				if (index === 0)
					for (let k = 1; k <= 5; k++) clock.after(50 + k * 1000, () => socket.push(ping()));
			});
			await clock.advance(20_000);
			expect(sockets[0].closedByClientAt).toBe(5050 + 3000);
			await closeIn(clock, stream);
		} finally {
			wallClock.mockRestore();
		}
	});
});

describe('frames', () => {
	it('a message frame is acknowledged only once its message was handled, and not when the trigger says no', async () => {
		const outcomes = new Map<string, (acknowledge: boolean) => void>();
		const { clock, sockets, stream } = connectTo(
			acceptAfter50,
			async (frame: StreamFrame) =>
				await new Promise<boolean>((resolve) => outcomes.set(frame.headers!.messageId!, resolve)),
		);
		await clock.advance(100);
		const socket = sockets[0];
		socket.push(message('taken'));
		socket.push(message('refused'));
		await clock.advance(1000);
		expect(socket.acknowledged('taken')).toEqual([]);
		outcomes.get('taken')!(true);
		outcomes.get('refused')!(false);
		await clock.advance(1000);
		expect(socket.acknowledged('taken')).toEqual([1100]);
		expect(socket.acknowledged('refused')).toEqual([]);
		await closeIn(clock, stream);
	});

	it('a message frame over 1 MB is refused unread and acknowledged; one of exactly 1 MB is handed on', async () => {
		const handed: string[] = [];
		const { clock, sockets, logged, stream } = connectTo(acceptAfter50, async (frame) => {
			handed.push(frame.headers!.messageId!);
			return true;
		});
		await clock.advance(100);
		const socket = sockets[0];
		socket.push(message('huge', 'x'.repeat(STREAM_MAX_DATA_BYTES + 1)));
		socket.push(message('large', 'x'.repeat(STREAM_MAX_DATA_BYTES)));
		await clock.advance(10);
		expect(handed).toEqual(['large']);
		expect(socket.acknowledged('huge')).toEqual([100]);
		expect(logged.join('\n')).toContain(
			`refused frame huge: its message is ${STREAM_MAX_DATA_BYTES + 1} bytes`,
		);
		await closeIn(clock, stream);
	});
});

describe('closing', () => {
	it('gives a message being handed to n8n time to be acknowledged, takes no new frame, then closes with a close frame and leaves no timer', async () => {
		let finish!: (acknowledge: boolean) => void;
		const handed: string[] = [];
		const { clock, sockets, stream } = connectTo(acceptAfter50, async (frame) => {
			handed.push(frame.headers!.messageId!);
			return await new Promise<boolean>((resolve) => (finish = resolve));
		});
		await clock.advance(100);
		const socket = sockets[0];
		socket.push(message('on-its-way'));
		await clock.advance(10);
		const closed = stream.close();
		socket.push(message('too-late'));
		await clock.advance(2000);
		finish(true);
		await clock.advance(10);
		await closed;
		expect(handed).toEqual(['on-its-way']);
		expect(socket.acknowledged('on-its-way')).toEqual([2110]);
		expect(socket.acknowledged('too-late')).toEqual([]);
		expect(socket.closedByClientAt).toBe(2110);
		expect(clock.pending).toBe(0);
	});

	it('does not wait more than 5 s for a message n8n has not taken', async () => {
		const { clock, sockets, stream } = connectTo(
			acceptAfter50,
			async () => await new Promise<boolean>(() => undefined),
		);
		await clock.advance(100);
		sockets[0].push(message('stuck'));
		await clock.advance(10);
		const closed = stream.close();
		await clock.advance(STREAM_CLOSE_WAIT_MS + 10);
		await closed;
		expect(sockets[0].closedByClientAt).toBe(110 + STREAM_CLOSE_WAIT_MS);
		expect(sockets[0].acknowledged('stuck')).toEqual([]);
	});
});
