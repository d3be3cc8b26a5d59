import { classifyAnswer, DEFAULT_TOKEN_LIFETIME_SECONDS, type DingTalkFailure } from '../wire';
import { storedTokenOf, TOKEN_FAILURE, type DingTalkAppCredentials } from '../app';
import { networkCodeOf } from './errors';
import { failedAttemptOfVerdict } from './retry';

/**
 * The access token of each app, in module memory for the life of n8n's process: fetched once per app
 * (every other call waits for that fetch), refreshed before DingTalk's expiry, and dropped by the first
 * call that sees DingTalk reject it. n8n persists each fetched token in the credential, so later
 * executions start with it.
 */

// Refresh this long before DingTalk's expiry (at most a tenth of the token's life), so no call races
// the end of a token's life.
const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;

interface TokenState {
	token?: string;
	/** Wall-clock time to stop using the token and fetch the next one (DingTalk's expiry is wall-clock). */
	refreshAt: number;
	/** DingTalk's expiry of the token, handed to the credential's authenticate with it. */
	expiresAt?: number;
	seeded: boolean;
	/** The fetch in progress; resolves to why it failed, or undefined when a token came. */
	refreshing?: Promise<TokenFetchFailure | undefined>;
	/** Monotonic time of the last use, for sweeping idle apps. */
	lastUsed: number;
}

const tokenStates = new Map<string, TokenState>();

function tokenStateOf(appIdentity: string, now: number): TokenState {
	let state = tokenStates.get(appIdentity);
	if (!state) {
		state = { refreshAt: 0, seeded: false, lastUsed: now };
		tokenStates.set(appIdentity, state);
	}
	state.lastUsed = now;
	return state;
}

/**
 * Why no token came: DingTalk's answer or a network error code, and whether trying again can help.
 * Holds nothing of the failed request (its config carries the app secret or suite ticket).
 */
export class TokenFetchFailure extends Error {
	constructor(
		readonly failure: DingTalkFailure | undefined,
		readonly networkCode: string | undefined,
	) {
		super('DingTalk issued no access token');
	}

	/** Rate-limit, busy and server answers and network errors pass; a wrong key or ticket does not. */
	get transient(): boolean {
		if (!this.failure) return true;
		const verdict = classifyAnswer('new', {
			status: this.failure.status,
			body: { code: this.failure.code },
		});
		return failedAttemptOfVerdict(verdict.kind) !== undefined;
	}
}

/** A failed token fetch reduced to DingTalk's reason or the network code: the raw error is dropped. */
function tokenFetchFailureOf(error: unknown, credentials: object): TokenFetchFailure {
	const answered = (credentials as Record<symbol, DingTalkFailure | undefined>)[TOKEN_FAILURE];
	return new TokenFetchFailure(answered, answered ? undefined : (networkCodeOf(error) ?? 'ERROR'));
}

/**
 * Sends one attempt with the app's current token, or, when there is none, becomes the call that fetches
 * it: `send` gets the token, or credentials with an empty token, which n8n fills (the credential's
 * preAuthentication). Throws a TokenFetchFailure when no token came.
 */
export async function sendWithToken<R>(
	appIdentity: string,
	credentials: DingTalkAppCredentials,
	now: number,
	send: (tokenOrCredentials: string | DingTalkAppCredentials) => Promise<R>,
): Promise<R & { token: string }> {
	const state = tokenStateOf(appIdentity, now);
	for (;;) {
		if (state.refreshing) {
			const failure = await state.refreshing;
			if (failure) throw failure;
			continue;
		}
		if (!state.seeded) {
			// A token n8n stored in the credential by an earlier execution serves until its expiry, when
			// it was issued for this app as configured now.
			state.seeded = true;
			const stored = storedTokenOf(credentials);
			const expiresAt = Number(credentials.expiresAt) || 0;
			if (!state.token && stored && expiresAt - TOKEN_REFRESH_MARGIN_MS > Date.now()) {
				state.token = stored;
				state.refreshAt = expiresAt - TOKEN_REFRESH_MARGIN_MS;
				state.expiresAt = expiresAt;
			}
		}
		if (state.token && state.refreshAt > Date.now()) {
			const token = state.token;
			return { ...(await send(token)), token };
		}
		// No usable token: this call fetches one through n8n (the credential's preAuthentication, which
		// n8n persists), while every other call for the same app waits for it.
		const fetching: DingTalkAppCredentials = { ...credentials, accessToken: '' };
		let result: R | undefined;
		let callError: unknown;
		const refresh = (async () => {
			try {
				result = await send(fetching);
			} catch (error) {
				if (!fetching.accessToken) return tokenFetchFailureOf(error, fetching);
				callError = error;
			}
			const fetchedAt = Date.now();
			const expiresAt =
				Number(fetching.expiresAt) || fetchedAt + DEFAULT_TOKEN_LIFETIME_SECONDS * 1000;
			state.token = fetching.accessToken;
			state.refreshAt = expiresAt - Math.min(TOKEN_REFRESH_MARGIN_MS, (expiresAt - fetchedAt) / 10);
			state.expiresAt = expiresAt;
			return undefined;
		})();
		state.refreshing = refresh;
		let failure: TokenFetchFailure | undefined;
		try {
			failure = await refresh;
		} finally {
			state.refreshing = undefined;
		}
		if (failure) throw failure;
		if (callError) throw callError;
		return { ...result!, token: fetching.accessToken ?? '' };
	}
}

/** The token in use now and DingTalk's expiry of it, if any. */
export function currentTokenOf(
	appIdentity: string,
	now: number,
): { token?: string; expiresAt?: number } {
	const { token, expiresAt } = tokenStateOf(appIdentity, now);
	return { token, expiresAt };
}

/** DingTalk rejected `rejected`: only the first call to see it drops it; the others use its successor. */
export function forgetToken(appIdentity: string, rejected: string, now: number): void {
	const state = tokenStateOf(appIdentity, now);
	if (state.token === rejected) {
		state.token = undefined;
		state.refreshAt = 0;
	}
}

/** Drops the tokens of apps nobody used for `idleMs` (not one being fetched). */
export function sweepIdleTokens(now: number, idleMs: number): void {
	for (const [key, state] of tokenStates) {
		if (!state.refreshing && now - state.lastUsed > idleMs) tokenStates.delete(key);
	}
}

export function tokenCount(): number {
	return tokenStates.size;
}
