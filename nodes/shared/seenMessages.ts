import type { IDataObject } from 'n8n-workflow';

/** Where the IDs that must survive a restart are kept in the node's static data. */
export const SEEN_MESSAGES_KEY = 'seenMessages';
const KEY_PREFIX = 'message:';

/** In memory: a day of message IDs, at most 5,000 (well under 1 MB). */
export const SEEN_IN_MEMORY = { forMs: 24 * 60 * 60 * 1000, atMost: 5000 };
/**
 * Saved with the workflow: the last hour's message IDs, at most 1,000. DingTalk sends an unacknowledged
 * frame again within about a minute, or on the next connection after a restart.
 */
export const SEEN_SAVED = { forMs: 60 * 60 * 1000, atMost: 1000 };

/** Keeps `times` (oldest first) within its limits: the cost is what it drops, never the whole map. */
function evict(
	times: Map<string, number>,
	limits: { forMs: number; atMost: number },
	now: number,
	onDrop?: (id: string) => void,
): void {
	for (const [id, at] of times) {
		if (times.size <= limits.atMost && now - at < limits.forMs) return;
		times.delete(id);
		onDrop?.(id);
	}
}

/**
 * The robot messages a trigger has handled lately, by DingTalk's `msgId`, so one that comes again starts
 * nothing. Every message costs the same whatever the number kept: entries are kept in the order they came
 * and dropped from the oldest end. With a store (a node's static data, which n8n saves with the workflow
 * when the next execution starts) the last hour's IDs also survive a restart.
 */
export class SeenMessages {
	private readonly inMemory = new Map<string, number>();

	private readonly saved = new Map<string, number>();

	private readonly inFlight = new Map<string, Promise<boolean>>();

	constructor(private readonly store?: IDataObject) {
		if (!store) return;
		const stored = (store[SEEN_MESSAGES_KEY] ?? {}) as Record<string, unknown>;
		// Read once at start, oldest first; an older version also kept frame IDs here, which are dropped.
		const entries = Object.entries(stored)
			.filter(([key, at]) => key.startsWith(KEY_PREFIX) && typeof at === 'number')
			.map(([key, at]) => [key.slice(KEY_PREFIX.length), at as number] as const)
			.sort((a, b) => a[1] - b[1]);
		for (const [id, at] of entries) {
			this.inMemory.set(id, at);
			this.saved.set(id, at);
		}
		store[SEEN_MESSAGES_KEY] = Object.fromEntries(
			entries.map(([id, at]) => [`${KEY_PREFIX}${id}`, at]),
		);
	}

	has(msgId: string, now: number): boolean {
		const at = this.inMemory.get(msgId);
		return at !== undefined && now - at < SEEN_IN_MEMORY.forMs;
	}

	remember(msgId: string, now: number): void {
		this.inMemory.delete(msgId);
		this.inMemory.set(msgId, now);
		evict(this.inMemory, SEEN_IN_MEMORY, now);
		if (!this.store) return;
		const stored = this.store[SEEN_MESSAGES_KEY] as Record<string, number>;
		this.saved.delete(msgId);
		this.saved.set(msgId, now);
		stored[`${KEY_PREFIX}${msgId}`] = now;
		evict(this.saved, SEEN_SAVED, now, (id) => delete stored[`${KEY_PREFIX}${id}`]);
		// Set again, so n8n sees that the static data changed (an object it did not create is not watched).
		this.store[SEEN_MESSAGES_KEY] = stored;
	}

	/**
	 * Hands a message on once: `start` says whether it was taken. A copy that comes while the first is being
	 * handled gets the first one's outcome; a message taken before is not started again (true at once).
	 */
	async once(msgId: string, now: () => number, start: () => Promise<boolean>): Promise<boolean> {
		if (this.has(msgId, now())) return true;
		const running = this.inFlight.get(msgId);
		if (running) return await running;
		const attempt = start()
			.then((taken) => {
				if (taken) this.remember(msgId, now());
				return taken;
			})
			.finally(() => this.inFlight.delete(msgId));
		this.inFlight.set(msgId, attempt);
		return await attempt;
	}

	/** How many IDs are kept in memory and saved (for tests of the bounds). */
	get size(): { inMemory: number; saved: number } {
		return { inMemory: this.inMemory.size, saved: this.saved.size };
	}
}
