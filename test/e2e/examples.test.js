'use strict';
// The README's example workflows, run as `npm run demo` runs them: every one succeeds in real n8n of
// both lines; the robot examples, started by a file sent to the robot, store and post that file; asked
// for a file in the group, the robot posts it and replies; every night the week's documents reach a user.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { runExamples } = require('../../scripts/demo');
const { KEPT_FILES_FOLDER } = require('../../examples/build');
const { createSandbox, DEMO } = require('../sandbox/server');

const EXAMPLE_FILES = fs
	.readdirSync(path.join(__dirname, '..', '..', 'examples'))
	.filter((file) => file.endsWith('.json'));
const streamWorksOnThisNode = Number(process.versions.node.split('.')[0]) >= 22;

// The n8n lines to run them in (default both): `npm test` runs each line's end-to-end files in a step of its own.
const LINES = (process.env.E2E_N8N_LINES || '2,1').split(',').map(Number);

describe.each(LINES)('example workflows in real n8n %s.x', (line) => {
	let results;
	const resultOf = (file) => results.find((result) => result.file === file);
	const outputOf = (result, node) => result.runData[node][0].data.main[0];

	beforeAll(
		async () => {
			// What the robot example keeps must come from this run.
			fs.rmSync(KEPT_FILES_FOLDER, { recursive: true, force: true });
			results = await runExamples({ line });
		},
		20 * 60 * 1000,
	);

	test('every example runs without an error, and only a robot trigger on Node 20 is skipped', () => {
		expect(results.map((result) => result.file).sort()).toEqual([...EXAMPLE_FILES].sort());
		for (const result of results) {
			expect({ file: result.file, error: result.error?.message }).toEqual({
				file: result.file,
				error: undefined,
			});
		}
		const skipped = results.filter((result) => result.skipped).map((result) => result.file);
		expect(skipped).toEqual(
			line === 2 || streamWorksOnThisNode
				? []
				: ['robot-ask-for-file.json', 'robot-file-to-group.json', 'robot-keep-file.json'],
		);
	});

	test("every morning: the report is stored in the team group under the day's name and posted there", () => {
		const result = resultOf('daily-report-to-group.json');
		const [stored] = outputOf(result, 'Upload to team group');
		expect(stored.json).toMatchObject({
			name: expect.stringMatching(/^Daily report \d{4}-\d{2}-\d{2}\.pdf$/),
			size: DEMO.files.reportPdf.bytes.length,
			sentFile: { conversationId: DEMO.group.openConversationId },
		});
		expect(result.calls.map((call) => call.path)).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/\/files\/commit$/),
				'/v1.0/convFile/conversations/files/send',
			]),
		);
	});

	test('every night: the documents modified in the last 7 days reach the manager from the robot, newest first, byte for byte', () => {
		const result = resultOf('nightly-week-uploads.json');
		const listed = outputOf(result, 'List the whole space').map((item) => item.json);
		// Every page of the whole space (the Archive's 120 files among the rest), newest first.
		expect(listed.length).toBeGreaterThan(DEMO.tree.archive.count);
		const times = listed.map((entry) => Date.parse(entry.modifiedTime));
		expect(times).toEqual([...times].sort((a, b) => b - a));
		// The files modified in the last 7 days; the robot's file messages take the documents among them.
		const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
		const thisWeek = listed.filter(
			(entry) => entry.type === 'FILE' && Date.parse(entry.modifiedTime) > weekAgo,
		);
		const documents = thisWeek.filter((entry) =>
			/\.(docx?|xlsx?|pptx?|pdf|zip|rar)$/i.test(entry.name),
		);

		// What the seed holds, read from a sandbox of its own (not started): seven files modified in the
		// last 7 days, three of them documents. Examples that ran before this one may have stored more.
		const seed = createSandbox();
		const seeded = (id) => seed.storedFile(DEMO.tree.spaceId, id);
		const seededThisWeek = Object.values(DEMO.tree.files).filter(
			(id) => Date.parse(seeded(id).modifiedTime) > seed.seededAt - 7 * 24 * 3600 * 1000,
		);
		expect(seededThisWeek).toHaveLength(7);
		expect(thisWeek.map((entry) => entry.id)).toEqual(expect.arrayContaining(seededThisWeek));
		expect(documents.filter((entry) => seeded(entry.id)).map((entry) => entry.name)).toEqual([
			'Budget 2026.xlsx',
			'Annual summary.docx',
			'Sales 2026-02.xlsx',
		]);

		expect(
			result.robotMessages.map((message) => ({
				msgKey: message.msgKey,
				fileName: message.msgParam.fileName,
				userIds: message.userIds,
				deliveredTo: message.deliveredTo,
				size: message.media[0]?.size,
				sha256: message.media[0]?.sha256,
			})),
		).toEqual(
			documents.map((entry) => ({
				msgKey: 'sampleFile',
				fileName: entry.name,
				userIds: ['manager4220'],
				deliveredTo: ['manager4220'],
				size: entry.size,
				sha256: seeded(entry.id)?.sha256 ?? expect.any(String),
			})),
		);
	});

	// On Node 20 the first test checks that the robot examples said why they did not run.
	if (line === 2 || streamWorksOnThisNode)
		test('asked "file budget" in the team group, the robot posts Budget 2026.xlsx there and names it in its reply; asked for a file no name has, it replies that none matches', () => {
			const result = resultOf('robot-ask-for-file.json');
			const [found, none] = result.runs;
			expect([found.message.text.content.trim(), none.message.text.content.trim()]).toEqual([
				'file budget',
				'file holiday photos',
			]);
			const posted = result.calls.filter(
				(call) => call.path === '/v1.0/convFile/conversations/files/send',
			);
			expect(posted.map((call) => call.body)).toEqual([
				{
					spaceId: DEMO.tree.spaceId,
					dentryId: DEMO.tree.files.budgetXlsx,
					openConversationId: DEMO.group.openConversationId,
				},
			]);
			expect(found.runData['Post the file in the group'][0].data.main[0]).toHaveLength(1);
			expect(none.runData['Post the file in the group']).toBeUndefined();
			expect(
				result.replies.map(({ msgId, conversationId, msgtype, content }) => ({
					msgId,
					conversationId,
					msgtype,
					content,
				})),
			).toEqual([
				{
					msgId: found.message.msgId,
					conversationId: DEMO.group.openConversationId,
					msgtype: 'text',
					content: 'Here is "Budget 2026.xlsx".',
				},
				{
					msgId: none.message.msgId,
					conversationId: DEMO.group.openConversationId,
					msgtype: 'text',
					content: 'No file matches "holiday photos".',
				},
			]);
		});

	// On Node 20 the first test checks that the robot examples said why they did not run.
	if (line === 2 || streamWorksOnThisNode)
		test('a file sent to the robot is stored in the team group byte for byte, posted there, and kept on disk', () => {
			const toGroup = resultOf('robot-file-to-group.json');
			const [sent] = toGroup.sentToRobot;
			const [stored] = outputOf(toGroup, 'Store in team group and post');
			// Stored under the sender's name; the team group already has a file of that name, so
			// DingTalk renames the new one (the default choice) and the post shows the stored name.
			const commit = toGroup.calls.find((call) => /\/files\/commit$/.test(call.path));
			expect(commit.body).toMatchObject({ name: sent.fileName });
			const stem = sent.fileName.replace(/\.pdf$/, '');
			expect(stored.json.name).toBe(`${stem}(1).pdf`);
			expect(stored.json.sentFile).toMatchObject({
				name: stored.json.name,
				conversationId: DEMO.group.openConversationId,
			});
			const put = toGroup.calls.find((call) => call.method === 'PUT');
			expect(put.body).toMatchObject({ sha256: sent.sha256 });
			expect(toGroup.calls.map((call) => call.path)).toContain(
				'/v1.0/convFile/conversations/files/send',
			);

			const kept = resultOf('robot-keep-file.json');
			const [keptSent] = kept.sentToRobot;
			const onDisk = fs.readFileSync(path.join(KEPT_FILES_FOLDER, keptSent.fileName));
			expect(crypto.createHash('sha256').update(onDisk).digest('hex')).toBe(keptSent.sha256);
		});
});
