'use strict';
// The README's example workflows, run as `npm run demo` runs them: every one succeeds in real n8n of
// both lines, and the robot examples, started by a file sent to the robot, store and post that file.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { runExamples } = require('../../scripts/demo');
const { KEPT_FILES_FOLDER } = require('../../examples/build');
const { DEMO } = require('../sandbox/server');

const EXAMPLE_FILES = fs
	.readdirSync(path.join(__dirname, '..', '..', 'examples'))
	.filter((file) => file.endsWith('.json'));
const streamWorksOnThisNode = Number(process.versions.node.split('.')[0]) >= 22;

describe.each([2, 1])('example workflows in real n8n %s.x', (line) => {
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
				: ['robot-file-to-group.json', 'robot-keep-file.json'],
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
