import { NodeApiError, type IHttpRequestOptions, type JsonObject } from 'n8n-workflow';
import { signedUrlProblem } from '../addresses';
import { redirectTarget, signedUploadHeaders } from '../wire';
import {
	asNodeError,
	brokenDownload,
	cancelled,
	fileHostError,
	NETWORK_ERROR_WORDS,
} from './errors';
import { attemptHostRequest } from './hostRequest';
import type { TransportScope } from './scope';

/**
 * DingTalk's file host: the signed download and the signed upload of a file's bytes. It is not
 * DingTalk's API: no token goes with a request, no redirect is followed, and neither a signed URL nor
 * its headers appear in an error. Both are safe to repeat (a GET, a PUT that replaces one object).
 */

/** What a signed download gives: the body as a stream, its size when the host said it, its first bytes. */
export interface SignedDownload {
	/** The body as it arrives; an empty file as an empty Buffer. */
	stream: (AsyncIterable<Buffer> & { destroy(): void }) | Buffer;
	size?: number;
	head: Buffer;
}

/** Throws when a signed address points where the node does not go (see addresses.ts: private hosts). */
function refuseForeignAddress(
	scope: TransportScope,
	url: string,
	itemIndex: number,
	message: string,
	called: string,
	outcome: string,
): void {
	const problem = signedUrlProblem(url, scope.credentials.region === 'custom');
	if (problem) {
		throw fileHostError(
			scope.node(),
			message,
			`The ${called} was refused because ${problem}. ${outcome}`,
			itemIndex,
		);
	}
}

/**
 * One attempt of a file-host request (a GET, or a PUT that replaces one object: both repeatable).
 * Undefined when it failed and goes again; a network error past the retries says what could not be done.
 */
async function attemptFileHost<R>(
	scope: TransportScope,
	request: IHttpRequestOptions,
	attempt: number,
	itemIndex: number,
	task: string,
	outcome: string,
): Promise<R | undefined> {
	return await attemptHostRequest<R>(scope, request, attempt, itemIndex, true, (code) =>
		fileHostError(
			scope.node(),
			`Could not ${task}: ${NETWORK_ERROR_WORDS[code] ?? 'the request failed'}`,
			`Network error ${code}. ${outcome}`,
			itemIndex,
		),
	);
}

/**
 * Starts the download of a signed URL from DingTalk's file host. The file host is not DingTalk's
 * API: no token goes with it, redirects are not followed, and the URL never appears in an error.
 * A file larger than `maxBytes` (by the size the host announces) is refused before it is read.
 */
export async function downloadSignedFile<T>(
	scope: TransportScope,
	url: string,
	itemIndex: number,
	maxBytes: number,
	consume: (download: SignedDownload) => Promise<T>,
	signedHeaders: Record<string, string> = {},
): Promise<T> {
	refuseForeignAddress(
		scope,
		url,
		itemIndex,
		'DingTalk gave a download link the node does not fetch',
		'link',
		'Nothing was downloaded.',
	);
	for (let attempt = 0; ; attempt++) {
		const response = await attemptFileHost<{
			statusCode: number;
			headers: Record<string, unknown>;
			body: unknown;
		}>(
			scope,
			// A storage download is signed over these headers: they go exactly as DingTalk gave them.
			{ method: 'GET', url, headers: { ...signedHeaders }, encoding: 'stream' },
			attempt,
			itemIndex,
			"download the file from DingTalk's file host",
			'Run the node again to get a fresh download link.',
		);
		if (!response) continue;
		const stream = response.body as AsyncIterable<Buffer> & { destroy(): void };
		const status = response.statusCode;
		if (status >= 200 && status < 300) {
			const announced = Number(response.headers['content-length']);
			const size = Number.isFinite(announced) && announced >= 0 ? announced : undefined;
			if (size !== undefined && size > maxBytes) {
				stream.destroy();
				throw fileHostError(
					scope.node(),
					`The file is ${size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} bytes allowed by "Max File Size"`,
					'Nothing was downloaded. Raise the "Max File Size" option to download it.',
					itemIndex,
				);
			}
			let head: Buffer;
			try {
				head = await peekHead(stream as never);
			} catch (error) {
				throw brokenDownload(scope.node(), error, 0, itemIndex);
			}
			// An empty file's stream has ended while its first bytes were looked for: a reader would wait
			// for an end that came before it listened.
			if (head.length === 0 && (stream as { readableEnded?: boolean }).readableEnded === true)
				return await consume({ stream: Buffer.alloc(0), size: 0, head });
			// Counted as they are handed on, whatever the host announced: a chunked answer has no size.
			const watch = watchBytes(stream as never, maxBytes);
			try {
				return await consume({ stream, size, head });
			} catch (error) {
				if (watch.overLimit) {
					throw fileHostError(
						scope.node(),
						`The file is larger than the ${maxBytes.toLocaleString('en-US')} bytes allowed by "Max File Size"`,
						'The download was stopped at the limit and nothing was kept. Raise the "Max File Size" option to download it.',
						itemIndex,
					);
				}
				if (scope.cancelSignal?.aborted) throw cancelled(scope.node(), itemIndex);
				// The reader's own failure (n8n's binary store) is not the download's.
				if (watch.failure === undefined) throw asNodeError(error, scope.node(), itemIndex);
				throw brokenDownload(scope.node(), watch.failure, watch.bytes, itemIndex);
			}
		}
		stream.destroy();
		if (status >= 500 && (await scope.tryAgain(attempt, 'maybeCarriedOut', true, itemIndex)))
			continue;
		const redirected =
			status >= 300 && status < 400
				? `It answered with a redirect to ${redirectTarget(response.headers.location)}, which the node does not follow for downloads.`
				: status === 403
					? 'The link was refused (HTTP 403): it may have expired, as links are short-lived. Run the node again to get a fresh one.'
					: 'Run the node again to get a fresh download link.';
		throw fileHostError(
			scope.node(),
			`DingTalk's file host did not hand over the file (HTTP ${status})`,
			redirected,
			itemIndex,
			String(status),
		);
	}
}

/**
 * Uploads a file with a signed PUT (DingTalk storage). The upload host is not DingTalk's API: no token
 * goes with it, no redirect is followed, and neither its URL nor its signed headers appear in an error.
 * `body` is called for every attempt, so a stream is opened afresh; a repeated PUT replaces the same
 * object, so it is safe to send again.
 */
export async function putSignedFile(
	scope: TransportScope,
	upload: { url: string; headers: Record<string, string> },
	body: () => Promise<Buffer | NodeJS.ReadableStream>,
	size: number,
	itemIndex: number,
): Promise<void> {
	refuseForeignAddress(
		scope,
		upload.url,
		itemIndex,
		'DingTalk gave an upload address the node does not send the file to',
		'address',
		'Nothing was stored.',
	);
	const { headers, sendsContentType } = signedUploadHeaders(upload.headers, size);
	for (let attempt = 0; ; attempt++) {
		const response = await attemptFileHost<{ statusCode: number; body: unknown }>(
			scope,
			{
				method: 'PUT',
				url: upload.url,
				// HTTP clients give a PUT a Content-Type of their own; false keeps it out of the signed request.
				headers: sendsContentType ? headers : { ...headers, 'Content-Type': false },
				body: (await body()) as unknown as Buffer,
			},
			attempt,
			itemIndex,
			"upload the file to DingTalk's file storage",
			'Nothing was stored; run the node again.',
		);
		if (!response) continue;
		if (response.statusCode >= 200 && response.statusCode < 300) return;
		if (
			response.statusCode >= 500 &&
			(await scope.tryAgain(attempt, 'maybeCarriedOut', true, itemIndex))
		)
			continue;
		// Object storage answers XML whose Code is safe to show; its other fields can echo the signature.
		const storageCode = /<Code>([A-Za-z.]{1,64})<\/Code>/.exec(String(response.body ?? ''))?.[1];
		const reason = storageCode
			? `HTTP ${response.statusCode}, ${storageCode}`
			: `HTTP ${response.statusCode}`;
		throw new NodeApiError(
			scope.node(),
			{ httpCode: String(response.statusCode), code: storageCode ?? null } as JsonObject,
			{
				message: `DingTalk's file storage refused the upload (${reason})`,
				description:
					'The signed upload was refused or has expired (it is valid for a short time). Nothing was stored; run the node again.',
				httpCode: String(response.statusCode),
				itemIndex,
			},
		);
	}
}

/**
 * Counts the bytes a download's stream hands to its reader, however it is read (piped, iterated or
 * listened to: each chunk is emitted as `data`), and stops it with an error past `maxBytes`. It watches
 * the stream's events instead of adding a listener, which would set the stream flowing before its
 * reader is attached.
 */
function watchBytes(
	stream: {
		emit(event: string | symbol, ...args: unknown[]): boolean;
		destroy(error?: Error): void;
	},
	maxBytes: number,
): { bytes: number; overLimit: boolean; failure: unknown } {
	const watch = { bytes: 0, overLimit: false, failure: undefined as unknown };
	const emit = stream.emit.bind(stream);
	stream.emit = (event, ...args) => {
		if (event === 'data' && !watch.overLimit) {
			watch.bytes += (args[0] as Buffer).length;
			if (watch.bytes > maxBytes) {
				watch.overLimit = true;
				stream.destroy(new Error('the file is larger than Max File Size'));
				return false;
			}
		} else if (event === 'error') {
			watch.failure ??= args[0] ?? new Error('the download failed');
		}
		return emit(event, ...args);
	};
	return watch;
}

/** The first bytes of a download, read and put back so the stream still yields the whole file. */
async function peekHead(
	stream: AsyncIterable<Buffer> & {
		once(event: string, listener: (...args: unknown[]) => void): void;
		on(event: string, listener: (...args: unknown[]) => void): void;
		removeListener(event: string, listener: (...args: unknown[]) => void): void;
		read(): Buffer | null;
		unshift(chunk: Buffer): void;
		readableEnded?: boolean;
	},
): Promise<Buffer> {
	if (stream.readableEnded) return Buffer.alloc(0);
	return await new Promise((resolve, reject) => {
		const done = (head: Buffer) => {
			stream.removeListener('readable', onReadable);
			stream.removeListener('end', onEnd);
			stream.removeListener('error', onError);
			resolve(head);
		};
		const onReadable = () => {
			const chunk = stream.read();
			if (chunk === null) return;
			stream.unshift(chunk);
			done(chunk.subarray(0, 4096));
		};
		const onEnd = () => done(Buffer.alloc(0));
		const onError = (error: unknown) => {
			stream.removeListener('readable', onReadable);
			stream.removeListener('end', onEnd);
			reject(error);
		};
		stream.on('readable', onReadable);
		stream.once('end', onEnd);
		stream.once('error', onError);
	});
}
