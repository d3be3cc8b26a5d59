'use strict';
// Seeded demo data of the DingTalk sandbox: organisations, apps, users, groups, files and robot
// download codes. All file contents are generated here so they are identical on every run.
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { makeDentry, stableUuid } = require('./dentries');

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
const HOUR = 3600 * 1000;
const isoMinute = (ms) => new Date(ms).toISOString().slice(0, 16) + 'Z';

function hashOf(content) {
	if (content.bytes) return sha256(content.bytes);
	const hash = crypto.createHash('sha256');
	for (const chunk of generatedContent(content.generated.seed, content.generated.size))
		hash.update(chunk);
	return hash.digest('hex');
}

// ---- the team space's tree: folders, files of many kinds, and an Archive of 120 files ----

const ALICE = 'unionAlice000001';
const BOB = 'unionBob00000002';
const TEXT = (text) => ({ bytes: Buffer.from(text, 'utf8') });
const GENERATED = (seed, size) => ({ generated: { seed, size } });
const folder = (id, parentId, name, hoursAgo, createdBefore, creator = ALICE) => ({
	id,
	parentId,
	name,
	type: 'FOLDER',
	hoursAgo,
	createdBefore,
	creator,
});
// hoursAgo: modified that long before the seed was built; createdBefore: created that long before that
const file = (id, parentId, name, content, hoursAgo, creator = ALICE) => ({
	id,
	parentId,
	name,
	type: 'FILE',
	content,
	sha256: hashOf(content),
	hoursAgo,
	createdBefore: 48,
	creator,
});
const TREE_FOLDERS = {
	reports: 'dentry-folder-reports',
	reports2026: 'dentry-folder-reports-2026',
	photos: 'dentry-folder-photos',
	archive: 'dentry-folder-archive',
};
const ARCHIVE_FILES = 120;
const archiveId = (n) => `dentry-archive-${String(n).padStart(3, '0')}`;
const NOTES = `Meeting notes (sandbox team)

- Budget 2026: review on Friday
- Roadmap: Q1 milestones agreed
- Photos of the offsite are in Photos/
`;
const KPI = `week,signups,revenue\n${Array.from({ length: 26 }, (_, i) => `${i + 1},${100 + ((i * 37) % 90)},${5000 + i * 250}`).join('\n')}\n`;
const F = TREE_FOLDERS;
const TREE = [
	folder(F.reports, '0', 'Reports', 20, 24 * 25),
	folder(F.reports2026, F.reports, '2026', 146, 24 * 20),
	folder(F.photos, '0', 'Photos', 30, 24 * 22, BOB),
	folder(F.archive, '0', 'Archive', 24 * 8, 48),
	file('dentry-budget-xlsx', '0', 'Budget 2026.xlsx', GENERATED('budget', 18_432), 12),
	file('dentry-notes-txt', '0', 'meeting notes.txt', TEXT(NOTES), 51, BOB),
	file('dentry-roadmap-pptx', '0', 'Roadmap.pptx', GENERATED('roadmap', 245_760), 221),
	file('dentry-video-mp4', '0', 'launch video.mp4', GENERATED('video', 3 * 2 ** 20 + 17), 127, BOB),
	file('dentry-empty-txt', '0', 'empty.txt', TEXT(''), 24 * 29),
	file('dentry-chinese-pdf', '0', '季度报告 Q1.pdf', GENERATED('quarterly', 52_000), 484),
	file('dentry-annual-docx', F.reports, 'Annual summary.docx', GENERATED('annual', 33_000), 73),
	file('dentry-kpi-csv', F.reports, 'KPI (draft).csv', TEXT(KPI), 342, BOB),
	file('dentry-sales-jan-xlsx', F.reports2026, 'Sales 2026-01.xlsx', GENERATED('jan', 21_000), 648),
	file('dentry-sales-feb-xlsx', F.reports2026, 'Sales 2026-02.xlsx', GENERATED('feb', 23_500), 146),
	file('dentry-forecast-zip', F.reports2026, 'forecast.zip', GENERATED('forecast', 120_000), 264),
	file('dentry-offsite-1-png', F.photos, 'offsite 1.png', { bytes: CONTENT.photoPng }, 96, BOB),
	file('dentry-offsite-2-jpg', F.photos, 'offsite 2.jpg', GENERATED('offsite', 95_000), 384, BOB),
	file('dentry-whiteboard-png', F.photos, 'whiteboard.png', { bytes: CONTENT.photoPng }, 26),
	// 4 hours apart, from 8 to almost 28 days ago
	...Array.from({ length: ARCHIVE_FILES }, (_, i) => {
		const n = String(i + 1).padStart(3, '0');
		return file(
			archiveId(i + 1),
			F.archive,
			`log-${n}.txt`,
			GENERATED(`log ${n}`, 200 + ((i * 37) % 1800)),
			24 * 8 + i * 4,
			i % 3 === 0 ? BOB : ALICE,
		);
	}),
];

// ---- the directory: 30 people of the sandbox organisation, and Oscar of the other one ----

// [userid, unionid, name, English name, title, departments, admin, boss, active]
const PEOPLE = [
	['manager4220', ALICE, 'Alice', '', 'Engineering Manager', [1001], true],
	['staff0002', BOB, 'Bob', '', 'Software Engineer', [1001]],
	['staffCarol03', 'unionCarol000003', 'Carol', '', 'Accountant', [1003]],
	['staff0104', 'unionDir00000104', '张伟', 'Wei Zhang', 'Product Manager', [1008]],
	['staff0105', 'unionDir00000105', '王芳', 'Fang Wang', 'UI Designer', [1007]],
	['staff0106', 'unionDir00000106', '李娜', 'Na Li', 'Sales Director', [1002]],
	['staff0107', 'unionDir00000107', '刘洋', 'Yang Liu', 'Sales Representative', [1002]],
	['staff0108', 'unionDir00000108', '陈静', 'Jing Chen', 'HR Specialist', [1004]],
	['staff0109', 'unionDir00000109', '杨磊', 'Lei Yang', 'Support Engineer', [1006]],
	['staff0110', 'unionDir00000110', '赵敏', 'Min Zhao', 'Marketing Lead', [1005]],
	['staff0111', 'unionDir00000111', '黄强', 'Qiang Huang', 'CEO', [1], true, true],
	['staff0112', 'unionDir00000112', '周杰', 'Jie Zhou', 'Backend Engineer', [1001]],
	['staff0113', 'unionDir00000113', '吴婷', 'Ting Wu', 'Frontend Engineer', [1001]],
	['staff0114', 'unionDir00000114', '徐明', 'Ming Xu', 'QA Engineer', [1001, 1006]],
	['staff0115', 'unionDir00000115', '孙丽', 'Li Sun', 'Finance Manager', [1003]],
	['staff0116', 'unionDir00000116', '马超', 'Chao Ma', 'Sales Representative', [1002]],
	['staff0117', 'unionDir00000117', '朱琳', 'Lin Zhu', 'Content Writer', [1005]],
	['staff0118', 'unionDir00000118', '胡军', 'Jun Hu', 'IT Administrator', [1006], true],
	['staff0119', 'unionDir00000119', '郭芳', 'Fang Guo', 'Recruiter', [1004]],
	['staff0120', 'unionDir00000120', '何平', 'Ping He', 'Data Analyst', [1008]],
	['staff0121', 'unionDir00000121', '林涛', 'Tao Lin', 'DevOps Engineer', [1001]],
	['staff0122', 'unionDir00000122', '高峰', 'Feng Gao', 'Account Manager', [1002]],
	['staff0123', 'unionDir00000123', '罗静', 'Jing Luo', 'Office Manager', [1004]],
	['staff0124', 'unionDir00000124', 'David Miller', '', 'Solutions Architect', [1001]],
	['staff0125', 'unionDir00000125', 'Emma Schmidt', '', 'Product Designer', [1007]],
	['staff0126', 'unionDir00000126', 'Frank Li', '', 'Sales Engineer', [1002]],
	['staff0127', 'unionDir00000127', 'Grace Wang', '', 'Marketing Specialist', [1005]],
	['staff0128', 'unionDir00000128', 'Hannah Ito', '', 'Customer Success Manager', [1006]],
	['staff0129', 'unionDir00000129', 'Ivan Petrov', '', 'Security Engineer', [1001]],
	['staff0130', 'unionDir00000130', 'Julia Rossi', '', 'Intern', [1008], false, false, false],
];
const DIRECTORY = [
	...PEOPLE.map(
		([userid, unionid, name, englishName, title, depts, admin, boss, active], index) => ({
			userid,
			unionid,
			corpId: CORP_ID,
			name,
			...(englishName ? { englishName } : {}),
			title,
			dept_id_list: depts,
			mobile: `138${String(index + 1).padStart(8, '0')}`,
			job_number: `SB${String(index + 1).padStart(4, '0')}`,
			hired_date: Date.UTC(2018 + (index % 8), index % 12, 1 + (index % 27)),
			// a few people have no avatar
			avatar: index % 7 === 6 ? '' : `https://static.sandbox.invalid/avatar/${userid}.png`,
			active: active ?? true,
			admin: admin ?? false,
			boss: boss ?? false,
		}),
	),
	{
		userid: 'staffOscar04',
		unionid: 'unionOutsider004',
		corpId: OTHER_CORP_ID,
		name: 'Oscar',
		title: 'Partner',
		dept_id_list: [1],
		mobile: '13900000004',
		job_number: 'OC0001',
		hired_date: Date.UTC(2020, 0, 2),
		avatar: '',
		active: true,
		admin: true,
		boss: true,
	},
];

// ---- group chats: the team group and 14 more; the app's robot is in all but the last ----

// [openConversationId, title, members (directory rows after Alice), robot in it, title readable]
const CHAT_ROWS = [
	['cidSandboxChat0002==', 'Marketing', 5, true, true],
	['cidSandboxChat0003==', 'Engineering', 12, true, true],
	['cidSandboxChat0004==', '产品讨论组', 7, true, true],
	['cidSandboxChat0005==', 'Sales East', 4, true, true],
	['cidSandboxChat0006==', 'Sales West', 4, true, false],
	['cidSandboxChat0007==', 'HR announcements', 29, true, true],
	['cidSandboxChat0008==', 'Support on call', 6, true, false],
	['cidSandboxChat0009==', 'Design reviews', 3, true, true],
	['cidSandboxChat0010==', 'Finance', 2, true, true],
	['cidSandboxChat0011==', 'Offsite 2026', 15, true, true],
	['cidSandboxChat0012==', 'Book club', 8, true, false],
	['cidSandboxChat0013==', '客户成功', 5, true, true],
	['cidSandboxChat0014==', 'Release train', 10, true, true],
	['cidSandboxChat0015==', 'Board', 3, false, true],
];
const CHATS = [
	{
		openConversationId: 'cidSandboxTeamGroup0001==',
		title: 'Sandbox team',
		spaceId: '8000001',
		members: [ALICE, BOB],
		robot: true,
		titleReadable: true,
		icon: 'https://static.sandbox.invalid/group/team.png',
	},
	...CHAT_ROWS.map(([openConversationId, title, others, robot, titleReadable], index) => ({
		openConversationId,
		title,
		spaceId: String(8000102 + index),
		members: [ALICE, ...PEOPLE.slice(1 + (index % 3), 1 + (index % 3) + others).map((p) => p[1])],
		robot,
		titleReadable,
		icon: index % 4 === 3 ? '' : `https://static.sandbox.invalid/group/${index + 2}.png`,
	})),
];

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
	tree: {
		spaceId: '8000001',
		folders: TREE_FOLDERS,
		files: Object.fromEntries(
			TREE.filter((d) => d.type === 'FILE' && d.parentId !== F.archive).map((d) => [
				d.id.replace(/^dentry-/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase()),
				d.id,
			]),
		),
		archive: { count: ARCHIVE_FILES, first: archiveId(1), last: archiveId(ARCHIVE_FILES) },
	},
	directory: DIRECTORY,
	chats: CHATS,
	robotGroups: CHATS.filter((chat) => chat.robot).map((chat) => chat.openConversationId),
	files: {
		reportPdf: describeFile('reportPdf', 'Q3 report.pdf', 'application/pdf'),
		photoPng: describeFile('photoPng', 'team photo.png', 'image/png'),
		voiceAmr: describeFile('voiceAmr', 'voice.amr', 'audio/amr'),
	},
});

// ---- mutable state built from the demo values (fresh copy on every reset) ----

// The dentries of the first seed, at fixed times.
function firstDentry(id, name, key, extra = {}) {
	const content = extra.content ?? (key ? { bytes: CONTENT[key] } : undefined);
	return makeDentry({
		id,
		uuid: stableUuid(id),
		spaceId: DEMO.group.space.spaceId,
		name,
		content,
		sha256: content ? hashOf(content) : null,
		unionId: DEMO.users.alice,
		createTime: '2026-09-30T10:15Z',
		modifiedTime: '2026-10-02T08:40Z',
		...extra,
	});
}

// The tree's dentries, their times `hoursAgo` before `now` (created a few days before that).
function treeDentries(now) {
	const byId = new Map();
	for (const spec of TREE) {
		const parent = byId.get(spec.parentId);
		const modified = now - spec.hoursAgo * HOUR;
		byId.set(
			spec.id,
			makeDentry({
				id: spec.id,
				uuid: stableUuid(spec.id),
				spaceId: DEMO.group.space.spaceId,
				parentId: spec.parentId,
				parentPath: parent ? parent.path : '',
				name: spec.name,
				type: spec.type,
				content: spec.content,
				sha256: spec.sha256,
				unionId: spec.creator,
				createTime: isoMinute(modified - spec.createdBefore * HOUR),
				modifiedTime: isoMinute(modified),
			}),
		);
	}
	return [...byId.entries()];
}

function seedState(now = Date.now()) {
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
	// unionId -> the user: organisation, name and the directory's fields
	const users = new Map(
		DIRECTORY.map((person) => [
			person.unionid,
			{ ...person, dept_id_list: [...person.dept_id_list] },
		]),
	);
	const spaces = new Map([
		[
			DEMO.group.space.spaceId,
			{
				...DEMO.group.space,
				dentries: new Map([
					[
						DEMO.dentries.reportPdf,
						firstDentry(DEMO.dentries.reportPdf, 'Q3 report.pdf', 'reportPdf'),
					],
					[
						DEMO.dentries.photoPng,
						firstDentry(DEMO.dentries.photoPng, 'team photo.png', 'photoPng', {
							unionId: DEMO.users.bob,
						}),
					],
					[
						DEMO.dentries.folder,
						firstDentry(DEMO.dentries.folder, 'Docs', null, { type: 'FOLDER' }),
					],
					[
						DEMO.dentries.deleted,
						firstDentry(DEMO.dentries.deleted, 'old notes.docx', null, {
							status: 'DELETED',
							content: { generated: { seed: DEMO.dentries.deleted, size: 2048 } },
						}),
					],
					...treeDentries(now),
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
						firstDentry(DEMO.dentries.otherCorpDoc, 'plan.pdf', 'otherCorpDoc', {
							spaceId: DEMO.otherCorpGroup.space.spaceId,
							unionId: DEMO.users.outsider,
						}),
					],
				]),
			},
		],
	]);
	// the team group and the other chats of the organisation (each with a space of its own), and the
	// other organisation's group
	const conversations = new Map([
		...DEMO.chats.map((chat) => [
			chat.openConversationId,
			{
				corpId: CORP_ID,
				members: new Set(chat.members),
				spaceId: chat.spaceId,
				title: chat.title,
				icon: chat.icon,
				titleReadable: chat.titleReadable,
			},
		]),
		[
			DEMO.otherCorpGroup.openConversationId,
			{
				corpId: OTHER_CORP_ID,
				members: new Set(DEMO.otherCorpGroup.members),
				spaceId: DEMO.otherCorpGroup.space.spaceId,
				title: 'Other corp',
				icon: '',
				titleReadable: true,
			},
		],
	]);
	for (const chat of DEMO.chats) {
		if (spaces.has(chat.spaceId)) continue;
		const created = isoMinute(Date.UTC(2026, 2, 1) + Number(chat.spaceId.slice(-2)) * 24 * HOUR);
		spaces.set(chat.spaceId, {
			spaceId: chat.spaceId,
			corpId: CORP_ID,
			createTime: created,
			modifiedTime: created,
			dentries: new Map(),
		});
	}
	// openConversationId -> the robots in it, in the order they were added (the installed-groups order)
	const robotGroups = new Map(
		DEMO.robotGroups.map((openConversationId) => [
			openConversationId,
			new Set([DEMO.app.robotCode]),
		]),
	);
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
	return {
		seededAt: now,
		apps,
		suites,
		scopes,
		users,
		spaces,
		conversations,
		robotGroups,
		robots,
		downloadCodes,
	};
}

module.exports = { DEMO, ALL_SCOPES, seedState, sha256, generatedContent };
