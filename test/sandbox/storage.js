'use strict';
// DingTalk storage uploads in the sandbox (storage API v1.0): upload info, the signed PUT on an upload
// host of its own (like an OSS bucket: header signature, no token), and the commit with its four
// name-conflict strategies. Committed files land in the seeded spaces, so the convFile sends find them.
// Wire facts follow DingTalk's SDK (storage_1_0); test/sandbox/README.md lists the sandbox's guesses.
const crypto = require('node:crypto');

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
const NAME_FORBIDDEN = /[\t*"<>|]/;
const CATEGORY = {
	IMAGE: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp'],
	VIDEO: ['mp4', 'mov'],
	AUDIO: ['mp3', 'amr', 'wav'],
	ARCHIVE: ['zip', 'rar', '7z'],
	DOCUMENT: ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'csv'],
};

function nameProblem(name) {
	if (name === '') return 'The name is empty.';
	if (name.endsWith('.')) return 'The name may not end with ".".';
	if (NAME_FORBIDDEN.test(name)) return 'The name may not contain tabs or * " < > |.';
	return null;
}

function extensionOf(name) {
	const dot = name.lastIndexOf('.');
	return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function categoryOf(name) {
	const extension = extensionOf(name);
	return Object.keys(CATEGORY).find((key) => CATEGORY[key].includes(extension)) ?? 'OTHER';
}

// "Q3 report.pdf" -> "Q3 report(1).pdf", the first free one
function freeName(name, taken) {
	const dot = name.lastIndexOf('.');
	const [base, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
	for (let n = 1; ; n++) {
		const candidate = `${base}(${n})${extension}`;
		if (!taken.has(candidate)) return candidate;
	}
}

/**
 * @param kit what server.js shares: answers, seed access, IDs, base URLs.
 */
function createStorage(kit) {
	const secret = crypto.randomBytes(32); // signs upload headers; never leaves this process
	let uploads = new Map(); // uploadKey -> { spaceId, unionId, appKey, objectKey, date, contentType, issuedAt, stored, committed }
	let byObject = new Map(); // objectKey -> uploadKey
	let signedContentType = null; // a Content-Type DingTalk returns among the signed headers (null: none)
	const commits = [];

	// every seeded app may use storage (the seed predates it)
	function grantScopes() {
		for (const scopes of kit.seed().scopes.values())
			for (const scope of Object.values(SCOPES)) scopes.add(scope);
	}
	grantScopes();

	function sign(objectKey, contentType, date) {
		const text = `PUT\n\n${contentType}\n${date}\nx-oss-date:${date}\n/${BUCKET}/${objectKey}`;
		return crypto.createHmac('sha1', secret).update(text).digest('base64');
	}

	// the space named in the path, seen by the caller's organisation and the operator in ?unionId=
	function spaceFor(ctx, spaceId) {
		const unionId = ctx.query.unionId;
		if (kit.isBlank(unionId))
			return { error: [kit.API_ERRORS.param, 'Parameter error: unionId is required.'] };
		const space = kit.seed().spaces.get(spaceId);
		if (!space || space.corpId !== ctx.auth.corpId)
			return { error: [kit.API_ERRORS.spaceNotExist] };
		const owner = [...kit.seed().conversations.values()].find((c) => c.spaceId === spaceId);
		if (owner && !owner.members.has(unionId)) {
			return {
				error: [kit.API_ERRORS.notMember, `The user ${unionId} may not add files to this space.`],
			};
		}
		if (!owner && kit.seed().users.get(unionId)?.corpId !== ctx.auth.corpId)
			return { error: [kit.API_ERRORS.notMember] };
		return { space, unionId };
	}

	function uploadInfo(ctx, body, [spaceId]) {
		const found = spaceFor(ctx, spaceId);
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
			const parentId = check.parentId ?? '0';
			if (
				[...found.space.dentries.values()].some(
					(d) =>
						(d.parentId ?? '0') === parentId &&
						d.name === String(check.name).trim() &&
						d.status === 'NORMAL',
				)
			)
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
			Authorization: `OSS ${ACCESS_KEY_ID}:${sign(objectKey, contentType, date)}`,
			'x-oss-date': date,
		};
		if (signedContentType) headers['Content-Type'] = signedContentType;
		const url = `${kit.baseUrls.uploadBaseUrl}/${BUCKET}/${objectKey}`;
		kit.apiOk(ctx, {
			uploadKey,
			protocol: 'HEADER_SIGNATURE',
			storageDriver: 'DINGTALK',
			headerSignatureInfo: {
				resourceUrls: [url],
				internalResourceUrls: [url.replace('127.0.0.1', 'internal.sandbox.invalid')],
				headers,
				expirationSeconds: EXPIRATION_SECONDS,
				region: 'ZHANGJIAKOU',
			},
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
		const contentType = req.headers['content-type'] ?? '';
		const date = req.headers['x-oss-date'] ?? '';
		const expected = `OSS ${ACCESS_KEY_ID}:${sign(objectKey, contentType, date)}`;
		const given = String(req.headers.authorization ?? '');
		ctx.entry.body = {
			contentType: req.headers['content-type'] ?? null,
			contentLength: req.headers['content-length'] ?? null,
			chunked: /chunked/i.test(String(req.headers['transfer-encoding'] ?? '')),
			signed: given === expected,
		};
		if (
			given.length !== expected.length ||
			!crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))
		) {
			// like OSS, the answer echoes what it signed (a client must not show it)
			const stringToSign = `PUT\n\n${contentType}\n${date}\nx-oss-date:${date}\n/${BUCKET}/${objectKey}`;
			return fail(
				403,
				'SignatureDoesNotMatch',
				'The request signature we calculated does not match the signature you provided.',
				`<StringToSign>${stringToSign}</StringToSign><SignatureProvided>${given}</SignatureProvided>`,
			);
		}
		if (date !== upload.date || Date.now() > upload.issuedAt + EXPIRATION_SECONDS * 1000)
			return fail(403, 'AccessDenied', 'Request has expired.');
		const sha256 = crypto.createHash('sha256');
		const md5 = crypto.createHash('md5');
		let size = 0;
		return new Promise((resolve) => {
			ctx.input.on('data', (chunk) => {
				size += chunk.length;
				sha256.update(chunk);
				md5.update(chunk);
			});
			ctx.input.on('error', resolve);
			ctx.input.on('close', resolve);
			ctx.input.on('end', () => {
				const stored = { size, sha256: sha256.digest('hex'), md5: md5.digest('hex') };
				upload.stored = stored;
				Object.assign(ctx.entry.body, { size, sha256: stored.sha256 });
				kit.send(ctx, 200, '', 'text/plain', { ETag: `"${stored.md5.toUpperCase()}"` });
				resolve();
			});
		});
	}

	function dentryView(dentry) {
		const { sha256, ...view } = dentry;
		return view;
	}

	function commit(ctx, body, [spaceId]) {
		const found = spaceFor(ctx, spaceId);
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
		if (parentId !== '0') {
			const parent = dentries.get(parentId);
			if (!parent || parent.type !== 'FOLDER' || parent.status !== 'NORMAL')
				return kit.apiError(ctx, ERRORS.parent);
		}
		const siblings = [...dentries.values()].filter(
			(d) => (d.parentId ?? '0') === parentId && d.status === 'NORMAL',
		);
		const existing = siblings.find((d) => d.name === name);
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
				version: (existing.version ?? 1) + 1,
				modifierId: found.unionId,
				modifiedTime: now,
			});
			return record('overwritten', existing);
		}
		const finalName = existing ? freeName(name, new Set(siblings.map((d) => d.name))) : name;
		const folderPath =
			parentId === '0' ? '' : `${dentries.get(parentId).path ?? `/${dentries.get(parentId).name}`}`;
		const dentry = {
			id: String(crypto.randomInt(1e10, 1e11)),
			uuid: crypto.randomUUID(),
			spaceId,
			parentId,
			type: 'FILE',
			name: finalName,
			size: upload.stored.size,
			path: `${folderPath}/${finalName}`,
			version: 1,
			status: 'NORMAL',
			extension: extensionOf(finalName),
			category: categoryOf(finalName),
			creatorId: found.unionId,
			modifierId: found.unionId,
			createTime: now,
			modifiedTime: now,
			storageDriver: 'DINGTALK',
			partitionType: 'PUBLIC_OSS_PARTITION',
			properties: { readOnly: false },
			sha256: upload.stored.sha256,
		};
		dentries.set(dentry.id, dentry);
		record(existing ? 'renamed' : 'created', dentry);
	}

	function storedFile(spaceId, dentryId) {
		const dentry = kit.seed().spaces.get(String(spaceId))?.dentries.get(String(dentryId));
		return dentry ? { ...dentry } : null;
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
			uploads = new Map();
			byObject = new Map();
			signedContentType = null;
			commits.length = 0;
		},
		members,
	};
}

module.exports = { createStorage, STORAGE_ERRORS: ERRORS, STORAGE_SCOPES: SCOPES };
