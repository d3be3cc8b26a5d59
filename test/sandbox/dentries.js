'use strict';
// Dentries (files and folders of a storage space) as DingTalk's storage API v1.0 describes them: the
// fields of an answer, names, extensions and categories. Shared by the seed, the upload commit and the
// storage reads, so a seeded file, an uploaded one and a new folder look alike.
const crypto = require('node:crypto');

// The fields a dentry answer carries (GoSDK storage_1_0); folders have no size, extension or category.
const DENTRY_FIELDS = [
	'id',
	'uuid',
	'spaceId',
	'parentId',
	'name',
	'type',
	'size',
	'extension',
	'path',
	'version',
	'status',
	'category',
	'createTime',
	'modifiedTime',
	'creatorId',
	'modifierId',
	'partitionType',
	'storageDriver',
	'properties',
];
const FILE_ONLY = new Set(['size', 'extension', 'category']);
const ROOT_ID = '0';
const NAME_FORBIDDEN = /[\t*"<>|]/;
const CATEGORY = {
	IMAGE: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp'],
	VIDEO: ['mp4', 'mov'],
	AUDIO: ['mp3', 'amr', 'wav'],
	ARCHIVE: ['zip', 'rar', '7z'],
	DOCUMENT: ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'csv', 'md'],
};

/** Why a (trimmed) name is refused, or null. */
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

// "Q3 report.pdf" -> "Q3 report(1).pdf", the first free one; a folder's name has no extension
function freeName(name, taken, isFolder = false) {
	const dot = isFolder ? -1 : name.lastIndexOf('.');
	const [base, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
	for (let n = 1; ; n++) {
		const candidate = `${base}(${n})${extension}`;
		if (!taken.has(candidate)) return candidate;
	}
}

// A stable uuid for a seeded id, so the seed is the same on every run.
function stableUuid(text) {
	const hex = crypto.createHash('sha256').update(text).digest('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A dentry record as the sandbox keeps it: the answer's fields plus `sha256` and `content` (where its
 * bytes are: `{ bytes }`, `{ generated: { seed, size } }` or `{ path, size }`), which never go out.
 */
function makeDentry({
	id,
	uuid,
	spaceId,
	parentPath = '',
	parentId = ROOT_ID,
	name,
	type = 'FILE',
	content,
	sha256 = null,
	unionId,
	createTime,
	modifiedTime = createTime,
	status = 'NORMAL',
}) {
	const file = type === 'FILE';
	return {
		id,
		uuid: uuid ?? crypto.randomUUID(),
		spaceId,
		parentId,
		name,
		type,
		...(file
			? {
					size: content ? sizeOf(content) : 0,
					extension: extensionOf(name),
					category: categoryOf(name),
				}
			: {}),
		path: `${parentPath}/${name}`,
		version: 1,
		status,
		creatorId: unionId,
		modifierId: unionId,
		createTime,
		modifiedTime,
		storageDriver: 'DINGTALK',
		partitionType: 'PUBLIC_OSS_PARTITION',
		properties: { readOnly: false },
		...(file ? { sha256, content } : {}),
	};
}

const sizeOf = (content) =>
	content.bytes ? content.bytes.length : (content.generated?.size ?? content.size);

/** What an answer shows of a dentry: the documented fields only (never its bytes or hash). */
function dentryView(dentry) {
	const view = {};
	for (const field of DENTRY_FIELDS) {
		if (dentry[field] === undefined) continue;
		if (dentry.type === 'FOLDER' && FILE_ONLY.has(field)) continue;
		view[field] = dentry[field];
	}
	return view;
}

/** The dentry and every dentry below it (a folder's whole subtree), from a space's map. */
function subtree(dentries, id) {
	const found = [dentries.get(id)];
	for (let index = 0; index < found.length; index++) {
		if (found[index].type !== 'FOLDER') continue;
		for (const child of dentries.values())
			if (child.parentId === found[index].id) found.push(child);
	}
	return found;
}

/** The NORMAL dentries of a folder (ROOT_ID: the space's root). */
const childrenOf = (dentries, parentId) =>
	[...dentries.values()].filter(
		(d) => (d.parentId ?? ROOT_ID) === parentId && d.status === 'NORMAL',
	);

module.exports = {
	ROOT_ID,
	nameProblem,
	extensionOf,
	categoryOf,
	freeName,
	stableUuid,
	makeDentry,
	dentryView,
	subtree,
	childrenOf,
};
