import type { IHttpRequestOptions } from 'n8n-workflow';
import { cancelled, networkCodeOf } from './errors';
import { failedAttemptOfNetworkCode } from './retry';
import type { TransportScope } from './scope';

/**
 * One attempt of a request to a host that is not DingTalk's API (the file host, a sessionWebhook): no
 * token, no redirect followed (it would carry a signed request or a message elsewhere), the node's
 * timeout and cancellation. Resolves to the full response whatever its status; to undefined after a
 * network error the retry policy repeats (the backoff has been waited); else throws `failure(code)`.
 */
export async function attemptHostRequest<R>(
	scope: TransportScope,
	request: IHttpRequestOptions,
	attempt: number,
	itemIndex: number,
	repeatable: boolean,
	failure: (networkCode: string) => Error,
): Promise<R | undefined> {
	try {
		return (await scope.ctx.helpers.httpRequest({
			...request,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			disableFollowRedirect: true,
			timeout: scope.options.timeout,
			abortSignal: scope.cancelSignal,
		})) as R;
	} catch (error) {
		if (scope.cancelSignal?.aborted) throw cancelled(scope.node(), itemIndex);
		const code = networkCodeOf(error) ?? 'ERROR';
		if (await scope.tryAgain(attempt, failedAttemptOfNetworkCode(code), repeatable, itemIndex))
			return undefined;
		throw failure(code);
	}
}
