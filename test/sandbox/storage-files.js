'use strict';
// Reading and changing a storage space in the sandbox (storage API v1.0): list a folder, list the whole
// space, read one dentry, download infos (a header-signed GET on the file host, like OSS), delete (to the
// recycle bin or for good) and new folders. Every call names its operator in ?unionId=, checked like the
// upload's (storage.js). Wire facts follow DingTalk's SDK (storage_1_0) and help pages; README.md lists
// the sandbox's guesses.
const crypto = require('node:crypto');
const {
	ROOT_ID,
	nameProblem,
	freeName,
	makeDentry,
	dentryView,
	subtree,
	childrenOf,
} = require('./dentries');
const {
	headerSigner,
	operatorSpace,
	folderOf,
	STRATEGIES,
	STORAGE_ERRORS,
	STORAGE_SCOPES,
} = require('./storage');
const { pageOf, pageSize } = require('./paging');

const PATHS = {
	list: /^\/v1\.0\/storage\/spaces\/([^/]+)\/dentries$/, // GET
	listAll: /^\/v1\.0\/storage\/spaces\/([^/]+)\/dentries\/listAll$/,
	query: /^\/v1\.0\/storage\/spaces\/([^/]+)\/dentries\/([^/]+)\/query$/,
	downloadInfo: /^\/v1\.0\/storage\/spaces\/([^/]+)\/dentries\/([^/]+)\/downloadInfos\/query$/,
	remove: /^\/v1\.0\/storage\/spaces\/([^/]+)\/dentries\/([^/]+)$/, // DELETE
	createFolder: /^\/v1\.0\/storage\/spaces\/([^/]+)\/dentries\/([^/]+)\/folders$/,
};
const SCOPES = {
	read: 'Storage.File.Read',
	download: 'Storage.DownloadInfo.Read',
	write: STORAGE_SCOPES.commit, // Storage.File.Write
};
const MAX_RESULTS = 50; // the most, and the default, for both listings
// orderBy -> the dentry field it sorts on; the folder listing defaults to MODIFIED_TIME DESC, listAll
// sorts by modified time only, ASC by default
const ORDER_BY = {
	MODIFIED_TIME: 'modifiedTime',
	CREATE_TIME: 'createTime',
	NAME: 'name',
	SIZE: 'size',
};
const ORDERS = ['ASC', 'DESC'];
const LIST_DEFAULTS = { orderBy: 'MODIFIED_TIME', order: 'DESC' };
const LIST_ALL_ORDER = 'ASC';
const DOWNLOAD_PROTOCOL = 'HEADER_SIGNATURE';
const DOWNLOAD_BUCKET = 'sandbox-dingtalk-files'; // on the file host: GET /<bucket>/<spaceId>/<key>
const THUMBNAIL_PREFIX = '/thumbnails/'; // a thumbnail URL on the file host (withThumbnail, images)
const THUMBNAIL = { width: 8, height: 8 };

// New-API errors: [status, code, message]. DingTalk names none for these calls: all are the sandbox's
// guesses (see the README).
const ERRORS = {
	dentry: [404, 'dentryNotExist', 'The file or folder does not exist.'],
	maxResults: [
		400,
		'invalidParameter.maxResults',
		`maxResults must be an integer from 1 to ${MAX_RESULTS}.`,
	],
	orderBy: [400, 'invalidParameter.orderBy', `orderBy must be one of ${Object.keys(ORDER_BY)}.`],
	order: [400, 'invalidParameter.order', 'order must be ASC or DESC.'],
	nextToken: [400, 'invalidParameter.nextToken', 'The nextToken is not one of this listing.'],
	folderDownload: [400, 'folderNotSupport', 'A folder cannot be downloaded.'],
	version: [400, 'invalidParameter.version', 'This version of the file does not exist.'],
	root: [400, 'invalidParameter.dentryId', 'The root folder cannot be deleted.'],
	toRecycleBin: [400, 'invalidParameter.toRecycleBin', 'toRecycleBin must be true or false.'],
};

function sortedBy(items, orderBy, order) {
	const field = ORDER_BY[orderBy];
	const value = (dentry) => (field === 'size' ? (dentry.size ?? 0) : dentry[field]);
	const direction = order === 'ASC' ? 1 : -1;
	const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
	// ties go by id, so pages never overlap
	return [...items].sort(
		(a, b) => direction * (compare(value(a), value(b)) || compare(a.id, b.id)),
	);
}

function createStorageFiles(kit) {
	const signer = headerSigner(DOWNLOAD_BUCKET);
	let downloads = new Map(); // objectKey -> { content, date, issuedAt }
	const recycleBin = [];
	const deletions = [];

	const grantScopes = () => kit.grantEveryApp([SCOPES.read, SCOPES.download]);
	grantScopes();

	function view(dentry, withThumbnail) {
		const shown = dentryView(dentry);
		if (withThumbnail && dentry.category === 'IMAGE')
			shown.thumbnail = {
				url: `${kit.baseUrls.fileBaseUrl}${THUMBNAIL_PREFIX}${dentry.id}.png`,
				...THUMBNAIL,
			};
		return shown;
	}

	// the operator's space and a NORMAL dentry of it, or an error tuple
	function dentryOf(ctx, spaceId, dentryId) {
		const found = operatorSpace(kit, ctx, spaceId);
		if (found.error) return found;
		const dentry = found.space.dentries.get(dentryId);
		if (!dentry || dentry.status !== 'NORMAL') return { error: [ERRORS.dentry] };
		return { ...found, dentry };
	}

	// a page of `items` as {dentries, nextToken?}
	function answerPage(ctx, items, { listing, nextToken, maxResults, withThumbnail }) {
		const size = pageSize(maxResults, MAX_RESULTS, MAX_RESULTS);
		if (size === null) return kit.apiError(ctx, ERRORS.maxResults);
		const page = pageOf(items, { listing, nextToken, size });
		if (page.error) return kit.apiError(ctx, ERRORS.nextToken);
		kit.apiOk(ctx, {
			dentries: page.items.map((dentry) => view(dentry, withThumbnail)),
			...(page.nextToken ? { nextToken: page.nextToken } : {}),
		});
	}

	function list(ctx, _body, [spaceId]) {
		const found = operatorSpace(kit, ctx, spaceId);
		if (found.error) return kit.apiError(ctx, ...found.error);
		const { parentId, orderBy = LIST_DEFAULTS.orderBy, order = LIST_DEFAULTS.order } = ctx.query;
		if (kit.isBlank(parentId))
			return kit.apiError(ctx, kit.API_ERRORS.param, 'Parameter error: parentId is required.');
		if (!ORDER_BY[orderBy]) return kit.apiError(ctx, ERRORS.orderBy);
		if (!ORDERS.includes(order)) return kit.apiError(ctx, ERRORS.order);
		if (!folderOf(found.space, parentId)) return kit.apiError(ctx, STORAGE_ERRORS.parent);
		const items = sortedBy(childrenOf(found.space.dentries, parentId), orderBy, order);
		answerPage(ctx, items, {
			listing: `list ${spaceId} ${parentId} ${orderBy} ${order}`,
			nextToken: ctx.query.nextToken,
			maxResults: ctx.query.maxResults,
			withThumbnail: ctx.query.withThumbnail === 'true',
		});
	}

	function listAll(ctx, body, [spaceId]) {
		const found = operatorSpace(kit, ctx, spaceId);
		if (found.error) return kit.apiError(ctx, ...found.error);
		const option = body.option ?? {};
		const order = option.order ?? LIST_ALL_ORDER;
		if (!ORDERS.includes(order)) return kit.apiError(ctx, ERRORS.order);
		const everything = [...found.space.dentries.values()].filter((d) => d.status === 'NORMAL');
		answerPage(ctx, sortedBy(everything, 'MODIFIED_TIME', order), {
			listing: `listAll ${spaceId} ${order}`,
			nextToken: option.nextToken,
			maxResults: option.maxResults,
			withThumbnail: option.withThumbnail === true,
		});
	}

	function query(ctx, body, [spaceId, dentryId]) {
		const found = dentryOf(ctx, spaceId, dentryId);
		if (found.error) return kit.apiError(ctx, ...found.error);
		kit.apiOk(ctx, { dentry: view(found.dentry, body.option?.withThumbnail === true) });
	}

	function downloadInfo(ctx, body, [spaceId, dentryId]) {
		const found = dentryOf(ctx, spaceId, dentryId);
		if (found.error) return kit.apiError(ctx, ...found.error);
		const { dentry } = found;
		if (dentry.type === 'FOLDER') return kit.apiError(ctx, ERRORS.folderDownload);
		const version = body.option?.version;
		// only the current version is kept
		if (version !== undefined && version !== null && Number(version) !== dentry.version)
			return kit.apiError(ctx, ERRORS.version);
		const objectKey = `${spaceId}/${kit.alnum(32)}`;
		const date = new Date().toUTCString();
		// the bytes of now: a later overwrite does not change what this URL serves
		downloads.set(objectKey, { content: dentry.content, date, issuedAt: Date.now() });
		const headers = {
			Authorization: signer.authorization('GET', '', date, objectKey),
			'x-oss-date': date,
		};
		kit.apiOk(ctx, {
			protocol: DOWNLOAD_PROTOCOL,
			headerSignatureInfo: signer.info(kit.baseUrls.fileBaseUrl, objectKey, headers),
		});
	}

	// the file host: GET /<bucket>/<objectKey> with exactly the signed headers, like OSS
	function serveDownload(ctx) {
		const { req } = ctx;
		req.resume();
		if (req.method !== 'GET')
			return kit.ossError(
				ctx,
				405,
				'MethodNotAllowed',
				'The specified method is not allowed against this resource.',
			);
		const objectKey = decodeURIComponent(ctx.path.slice(`/${DOWNLOAD_BUCKET}/`.length));
		const item = downloads.get(objectKey);
		if (!item) return kit.ossError(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
		const refused = signer.refusal(req, objectKey, item);
		ctx.entry.body = { signed: refused?.[1] !== 'SignatureDoesNotMatch' };
		if (refused) return kit.ossError(ctx, ...refused);
		kit.serveFile(ctx, item.content, { 'x-oss-request-id': ctx.requestId });
	}

	function serveThumbnail(ctx) {
		ctx.req.resume();
		kit.serveFile(ctx, { bytes: kit.DEMO.files.photoPng.bytes }, { 'Content-Type': 'image/png' });
	}

	function remove(ctx, _body, [spaceId, dentryId]) {
		const toRecycleBin = ctx.query.toRecycleBin ?? 'false'; // false: deleted for good
		if (toRecycleBin !== 'true' && toRecycleBin !== 'false')
			return kit.apiError(ctx, ERRORS.toRecycleBin);
		if (dentryId === ROOT_ID) return kit.apiError(ctx, ERRORS.root);
		const found = dentryOf(ctx, spaceId, dentryId);
		if (found.error) return kit.apiError(ctx, ...found.error);
		const { dentries } = found.space;
		// a folder goes with everything under it
		const removed = subtree(dentries, dentryId);
		for (const dentry of removed) dentries.delete(dentry.id);
		const record = {
			spaceId,
			dentryId,
			name: found.dentry.name,
			type: found.dentry.type,
			path: found.dentry.path,
			removedIds: removed.map((dentry) => dentry.id),
			unionId: found.unionId,
			time: Date.now(),
		};
		deletions.push({ ...record, toRecycleBin: toRecycleBin === 'true' });
		if (toRecycleBin === 'true')
			recycleBin.push({
				...record,
				dentries: removed.map((dentry) => ({ ...dentryView(dentry), status: 'DELETED' })),
			});
		kit.apiOk(ctx, { async: false });
	}

	function createFolder(ctx, body, [spaceId, parentId]) {
		const found = operatorSpace(kit, ctx, spaceId);
		if (found.error) return kit.apiError(ctx, ...found.error);
		if (kit.isBlank(body.name))
			return kit.apiError(ctx, kit.API_ERRORS.param, 'Parameter error: name is required.');
		const name = body.name.trim(); // trimmed, as the commit does
		const problem = nameProblem(name);
		if (problem) return kit.apiError(ctx, STORAGE_ERRORS.name, problem);
		const strategy = body.option?.conflictStrategy ?? 'AUTO_RENAME';
		if (!STRATEGIES.includes(strategy))
			return kit.apiError(
				ctx,
				kit.API_ERRORS.param,
				'Parameter error: conflictStrategy is invalid.',
			);
		const parent = folderOf(found.space, parentId);
		if (!parent) return kit.apiError(ctx, STORAGE_ERRORS.parent);
		const siblings = childrenOf(found.space.dentries, parentId);
		const existing = siblings.find((dentry) => dentry.name === name);
		if (existing && strategy !== 'AUTO_RENAME') {
			// a folder has nothing to overwrite: OVERWRITE returns an existing folder, refuses a file
			const returned =
				strategy === 'RETURN_DENTRY_IF_EXISTS' ||
				(strategy === 'OVERWRITE' && existing.type === 'FOLDER');
			return returned
				? kit.apiOk(ctx, { dentry: view(existing, false) })
				: kit.apiError(ctx, STORAGE_ERRORS.exists);
		}
		const folder = makeDentry({
			id: String(crypto.randomInt(1e10, 1e11)),
			spaceId,
			parentId,
			parentPath: parent.path,
			name: existing ? freeName(name, new Set(siblings.map((d) => d.name)), true) : name,
			type: 'FOLDER',
			unionId: found.unionId,
			createTime: kit.isoMinute(Date.now()),
		});
		found.space.dentries.set(folder.id, folder);
		kit.apiOk(ctx, { dentry: view(folder, false) });
	}

	const members = { recycleBin, deletions };

	return {
		apiRoutes: [
			{ method: 'GET', pattern: PATHS.list, scope: SCOPES.read, handler: list },
			{ pattern: PATHS.listAll, scope: SCOPES.read, handler: listAll },
			{ pattern: PATHS.query, scope: SCOPES.read, handler: query },
			{
				pattern: PATHS.downloadInfo,
				scope: SCOPES.download,
				internalOnly: true,
				handler: downloadInfo,
			},
			{ method: 'DELETE', pattern: PATHS.remove, scope: SCOPES.write, handler: remove },
			{ pattern: PATHS.createFolder, scope: SCOPES.write, handler: createFolder },
		],
		hosts: {},
		fileRoutes: [
			{ prefix: `/${DOWNLOAD_BUCKET}/`, handler: serveDownload },
			{ prefix: THUMBNAIL_PREFIX, handler: serveThumbnail },
		],
		control: () => ({
			'GET /_sandbox/storage/recycle-bin': () => recycleBin,
			'GET /_sandbox/storage/deletions': () => deletions,
		}),
		reset() {
			grantScopes();
			downloads = new Map();
			recycleBin.length = 0;
			deletions.length = 0;
		},
		members,
	};
}

module.exports = {
	createStorageFiles,
	STORAGE_FILE_PATHS: PATHS,
	STORAGE_FILE_ERRORS: ERRORS,
	STORAGE_FILE_SCOPES: SCOPES,
};
