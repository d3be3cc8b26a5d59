/**
 * The transport: everything that sends requests to DingTalk.
 *
 * - apiCalls.ts       DingTalkTransport: API calls with the token, the rate limit and retries
 * - token.ts          the access token of each app: fetched once, refreshed, replaced when rejected
 * - rateWindows.ts    the rate window of each app and API (pacing rules: ../rate.ts)
 * - retry.ts          the one retry policy: attempts, backoff, what may be repeated
 * - fileHost.ts       DingTalk's file host: signed downloads and uploads
 * - streamGateway.ts  the Stream gateway call that opens a robot's connection
 * - sessionReply.ts   replies through a robot message's sessionWebhook
 * - hostRequest.ts    one attempt of a request to a host that is not DingTalk's API (file host, replies)
 * - errors.ts         the errors it raises, with DingTalk's error guide (../errorGuide.ts)
 * - options.ts        the node's Request Options
 * - scope.ts          what these parts share for one run
 */
export {
	DingTalkTransport,
	transportStateSize,
	type DingTalkCall,
	type TransportTime,
} from './apiCalls';
export type { SignedDownload } from './fileHost';
export { DEFAULT_TRANSPORT_OPTIONS, readTransportOptions, type TransportOptions } from './options';
export { CREDENTIAL_TYPE, type ExecutionContext, type TransportContext } from './scope';
export type { StreamConnectionGrant } from './streamGateway';
