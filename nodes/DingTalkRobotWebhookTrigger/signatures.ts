import { createHash } from 'crypto';
import { CALLBACK_MAX_CLOCK_SKEW_MS } from '../shared/wire';

/**
 * DingTalk signs a callback's timestamp, not its body: whoever sees one request's headers could send any
 * body with them while the timestamp is within the hour. So each signature starts one message: it is
 * remembered, with its message, for the hour it is valid.
 */
export const SIGNATURES_KEPT_PER_APP = 10_000;

export type SignatureUse =
	/** Not seen before: the message may start the workflow. */
	| 'first'
	/** The same request again (DingTalk retrying): answered, nothing starts. */
	| 'sameMessage'
	/** Another body with a signature already used: refused. */
	| 'replayed'
	/** Older than the oldest signature still remembered, after the limit was reached: refused. */
	| 'tooOld';

interface AppSignatures {
	/** sign -> the message it came with and its timestamp, in the order they came. */
	used: Map<string, { msgId: string; timestamp: number }>;
	/** Signatures this old or older may have been forgotten: they are refused. */
	floor: number;
}

// Per signing secret (hashed), in this n8n process: every trigger of the app shares them.
const bySigner = new Map<string, AppSignatures>();

/** Records a valid signature's use and says whether the request may go on. */
export function useSignature(
	secret: string,
	sign: string,
	timestamp: number,
	msgId: string,
	now: number,
): SignatureUse {
	const signer = createHash('sha256').update(secret).digest('hex');
	const app = bySigner.get(signer) ?? { used: new Map(), floor: -Infinity };
	bySigner.set(signer, app);
	// Signatures past their hour would be refused for their timestamp anyway.
	for (const [used, entry] of app.used) {
		if (now - entry.timestamp <= CALLBACK_MAX_CLOCK_SKEW_MS) break;
		app.used.delete(used);
	}
	const earlier = app.used.get(sign);
	if (earlier) return earlier.msgId === msgId ? 'sameMessage' : 'replayed';
	if (timestamp <= app.floor) return 'tooOld';
	app.used.set(sign, { msgId, timestamp });
	if (app.used.size > SIGNATURES_KEPT_PER_APP) {
		const [oldest, entry] = app.used.entries().next().value!;
		app.used.delete(oldest);
		app.floor = Math.max(app.floor, entry.timestamp);
	}
	return 'first';
}
