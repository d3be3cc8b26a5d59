import { SESSION_WEBHOOK_HOSTS, STREAM_ENDPOINT_SCHEME } from './wire';

/**
 * Where a signed download URL may point. DingTalk's file hosts are public: a link to a loopback,
 * private, link-local or cloud-metadata address is refused, so a forged or mistaken link cannot make
 * n8n fetch from its own network. With a Custom region the user's own hosts are allowed.
 */

function ipv4Parts(host: string): number[] | undefined {
	const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (!match) return undefined;
	const parts = match.slice(1).map(Number);
	return parts.every((part) => part <= 255) ? parts : undefined;
}

function isPrivateIpv4([a, b]: number[]): boolean {
	return (
		a === 0 ||
		a === 10 ||
		a === 127 ||
		(a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
		(a === 169 && b === 254) || // link-local, cloud metadata (169.254.169.254)
		(a === 172 && b >= 16 && b <= 31) ||
		(a === 192 && b === 168) ||
		a >= 224 // multicast and reserved
	);
}

function isPrivateIpv6(host: string): boolean {
	const address = host.toLowerCase();
	if (address === '::' || address === '::1') return true;
	if (/^f[cd][0-9a-f]{0,2}:/.test(address)) return true; // unique local fc00::/7
	if (/^fe[89ab][0-9a-f]?:/.test(address)) return true; // link-local fe80::/10
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
	if (mapped) return isPrivateIpv4(ipv4Parts(mapped[1]) ?? [0]);
	if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(address)) return true; // mapped, hex form
	return false;
}

const PRIVATE_NAMES =
	/^(localhost|metadata|metadata\.google\.internal)$|\.(localhost|internal|local)$/i;

/**
 * Why a signed URL may not be fetched, or undefined when it may. `allowOwnHosts` (a Custom region)
 * permits private addresses; the scheme must be http(s) in every case.
 */
export function signedUrlProblem(url: string, allowOwnHosts: boolean): string | undefined {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return 'it is not a valid URL';
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
		return `its scheme is ${parsed.protocol.replace(':', '')}, and only http and https are fetched`;
	}
	if (parsed.username || parsed.password) return 'it carries a user name or password';
	if (allowOwnHosts) return undefined;
	const host = parsed.hostname.replace(/^\[|\]$/g, '');
	const v4 = ipv4Parts(host);
	const isPrivate = v4
		? isPrivateIpv4(v4)
		: host.includes(':')
			? isPrivateIpv6(host)
			: PRIVATE_NAMES.test(host);
	return isPrivate
		? `it points to ${host}, a loopback, private, link-local or metadata address, and DingTalk's file hosts are public (a Custom region allows your own hosts)`
		: undefined;
}

/**
 * Why a Stream endpoint DingTalk gave is not connected to, or undefined when it may be: outside a Custom
 * region it must use TLS, since its URL carries the ticket; never a user name or password.
 */
export function streamEndpointProblem(
	endpoint: string,
	allowOwnHosts: boolean,
): string | undefined {
	let parsed: URL;
	try {
		parsed = new URL(endpoint);
	} catch {
		return 'it is not a valid URL';
	}
	if (parsed.username || parsed.password) return 'it carries a user name or password';
	const allowed = allowOwnHosts ? ['ws:', 'wss:'] : [STREAM_ENDPOINT_SCHEME];
	if (!allowed.includes(parsed.protocol)) {
		return `its scheme is ${parsed.protocol.replace(':', '')}, and the ticket goes only over ${allowed.map((scheme) => scheme.replace(':', '')).join(' or ')}`;
	}
	return undefined;
}

/**
 * Why a message's reply address is not used, or undefined when it points to DingTalk: https on DingTalk's
 * own hosts, or (Custom region) on the credential's own hosts. Anyone who can post a callback chooses it,
 * and a reply would post to it.
 */
export function sessionWebhookProblem(value: unknown, ownHosts: string[]): string | undefined {
	if (value === undefined) return undefined;
	let url: URL;
	try {
		url = new URL(String(value));
	} catch {
		return 'it is not a URL';
	}
	if (url.username || url.password) return 'it carries a user name or password';
	if (ownHosts.includes(url.host) && (url.protocol === 'https:' || url.protocol === 'http:'))
		return undefined;
	if (url.protocol === 'https:' && SESSION_WEBHOOK_HOSTS.includes(url.hostname) && !url.port)
		return undefined;
	return `it points to ${url.protocol}//${url.host}, not to DingTalk`;
}
