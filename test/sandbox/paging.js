'use strict';
// Paged lists of the sandbox (storage listings, the robot's groups): a page of at most `size` items and
// an opaque nextToken for the rest, absent on the last page. A token carries the offset of the next item
// and belongs to the listing that made it (another listing refuses it). A list that changes between
// pages may repeat or skip items, as DingTalk warns for listAll.
const crypto = require('node:crypto');

const fingerprint = (listing) =>
	crypto.createHash('sha256').update(listing).digest('base64url').slice(0, 12);

function pageToken(listing, offset) {
	return Buffer.from(`${fingerprint(listing)}.${offset}`).toString('base64url');
}

// the offset a token names, or null when it is not one of this listing's
function offsetOf(token, listing) {
	const [mark, offset] = Buffer.from(String(token), 'base64url').toString('utf8').split('.');
	return mark === fingerprint(listing) && /^[1-9]\d*$/.test(offset ?? '') ? Number(offset) : null;
}

/** Reads a page size: an integer (or digits) from 1 to `max`, `fallback` when absent; null if invalid. */
function pageSize(value, max, fallback) {
	if (value === undefined || value === null || value === '') return fallback;
	const size = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
	return Number.isInteger(size) && size >= 1 && size <= max ? size : null;
}

/**
 * One page of `items`: `{ items, nextToken? }`, or `{ error: true }` for a token of another listing.
 * `listing` names the list and its order (a token of one is refused by another).
 */
function pageOf(items, { listing, nextToken, size }) {
	let offset = 0;
	if (nextToken !== undefined && nextToken !== null && nextToken !== '') {
		offset = offsetOf(nextToken, listing);
		if (offset === null) return { error: true };
	}
	const end = offset + size;
	return {
		items: items.slice(offset, end),
		...(end < items.length ? { nextToken: pageToken(listing, end) } : {}),
	};
}

module.exports = { pageOf, pageSize };
