import type { NodeApiError } from 'n8n-workflow';
import { streamEndpointProblem } from '../addresses';
import { baseUrlsOf, streamClientOf } from '../app';
import {
	classifyAnswer,
	STREAM_CONNECTION_PATH,
	STREAM_SUBSCRIPTIONS,
	streamRefusalIsFinal,
	type DingTalkFailure,
} from '../wire';
import { apiError, networkCodeOf, networkError } from './errors';
import { parseBody, type TransportScope } from './scope';

/** What DingTalk's Stream gateway said: a WebSocket endpoint and ticket, or why not and whether trying again can help. */
export type StreamConnectionGrant =
	| { ok: true; endpoint: string; ticket: string }
	| { ok: false; final: boolean; error: NodeApiError };

/**
 * Asks DingTalk's Stream gateway for a WebSocket endpoint and a one-time ticket. It takes the app's client
 * ID and secret, no token; one attempt (the trigger's reconnect loop decides when to try again). Neither the
 * secret nor the ticket appears in an error.
 */
export async function openStreamConnection(scope: TransportScope): Promise<StreamConnectionGrant> {
	const api = { family: 'new', path: STREAM_CONNECTION_PATH } as const;
	await scope.takeRateSlot(api);
	let response: { statusCode: number; body: unknown; headers?: Record<string, unknown> };
	try {
		response = (await scope.ctx.helpers.httpRequest({
			method: 'POST',
			baseURL: baseUrlsOf(scope.credentials).new,
			url: STREAM_CONNECTION_PATH,
			// Without it the gateway answers in XML.
			headers: { accept: 'application/json', 'content-type': 'application/json' },
			body: {
				...streamClientOf(scope.credentials),
				ua: 'n8n-nodes-dingtalk-files',
				subscriptions: STREAM_SUBSCRIPTIONS,
			},
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			// The app secret is in the body: it goes to the configured host and nowhere else.
			disableFollowRedirect: true,
			timeout: scope.options.timeout,
		})) as typeof response;
	} catch (error) {
		const code = networkCodeOf(error) ?? 'ERROR';
		return { ok: false, final: false, error: networkError(scope.node(), code, true, 0) };
	}
	const answer = {
		status: response.statusCode,
		body: parseBody(response.body),
		headers: response.headers,
	};
	const verdict = classifyAnswer('new', answer);
	if (verdict.kind === 'ok') {
		const { endpoint, ticket } = (answer.body ?? {}) as { endpoint?: unknown; ticket?: unknown };
		const granted =
			typeof endpoint === 'string' && endpoint !== '' && typeof ticket === 'string' && ticket;
		const problem = granted
			? streamEndpointProblem(endpoint, scope.credentials.region === 'custom')
			: 'the answer has no endpoint and ticket';
		if (granted && !problem) return { ok: true, endpoint, ticket };
		// Tried again with backoff: the next answer may hold another endpoint.
		const failure: DingTalkFailure = {
			status: answer.status,
			code: granted ? 'streamEndpointRefused' : 'unexpectedAnswer',
			message: granted ? `refused because ${problem}` : String(problem),
		};
		return {
			ok: false,
			final: false,
			error: apiError(scope.node(), scope.secrets(), failure, 0, api.path),
		};
	}
	return {
		ok: false,
		final: streamRefusalIsFinal(verdict),
		error: apiError(scope.node(), scope.secrets(), verdict.failure, 0, api.path),
	};
}
