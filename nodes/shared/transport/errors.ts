import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';
import { redact } from '../app';
import { ERROR_GUIDE } from '../errorGuide';
import { PERMISSION_CODES, PERMISSION_OF_PATH, type DingTalkFailure } from '../wire';
import { NOT_SENT_ERROR_CODES } from './retry';

/**
 * The errors the transport raises, in the node's own words: DingTalk's code and message with what to do
 * (from the error guide), network failures, the file host's refusals, a cancelled execution. None
 * carries a secret, a token or a signed URL.
 */

export const NOT_RESENT =
	'It was not sent again, because DingTalk may already have delivered it or carried it out: check the chat (or, for a file or folder, the space) before running it again.';

export const NETWORK_ERROR_WORDS: Record<string, string> = {
	ECONNREFUSED: 'the connection was refused',
	ECONNRESET: 'the connection was cut before an answer came',
	ETIMEDOUT: 'no answer in time',
	ECONNABORTED: 'no answer in time',
	ENOTFOUND: 'the host name was not found',
	EAI_AGAIN: 'the host name could not be looked up',
	EHOSTUNREACH: 'the host is unreachable',
	ENETUNREACH: 'the network is unreachable',
};

/** Node's network error code of a failed request (on the error or its causes), if any. */
export function networkCodeOf(error: unknown): string | undefined {
	const candidates = [
		error,
		(error as { cause?: unknown })?.cause,
		(error as { cause?: { cause?: unknown } })?.cause?.cause,
	];
	for (const candidate of candidates) {
		const code = (candidate as { code?: unknown })?.code;
		if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
	}
	return undefined;
}

/**
 * A NodeApiError that says exactly what we wrote. n8n replaces a message that mentions a network
 * code (ETIMEDOUT, ECONNRESET, …) with its own text, which invites a retry: wrong for a send that may
 * have been delivered, so message and description are set again after n8n's constructor.
 */
export function nodeApiError(
	node: INode,
	response: JsonObject,
	message: string,
	description: string,
	itemIndex: number,
	httpCode?: string,
): NodeApiError {
	const error = new NodeApiError(node, response, { message, description, httpCode, itemIndex });
	error.message = message;
	error.description = description;
	return error;
}

/** An error as n8n shows it: n8n's own errors as they are, anything else wrapped, its message kept. */
export function asNodeError(error: unknown, node: INode, itemIndex: number): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(node, error as Error, { itemIndex });
}

/** DingTalk's refusal with its meaning and what to do; `secrets` are hidden in DingTalk's message. */
export function apiError(
	node: INode,
	secrets: string[],
	failure: DingTalkFailure,
	itemIndex: number,
	path?: string,
	extra?: string,
): NodeApiError {
	const guide = ERROR_GUIDE[failure.code] ?? ERROR_GUIDE[failure.code.split('/')[0]];
	const needed = path ? PERMISSION_OF_PATH[path] : undefined;
	const scopes = failure.requiredScopes?.length
		? failure.requiredScopes.join(', ')
		: (needed ?? 'the permission this operation needs');
	const dingTalkMessage = redact(failure.message, secrets);
	const message = guide
		? `DingTalk: ${guide.meaning} [${failure.code}]`
		: `DingTalk returned an error: ${dingTalkMessage || 'no message'} [${failure.code}]`;
	const description = [
		`DingTalk's code: ${failure.code}`,
		dingTalkMessage ? `DingTalk's message: ${dingTalkMessage}` : undefined,
		failure.requestId ? `Request ID: ${failure.requestId}` : undefined,
		failure.requiredScopes?.length ? `Missing permission: ${scopes}` : undefined,
		guide
			? `What to do: ${guide.action
					.replace('{scopes}', scopes)
					.replace('{permission}', needed ?? 'this operation needs')}`
			: undefined,
		needed && PERMISSION_CODES.has(failure.code)
			? `This operation needs the app permission ${needed}.`
			: undefined,
		extra,
	]
		.filter(Boolean)
		.join('\n');
	const response: JsonObject = {
		code: failure.code,
		message: dingTalkMessage,
		requestId: failure.requestId ?? null,
	};
	if (failure.requiredScopes) response.requiredScopes = failure.requiredScopes;
	const error = nodeApiError(
		node,
		response,
		message,
		description,
		itemIndex,
		String(failure.status),
	);
	// Continue On Fail puts these in the error item, so workflows can branch on DingTalk's code.
	error.context.dingTalk = { code: failure.code, requestId: failure.requestId };
	return error;
}

/** No token came: DingTalk's reason, or the network error; nothing else was sent. */
export function tokenError(
	node: INode,
	secrets: string[],
	reason: { failure?: DingTalkFailure; networkCode?: string },
	itemIndex: number,
): NodeApiError {
	const nothingSent = 'Nothing was sent: every call waits for its access token first.';
	if (reason.failure) {
		return apiError(
			node,
			secrets,
			reason.failure,
			itemIndex,
			undefined,
			`DingTalk issued no access token. ${nothingSent}`,
		);
	}
	const code = reason.networkCode ?? 'ERROR';
	return nodeApiError(
		node,
		{ networkError: code },
		`Could not reach DingTalk to get an access token: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
		`Network error ${code}. ${nothingSent} Check the network and the credential's region or base URLs.`,
		itemIndex,
	);
}

/** A request that got no answer; for a call that is not repeatable, whether it may have been carried out. */
export function networkError(
	node: INode,
	code: string,
	repeatable: boolean,
	itemIndex: number,
): NodeApiError {
	const unsure = !repeatable && !NOT_SENT_ERROR_CODES.has(code);
	return nodeApiError(
		node,
		{ networkError: code },
		`Could not reach DingTalk: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
		`Network error ${code}. ` +
			(unsure ? NOT_RESENT : "Check the network and the credential's region or base URLs."),
		itemIndex,
	);
}

/** DingTalk's file host refused or failed: the node's words, never the URL or its signature. */
export function fileHostError(
	node: INode,
	message: string,
	description: string,
	itemIndex: number,
	httpCode?: string,
): NodeApiError {
	return nodeApiError(node, { fileHost: message }, message, description, itemIndex, httpCode);
}

/** A download whose connection broke after `bytes` bytes. */
export function brokenDownload(
	node: INode,
	error: unknown,
	bytes: number,
	itemIndex: number,
): NodeApiError {
	const code = networkCodeOf(error) ?? 'ERROR';
	// Mid-file, a reset connection is not "cut before an answer came".
	const words = code === 'ECONNRESET' ? 'the connection was cut' : NETWORK_ERROR_WORDS[code];
	return fileHostError(
		node,
		`The download from DingTalk's file host broke off after ${bytes.toLocaleString('en-US')} bytes: ${words ?? 'the connection failed'}`,
		`Network error ${code}. Nothing was kept; run the node again to get a fresh download link.`,
		itemIndex,
	);
}

export function cancelled(node: INode, itemIndex?: number): NodeOperationError {
	return new NodeOperationError(node, 'The execution was cancelled', { itemIndex });
}
