import { NodeOperationError, type IDataObject } from 'n8n-workflow';
import { sessionWebhookProblem } from '../addresses';
import { ownHostsOf } from '../app';
import { recordRefused } from '../rate';
import { classifyAnswer, SESSION_EXPIRED_ERRCODE, SESSION_REPLY_PATH } from '../wire';
import { apiError, networkError, NOT_RESENT } from './errors';
import { attemptHostRequest } from './hostRequest';
import { failedAttemptOfVerdict } from './retry';
import { parseBody, type TransportScope } from './scope';

/**
 * Posts a reply to a robot message's own reply address (its sessionWebhook). Only DingTalk's hosts
 * (or a Custom credential's own) are accepted; no token goes with it and no redirect is followed. A
 * reply is a send: never repeated once it may have reached DingTalk. An expired session is not an
 * error here: the caller decides what to do (fall back to a send, or fail).
 */
export async function replyThroughSession(
	scope: TransportScope,
	url: string,
	body: IDataObject,
	itemIndex: number,
): Promise<{ expired: boolean }> {
	const problem = sessionWebhookProblem(url, ownHostsOf(scope.credentials));
	if (problem) {
		throw new NodeOperationError(
			scope.node(),
			`Reply Address: the node does not send replies to this address, because ${problem}`,
			{
				itemIndex,
				description:
					"Give the sessionWebhook of a message from a DingTalk Robot Trigger (it points to DingTalk's oapi host). Nothing was sent.",
			},
		);
	}
	// All replies share one rate window: the path of every sessionWebhook.
	const api = { family: 'legacy', path: SESSION_REPLY_PATH } as const;
	for (let attempt = 0; ; attempt++) {
		await scope.takeRateSlot(api);
		const response = await attemptHostRequest<{
			statusCode: number;
			body: unknown;
			headers?: Record<string, unknown>;
		}>(
			scope,
			{ method: 'POST', url, body, json: true, headers: { 'content-type': 'application/json' } },
			attempt,
			itemIndex,
			false,
			(code) => networkError(scope.node(), code, false, itemIndex),
		);
		if (!response) continue;
		const answer = parseBody(response.body);
		if (
			response.statusCode < 300 &&
			String((answer as IDataObject | null)?.errcode) === SESSION_EXPIRED_ERRCODE
		)
			return { expired: true };
		const verdict = classifyAnswer('legacy', {
			status: response.statusCode,
			body: answer,
			headers: response.headers,
		});
		if (verdict.kind === 'ok') return { expired: false };
		// Refused for the rate limit, or busy: not carried out, so it may go again. A reply is a send: after
		// an answer that says it may have been carried out, it is not.
		const failed = failedAttemptOfVerdict(verdict.kind);
		if (verdict.kind === 'rateLimited') recordRefused(scope.rateWindowOf(api));
		if (failed && (await scope.tryAgain(attempt, failed, false, itemIndex))) continue;
		const unsure = verdict.kind === 'maybeExecuted' || verdict.kind === 'unexpectedAnswer';
		throw apiError(
			scope.node(),
			scope.secrets(),
			verdict.failure,
			itemIndex,
			undefined,
			unsure ? NOT_RESENT : undefined,
		);
	}
}
