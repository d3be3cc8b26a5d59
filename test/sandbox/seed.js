'use strict';
// Seeded demo data of the DingTalk sandbox: organisations, apps, users, groups, files and robot
// download codes. All file contents are generated here so they are identical on every run.
const crypto = require('node:crypto');
const zlib = require('node:zlib');

const ALL_SCOPES = [
	'ConvFile.Space.Read',
	'ConvFile.File.Send',
	'qyapi_base',
	'qyapi_robot_sendmsg',
];

// ---- deterministic file contents ----

// xorshift32: a tiny seeded generator, so "random" bytes are the same on every run
function pseudoRandomBytes(length, seed) {
	const out = Buffer.alloc(length);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < length; i++) {
		x ^= x << 13;
		x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5;
		x >>>= 0;
		out[i] = x & 0xff;
	}
	return out;
}

// Large files made up on the fly: an AES-128-CTR keystream keyed by a hash of `seed` (fast, native and
// the same for the same seed), 64 KiB at a time, so a file of any size is never held whole in memory.
const GENERATED_CHUNK = 64 * 1024;
function* generatedContent(seed, size) {
	const key = crypto.createHash('sha256').update(String(seed)).digest().subarray(0, 16);
	const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
	const zeros = Buffer.alloc(GENERATED_CHUNK);
	for (let left = size; left > 0; left -= GENERATED_CHUNK)
		yield cipher.update(zeros.subarray(0, Math.min(left, GENERATED_CHUNK)));
}

// A small but well-formed one-page PDF (correct xref offsets), a few KB long
function buildPdf() {
	let text = 'BT /F1 11 Tf 56 780 Td 14 TL\n(Q3 report - DingTalk sandbox demo) Tj T*\n';
	const regions = ['North', 'South', 'East', 'West', 'Central', 'Online'];
	for (let i = 0; i < 72; i++) {
		const region = regions[i % regions.length];
		const amount = 10000 + ((i * 7919) % 90000);
		text += `(Week ${String(i + 1).padStart(2, '0')}  ${region.padEnd(8, ' ')} revenue ${amount} CNY) Tj T*\n`;
	}
	text += 'ET\n';
	const objects = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
		`<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}endstream`,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
	];
	let pdf = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
	const offsets = [];
	objects.forEach((body, i) => {
		offsets.push(Buffer.byteLength(pdf, 'latin1'));
		pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
	});
	const xrefAt = Buffer.byteLength(pdf, 'latin1');
	pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
	for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
	pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
	return Buffer.from(pdf, 'latin1');
}

function pngChunk(type, data) {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(zlib.crc32(typeAndData) >>> 0);
	return Buffer.concat([length, typeAndData, crc]);
}

// zlib stream with one stored (uncompressed) block: byte-for-byte stable across zlib versions
function storedZlib(raw) {
	let a = 1;
	let b = 0;
	for (const byte of raw) {
		a = (a + byte) % 65521;
		b = (b + a) % 65521;
	}
	const header = Buffer.from([
		0x78,
		0x01,
		0x01,
		raw.length & 0xff,
		raw.length >> 8,
		~raw.length & 0xff,
		(~raw.length >> 8) & 0xff,
	]);
	const adler = Buffer.alloc(4);
	adler.writeUInt32BE(((b << 16) | a) >>> 0);
	return Buffer.concat([header, raw, adler]);
}

// A valid 8x8 RGB PNG with a colour gradient
function buildPng() {
	const size = 8;
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(size, 0);
	ihdr.writeUInt32BE(size, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // colour type RGB
	const rows = [];
	for (let y = 0; y < size; y++) {
		rows.push(0); // filter: none
		for (let x = 0; x < size; x++) rows.push(x * 32, y * 32, 160);
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		pngChunk('IHDR', ihdr),
		pngChunk('IDAT', storedZlib(Buffer.from(rows))),
		pngChunk('IEND', Buffer.alloc(0)),
	]);
}

// AMR-NB: magic header then five 12.2 kbit/s frames (header byte 0x3C + 31 bytes)
function buildAmr() {
	const frames = [];
	for (let i = 0; i < 5; i++) frames.push(Buffer.from([0x3c]), pseudoRandomBytes(31, 0xa3d1 + i));
	return Buffer.concat([Buffer.from('#!AMR\n', 'latin1'), ...frames]);
}

const CONTENT = {
	reportPdf: buildPdf(),
	photoPng: buildPng(),
	voiceAmr: buildAmr(),
	otherCorpDoc: Buffer.from('%PDF-1.4\n% other corp document\n%%EOF\n', 'latin1'),
};

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

// ---- the public demo values ----

const CORP_ID = 'dingsandboxcorp';
const OTHER_CORP_ID = 'dingothercorp';

function describeFile(key, name, contentType) {
	const file = { name, contentType, size: CONTENT[key].length, sha256: sha256(CONTENT[key]) };
	// a getter hands out copies so callers cannot change what the sandbox serves
	Object.defineProperty(file, 'bytes', { enumerable: true, get: () => Buffer.from(CONTENT[key]) });
	return Object.freeze(file);
}

function deepFreeze(value) {
	if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !Object.isFrozen(value)) {
		for (const inner of Object.values(value)) deepFreeze(inner);
		Object.freeze(value);
	}
	return value;
}

const DEMO = deepFreeze({
	corpId: CORP_ID,
	otherCorpId: OTHER_CORP_ID,
	app: {
		appKey: 'dingsandboxappkey',
		appSecret: 'sandbox-app-secret-0123456789',
		robotCode: 'dingsandboxappkey',
		corpId: CORP_ID,
	},
	otherCorpApp: {
		appKey: 'dingothercorpkey',
		appSecret: 'other-corp-secret-0123456789',
		robotCode: 'dingothercorpkey',
		corpId: OTHER_CORP_ID,
	},
	suite: {
		suiteKey: 'suitesandboxkey',
		suiteSecret: 'sandbox-suite-secret-0123456789',
		authCorpId: CORP_ID,
		suiteTicket: 'sandbox-suite-ticket',
	},
	scopes: ALL_SCOPES,
	users: {
		alice: 'unionAlice000001',
		bob: 'unionBob00000002',
		carol: 'unionCarol000003',
		outsider: 'unionOutsider004',
	},
	group: {
		openConversationId: 'cidSandboxTeamGroup0001==',
		members: ['unionAlice000001', 'unionBob00000002'],
		space: {
			spaceId: '8000001',
			corpId: CORP_ID,
			createTime: '2026-01-05T09:00Z',
			modifiedTime: '2026-11-20T16:30Z',
		},
	},
	otherCorpGroup: {
		openConversationId: 'cidOtherCorpGroup0002==',
		members: ['unionOutsider004'],
		space: {
			spaceId: '8000002',
			corpId: OTHER_CORP_ID,
			createTime: '2026-02-01T08:00Z',
			modifiedTime: '2026-02-01T08:00Z',
		},
	},
	dentries: {
		reportPdf: 'dentry-report-pdf',
		photoPng: 'dentry-photo-png',
		folder: 'dentry-folder-docs',
		deleted: 'dentry-deleted',
		otherCorpDoc: 'dentry-other-corp-doc',
	},
	downloadCodes: {
		reportPdf: 'dlcode-report-pdf',
		photoPng: 'dlcode-photo-png',
		voiceAmr: 'dlcode-voice-amr',
		expired: 'dlcode-expired',
		otherRobot: 'dlcode-other-robot',
		otherCorp: 'dlcode-other-corp',
	},
	otherRobotCode: 'dingotherrobot',
	files: {
		reportPdf: describeFile('reportPdf', 'Q3 report.pdf', 'application/pdf'),
		photoPng: describeFile('photoPng', 'team photo.png', 'image/png'),
		voiceAmr: describeFile('voiceAmr', 'voice.amr', 'audio/amr'),
	},
});

// ---- mutable state built from the demo values (fresh copy on every reset) ----

function dentry(id, name, key, extra = {}) {
	const bytes = key ? CONTENT[key] : Buffer.alloc(0);
	const dot = name.lastIndexOf('.');
	return {
		id,
		name,
		type: 'FILE',
		status: 'NORMAL',
		size: bytes.length,
		extension: dot > 0 ? name.slice(dot + 1) : '',
		creatorId: DEMO.users.alice,
		modifierId: DEMO.users.alice,
		createTime: '2026-09-30T10:15Z',
		modifiedTime: '2026-10-02T08:40Z',
		...extra,
	};
}

function seedState() {
	const apps = new Map([
		[
			DEMO.app.appKey,
			{ appKey: DEMO.app.appKey, secret: DEMO.app.appSecret, corpId: CORP_ID, kind: 'internal' },
		],
		[
			DEMO.otherCorpApp.appKey,
			{
				appKey: DEMO.otherCorpApp.appKey,
				secret: DEMO.otherCorpApp.appSecret,
				corpId: OTHER_CORP_ID,
				kind: 'internal',
			},
		],
	]);
	const suites = new Map([
		[
			DEMO.suite.suiteKey,
			{
				suiteKey: DEMO.suite.suiteKey,
				secret: DEMO.suite.suiteSecret,
				ticket: DEMO.suite.suiteTicket,
				authorizedCorps: [CORP_ID],
			},
		],
	]);
	const scopes = new Map(
		[DEMO.app.appKey, DEMO.otherCorpApp.appKey, DEMO.suite.suiteKey].map((key) => [
			key,
			new Set(ALL_SCOPES),
		]),
	);
	const users = new Map([
		[DEMO.users.alice, { corpId: CORP_ID, name: 'Alice' }],
		[DEMO.users.bob, { corpId: CORP_ID, name: 'Bob' }],
		[DEMO.users.carol, { corpId: CORP_ID, name: 'Carol' }],
		[DEMO.users.outsider, { corpId: OTHER_CORP_ID, name: 'Oscar' }],
	]);
	const spaces = new Map([
		[
			DEMO.group.space.spaceId,
			{
				...DEMO.group.space,
				dentries: new Map([
					[DEMO.dentries.reportPdf, dentry(DEMO.dentries.reportPdf, 'Q3 report.pdf', 'reportPdf')],
					[
						DEMO.dentries.photoPng,
						dentry(DEMO.dentries.photoPng, 'team photo.png', 'photoPng', {
							creatorId: DEMO.users.bob,
							modifierId: DEMO.users.bob,
						}),
					],
					[
						DEMO.dentries.folder,
						dentry(DEMO.dentries.folder, 'Docs', null, { type: 'FOLDER', extension: '' }),
					],
					[
						DEMO.dentries.deleted,
						dentry(DEMO.dentries.deleted, 'old notes.docx', null, {
							status: 'DELETED',
							size: 2048,
						}),
					],
				]),
			},
		],
		[
			DEMO.otherCorpGroup.space.spaceId,
			{
				...DEMO.otherCorpGroup.space,
				dentries: new Map([
					[
						DEMO.dentries.otherCorpDoc,
						dentry(DEMO.dentries.otherCorpDoc, 'plan.pdf', 'otherCorpDoc', {
							creatorId: DEMO.users.outsider,
							modifierId: DEMO.users.outsider,
						}),
					],
				]),
			},
		],
	]);
	const conversations = new Map([
		[
			DEMO.group.openConversationId,
			{ corpId: CORP_ID, members: new Set(DEMO.group.members), spaceId: DEMO.group.space.spaceId },
		],
		[
			DEMO.otherCorpGroup.openConversationId,
			{
				corpId: OTHER_CORP_ID,
				members: new Set(DEMO.otherCorpGroup.members),
				spaceId: DEMO.otherCorpGroup.space.spaceId,
			},
		],
	]);
	// robot -> organisation it lives in (internal app robots use the AppKey as robotCode)
	const robots = new Map([
		[DEMO.app.robotCode, CORP_ID],
		[DEMO.otherRobotCode, CORP_ID],
		[DEMO.otherCorpApp.robotCode, OTHER_CORP_ID],
	]);
	const code = (robotCode, fileName, key, extra = {}) => ({
		robotCode,
		corpId: robots.get(robotCode),
		fileName,
		bytes: key ? CONTENT[key] : Buffer.alloc(0),
		expired: false,
		...extra,
	});
	const downloadCodes = new Map([
		[DEMO.downloadCodes.reportPdf, code(DEMO.app.robotCode, 'Q3 report.pdf', 'reportPdf')],
		[DEMO.downloadCodes.photoPng, code(DEMO.app.robotCode, 'team photo.png', 'photoPng')],
		[DEMO.downloadCodes.voiceAmr, code(DEMO.app.robotCode, 'voice.amr', 'voiceAmr')],
		[
			DEMO.downloadCodes.expired,
			code(DEMO.app.robotCode, 'old.pdf', 'reportPdf', { expired: true }),
		],
		[DEMO.downloadCodes.otherRobot, code(DEMO.otherRobotCode, 'other robot.pdf', 'reportPdf')],
		[DEMO.downloadCodes.otherCorp, code(DEMO.otherCorpApp.robotCode, 'plan.pdf', 'otherCorpDoc')],
	]);
	return { apps, suites, scopes, users, spaces, conversations, robots, downloadCodes };
}

module.exports = { DEMO, ALL_SCOPES, seedState, sha256, generatedContent };
