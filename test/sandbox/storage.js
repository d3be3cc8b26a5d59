'use strict';
// DingTalk storage uploads in the sandbox (storage API v1.0): upload info, the signed PUT on an upload
// host of its own (like an OSS bucket: header signature, no token), and the commit with its four
// name-conflict strategies. Committed files land in the seeded spaces, so the convFile sends find them
// and the storage reads (storage-files.js) list and serve them: the PUT's bytes go to a temporary file.
// Wire facts follow DingTalk's SDK (storage_1_0); test/sandbox/README.md lists the sandbox's guesses.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
	ROOT_ID,
	nameProblem,
	freeName,
	makeDentry,
	dentryView,
	childrenOf,
} = require('./dentries');

const PATHS = {
	uploadInfo: /^\/v1\.0\/storage\/spaces\/([^/]+)\/files\/uploadInfos\/query$/,
	commit: /^\/v1\.0\/storage\/spaces\/([^/]+)\/files\/commit$/,
};
const SCOPES = { uploadInfo: 'Storage.UploadInfo.Read', commit: 'Storage.File.Write' };

// New-API errors of the storage calls: [status, code, message]. Only the protocol error is named by
// DingTalk's SDK; the others are the sandbox's guesses (see the README).
const ERRORS = {
	protocol: [
		400,
		'DENTRY_UPLOAD_PROTOCOL_NOTSUPPORT',
		'The upload protocol is not supported, try another one.',
	],
	name: [400, 'invalidParameter.name', 'The file name is invalid.'],
	uploadKey: [400, 'invalidParameter.uploadKey', 'The uploadKey is invalid or was already used.'],
	notUploaded: [400, 'fileNotUploaded', 'Nothing was uploaded for this uploadKey.'],
	size: [400, 'fileSizeNotMatch', 'The size does not match the uploaded file.'],
	exists: [400, 'dentryNameConflict', 'A file with this name already exists.'],
	parent: [404, 'dentryNotExist', 'The parent folder does not exist.'],
};

const STRATEGIES = [
	'AUTO_RENAME',
	'OVERWRITE',
	'RETURN_DENTRY_IF_EXISTS',
	'RETURN_ERROR_IF_EXISTS',
];
const MAX_SINGLE_PUT = 5 * 1024 ** 3;
const EXPIRATION_SECONDS = 900;
const BUCKET = 'sandbox-dingtalk-storage';
const ACCESS_KEY_ID = 'SandboxStorageKeyId';
const REGION = 'ZHANGJIAKOU';
const INTRANET_HOST = 'internal.sandbox.invalid'; // internalResourceUrls: dedicated intranet storage

/**
 * OSS-style header signatures for one bucket, with a secret that never leaves this process: the
 * Authorization an answer hands out, the check of a request against it, and the answer's
 * headerSignatureInfo. The signature covers the method, Content-Type, the date, x-oss-date and the object.
 */
function headerSigner(bucket) {
	const secret = crypto.randomBytes(32);
	const toSign = (method, contentType, date, objectKey) =>
		`${method}\n\n${contentType}\n${date}\nx-oss-date:${date}\n/${bucket}/${objectKey}`;
	const authorization = (method, contentType, date, objectKey) =>
		`OSS ${ACCESS_KEY_ID}:${crypto
			.createHmac('sha1', secret)
			.update(toSign(method, contentType, date, objectKey))
			.digest('base64')}`;
	return {
		bucket,
		authorization,
		/**
		 * Why a request for an object signed at `date` (handed out at `issuedAt`) is refused, as ossError
		 * arguments, or null: a wrong or missing signature, or a date other than the signed one, or too late.
		 */
		refusal(req, objectKey, { date, issuedAt }) {
			const contentType = req.headers['content-type'] ?? '';
			const sentDate = req.headers['x-oss-date'] ?? '';
			const expected = Buffer.from(authorization(req.method, contentType, sentDate, objectKey));
			const given = String(req.headers.authorization ?? '');
			const sent = Buffer.from(given);
			if (sent.length !== expected.length || !crypto.timingSafeEqual(sent, expected)) {
				// like OSS, the answer echoes what it signed (a client must not show it)
				const signed = toSign(req.method, contentType, sentDate, objectKey);
				return [
					403,
					'SignatureDoesNotMatch',
					'The request signature we calculated does not match the signature you provided.',
					`<StringToSign>${signed}</StringToSign><SignatureProvided>${given}</SignatureProvided>`,
				];
			}
			if (sentDate !== date || Date.now() > issuedAt + EXPIRATION_SECONDS * 1000)
				return [403, 'AccessDenied', 'Request has expired.'];
			return null;
		},
		/** The headerSignatureInfo of an answer: the object's URL on `baseUrl`, with these headers. */
		info(baseUrl, objectKey, headers) {
			const url = `${baseUrl}/${bucket}/${objectKey}`;
			return {
				resourceUrls: [url],
				internalResourceUrls: [url.replace('127.0.0.1', INTRANET_HOST)],
				headers,
				expirationSeconds: EXPIRATION_SECONDS,
				region: REGION,
			};
		},
	};
}

/**
 * The space named in a storage path, seen by the caller's organisation and the operator in ?unionId=:
 * `{ space, unionId }`, or `{ error }` (an apiError argument list). A group's space is its members';
 * a space of no group is any user's of the organisation.
 */
function operatorSpace(kit, ctx, spaceId) {
	const unionId = ctx.query.unionId;
	if (kit.isBlank(unionId))
		return { error: [kit.API_ERRORS.param, 'Parameter error: unionId is required.'] };
	const space = kit.seed().spaces.get(spaceId);
	if (!space || space.corpId !== ctx.auth.corpId) return { error: [kit.API_ERRORS.spaceNotExist] };
	const owner = [...kit.seed().conversations.values()].find((c) => c.spaceId === spaceId);
	if (owner && !owner.members.has(unionId)) {
		return {
			error: [kit.API_ERRORS.notMember, `The user ${unionId} has no access to this space.`],
		};
	}
	if (!owner && kit.seed().users.get(unionId)?.corpId !== ctx.auth.corpId)
		return { error: [kit.API_ERRORS.notMember] };
	return { space, unionId };
}

/** The folder `parentId` of a space ('0': its root), or undefined when it is not a folder there. */
function folderOf(space, parentId) {
	if (parentId === ROOT_ID) return { path: '' };
	const parent = space.dentries.get(parentId);
	return parent && parent.type === 'FOLDER' && parent.status === 'NORMAL' ? parent : undefined;
}

/**
 * @param kit what server.js shares: answers, seed access, IDs, base URLs.
 */
function createStorage(kit) {
	const signer = headerSigner(BUCKET);
	let uploads = new Map(); // uploadKey -> { spaceId, unionId, appKey, objectKey, date, contentType, issuedAt, stored, committed }
	let byObject = new Map(); // objectKey -> uploadKey
	let signedContentType = null; // a Content-Type DingTalk returns among the signed headers (null: none)
	let folder = null; // where the PUTs' bytes are kept (made on the first PUT, removed by reset and stop)
	const commits = [];

	// every seeded app may use storage (the seed predates it)
	const grantScopes = () => kit.grantEveryApp(Object.values(SCOPES));
	grantScopes();

	function fileFor(objectKey) {
		folder ??= fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-sandbox-'));
		return path.join(folder, objectKey.replace(/[^A-Za-z0-9]/g, '_'));
	}

	function removeFiles() {
		if (folder) fs.rmSync(folder, { recursive: true, force: true });
		folder = null;
	}

	function uploadInfo(ctx, body, [spaceId]) {
		const found = operatorSpace(kit, ctx, spaceId);
		if (found.error) return kit.apiError(ctx, ...found.error);
		if (body.protocol !== 'HEADER_SIGNATURE') return kit.apiError(ctx, ERRORS.protocol);
		if (body.multipart === true)
			return kit.apiError(ctx, kit.API_ERRORS.param, 'The sandbox takes single uploads only.');
		const check = (body.option && body.option.preCheckParam) || {};
		if (
			check.size !== undefined &&
			!(Number.isInteger(check.size) && check.size >= 0 && check.size < MAX_SINGLE_PUT)
		)
			return kit.apiError(
				ctx,
				kit.API_ERRORS.param,
				'Parameter error: preCheckParam.size is invalid.',
			);
		if (check.name !== undefined) {
			const problem = nameProblem(String(check.name).trim());
			if (problem) return kit.apiError(ctx, ERRORS.name, problem);
			// the name pre-check also refuses a name already in the folder
			const siblings = childrenOf(found.space.dentries, String(check.parentId ?? ROOT_ID));
			if (siblings.some((d) => d.name === String(check.name).trim()))
				return kit.apiError(ctx, ERRORS.exists);
		}
		const uploadKey = `sandbox-upload-${kit.alnum(24)}`;
		const objectKey = `${spaceId}/${kit.alnum(32)}`;
		const date = new Date().toUTCString();
		const contentType = signedContentType ?? '';
		uploads.set(uploadKey, {
			spaceId,
			unionId: found.unionId,
			appKey: ctx.auth.appKey,
			objectKey,
			date,
			contentType,
			issuedAt: Date.now(),
			stored: null,
			committed: false,
		});
		byObject.set(objectKey, uploadKey);
		const headers = {
			Authorization: signer.authorization('PUT', contentType, date, objectKey),
			'x-oss-date': date,
		};
		if (signedContentType) headers['Content-Type'] = signedContentType;
		kit.apiOk(ctx, {
			uploadKey,
			protocol: 'HEADER_SIGNATURE',
			storageDriver: 'DINGTALK',
			headerSignatureInfo: signer.info(kit.baseUrls.uploadBaseUrl, objectKey, headers),
		});
	}

	// the upload host: PUT /<bucket>/<objectKey> with the signed headers, like OSS
	function handleUpload(ctx) {
		const { req } = ctx;
		const fail = (status, code, message, extra = '') => {
			req.resume();
			kit.ossError(ctx, status, code, message, extra);
		};
		if (req.method !== 'PUT')
			return fail(
				405,
				'MethodNotAllowed',
				'The specified method is not allowed against this resource.',
			);
		const prefix = `/${BUCKET}/`;
		const objectKey = ctx.path.startsWith(prefix)
			? decodeURIComponent(ctx.path.slice(prefix.length))
			: '';
		const upload = uploads.get(byObject.get(objectKey));
		if (!upload) return fail(403, 'AccessDenied', 'The bucket does not allow this access.');
		const refused = signer.refusal(req, objectKey, upload);
		ctx.entry.body = {
			contentType: req.headers['content-type'] ?? null,
			contentLength: req.headers['content-length'] ?? null,
			chunked: /chunked/i.test(String(req.headers['transfer-encoding'] ?? '')),
			signed: refused?.[1] !== 'SignatureDoesNotMatch',
		};
		if (refused) return fail(...refused);
		const sha256 = crypto.createHash('sha256');
		const md5 = crypto.createHash('md5');
		let size = 0;
		// the bytes go to a file of their own, so a download can serve them and memory stays flat
		const file = fileFor(objectKey);
		const out = fs.createWriteStream(file);
		out.on('error', () => {});
		return new Promise((resolve) => {
			ctx.input.on('data', (chunk) => {
				size += chunk.length;
				sha256.update(chunk);
				md5.update(chunk);
				out.write(chunk);
			});
			ctx.input.on('error', resolve);
			ctx.input.on('close', resolve);
			ctx.input.on('end', () => {
				// answered once the file is complete, so a commit and a download right after see it all
				out.end(() => {
					const stored = { size, sha256: sha256.digest('hex'), md5: md5.digest('hex'), file };
					upload.stored = stored;
					Object.assign(ctx.entry.body, { size, sha256: stored.sha256 });
					kit.send(ctx, 200, '', 'text/plain', { ETag: `"${stored.md5.toUpperCase()}"` });
					resolve();
				});
			});
		});
	}

	function commit(ctx, body, [spaceId]) {
		const found = operatorSpace(kit, ctx, spaceId);
		if (found.error) return kit.apiError(ctx, ...found.error);
		for (const field of ['uploadKey', 'name', 'parentId']) {
			if (kit.isBlank(body[field]))
				return kit.apiError(ctx, kit.API_ERRORS.param, `Parameter error: ${field} is required.`);
		}
		const upload = uploads.get(body.uploadKey);
		if (
			!upload ||
			upload.spaceId !== spaceId ||
			upload.appKey !== ctx.auth.appKey ||
			upload.committed
		)
			return kit.apiError(ctx, ERRORS.uploadKey);
		if (!upload.stored) return kit.apiError(ctx, ERRORS.notUploaded);
		const name = body.name.trim(); // DingTalk trims leading and trailing spaces
		const problem = nameProblem(name);
		if (problem) return kit.apiError(ctx, ERRORS.name, problem);
		const option = body.option || {};
		if (option.size !== undefined && option.size !== upload.stored.size)
			return kit.apiError(
				ctx,
				ERRORS.size,
				`The file has ${upload.stored.size} bytes, not ${option.size}.`,
			);
		const strategy = option.conflictStrategy ?? 'AUTO_RENAME';
		if (!STRATEGIES.includes(strategy))
			return kit.apiError(
				ctx,
				kit.API_ERRORS.param,
				'Parameter error: conflictStrategy is invalid.',
			);
		const { dentries } = found.space;
		const parentId = String(body.parentId);
		const parent = folderOf(found.space, parentId);
		if (!parent) return kit.apiError(ctx, ERRORS.parent);
		const siblings = childrenOf(dentries, parentId);
		const existing = siblings.find((d) => d.name === name);
		const content = { path: upload.stored.file, size: upload.stored.size };
		const now = kit.isoMinute(Date.now());
		const record = (outcome, dentry) => {
			upload.committed = true;
			commits.push({
				spaceId,
				parentId,
				name,
				conflictStrategy: strategy,
				outcome,
				dentryId: dentry.id,
				storedName: dentry.name,
				size: dentry.size,
				sha256: dentry.sha256 ?? null,
				unionId: found.unionId,
				time: Date.now(),
			});
			kit.apiOk(ctx, { dentry: dentryView(dentry) });
		};
		if (existing && strategy === 'RETURN_ERROR_IF_EXISTS') return kit.apiError(ctx, ERRORS.exists);
		if (existing && strategy === 'RETURN_DENTRY_IF_EXISTS')
			return record('returnedExisting', existing);
		if (existing && strategy === 'OVERWRITE') {
			Object.assign(existing, {
				size: upload.stored.size,
				sha256: upload.stored.sha256,
				content,
				version: (existing.version ?? 1) + 1,
				modifierId: found.unionId,
				modifiedTime: now,
			});
			return record('overwritten', existing);
		}
		const finalName = existing ? freeName(name, new Set(siblings.map((d) => d.name))) : name;
		const dentry = makeDentry({
			id: String(crypto.randomInt(1e10, 1e11)),
			spaceId,
			parentId,
			parentPath: parent.path,
			name: finalName,
			content,
			sha256: upload.stored.sha256,
			unionId: found.unionId,
			createTime: now,
		});
		dentries.set(dentry.id, dentry);
		record(existing ? 'renamed' : 'created', dentry);
	}

	function storedFile(spaceId, dentryId) {
		const dentry = kit.seed().spaces.get(String(spaceId))?.dentries.get(String(dentryId));
		if (!dentry) return null;
		const { content, ...copy } = dentry;
		return { ...copy, sha256: dentry.sha256 ?? null };
	}

	const members = {
		commits,
		storedFile,
		setSignedContentType(contentType) {
			if (contentType !== null && typeof contentType !== 'string')
				throw new Error('contentType must be a string or null');
			signedContentType = contentType;
		},
	};

	return {
		apiRoutes: [
			{ pattern: PATHS.uploadInfo, scope: SCOPES.uploadInfo, handler: uploadInfo },
			{ pattern: PATHS.commit, scope: SCOPES.commit, handler: commit },
		],
		hosts: { uploads: handleUpload },
		control: (body) => ({
			'GET /_sandbox/storage/commits': () => commits,
			'POST /_sandbox/storage/signed-content-type': () =>
				members.setSignedContentType(body.contentType ?? null),
		}),
		reset() {
			grantScopes();
			removeFiles();
			uploads = new Map();
			byObject = new Map();
			signedContentType = null;
			commits.length = 0;
		},
		stop: removeFiles,
		members,
	};
}

module.exports = {
	createStorage,
	headerSigner,
	operatorSpace,
	folderOf,
	STRATEGIES,
	STORAGE_ERRORS: ERRORS,
	STORAGE_SCOPES: SCOPES,
};
