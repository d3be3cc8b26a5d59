'use strict';
// npm run demo: runs the example workflows headless in a real n8n against the DingTalk sandbox and
// prints what each produced, all in one `n8n start`. Workflows that start with a robot trigger are
// activated one at a time, started by the messages the sandbox sends the robot (DEMO_ROBOT_MESSAGES in
// examples/build.js, else a file). Nothing outside this checkout is touched but the robot example's
// folder in /tmp.
const fs = require('node:fs');
const path = require('node:path');
const { createSandbox } = require('../test/sandbox/server');
const { N8nInstance, executionDone, until } = require('../test/e2e/n8n');
const { sandboxCredential } = require('../test/e2e/workflows');
const { KEPT_FILES_FOLDER, DEMO_ROBOT_MESSAGES } = require('../examples/build');

const EXAMPLES = path.join(__dirname, '..', 'examples');
// The robot-triggered examples: how long to wait for the connection and the execution, how often to look.
const TRIGGER_WAIT = { timeoutMs: 2 * 60 * 1000, everyMs: 250 };
// Items printed per node (a whole-space list has over a hundred).
const LISTED_ITEMS = 10;

function describeItem(item) {
	const binary = Object.entries(item.binary ?? {}).map(
		([field, data]) => `${field}: ${data.fileName} (${data.mimeType}, ${data.fileSize ?? '?'})`,
	);
	return `  ${JSON.stringify(item.json)}${binary.length ? `\n    binary ${binary.join(', ')}` : ''}`;
}

/** What a message to the robot was, in a few words. */
function describeMessage(spec) {
	const where = spec.chat === 'group' ? 'in the team group' : 'in a one-to-one chat';
	return spec.type === 'text' ? `"${spec.text}" ${where}` : `a ${spec.type} ${where}`;
}

/**
 * Activates the workflow alone in the served n8n, has a user send the robot each message
 * (`sandbox.robot.sendMessage` specs) and waits for the execution it starts before the next; resolves
 * with the runs once the workflow is deactivated and its connection closed.
 */
async function runTriggered(n8n, sandbox, workflow, messages) {
	await n8n.publish(workflow.id);
	try {
		await until(
			() => sandbox.robot.openConnections().length > 0,
			"the trigger's connection",
			TRIGGER_WAIT,
		);
		sandbox.clearLog();
		const runs = [];
		for (const spec of messages) {
			const [before] = await n8n.executionsOf(workflow.id, { newestFirst: true, limit: 1 });
			const started = Date.now();
			const sent = await sandbox.robot.sendMessage(spec);
			const execution = await until(
				async () => {
					const [newest] = await n8n.executionsOf(workflow.id, { newestFirst: true, limit: 1 });
					return newest && newest.id !== before?.id && executionDone(newest) && newest;
				},
				'the execution',
				TRIGGER_WAIT,
			);
			runs.push({ spec, execution, durationMs: Date.now() - started, sent });
		}
		return runs;
	} finally {
		await n8n.unpublish(workflow.id);
		// The next robot example's messages must reach its own connection, not this one.
		await until(
			() => sandbox.robot.openConnections().length === 0,
			"the trigger's connection to close",
			TRIGGER_WAIT,
		);
	}
}

/**
 * Runs every example workflow in a fresh n8n of the given line against a fresh sandbox, one after
 * another in the order of their file names (what one stores, the next ones find). Calls `onResult` for
 * each with `{ file, workflow, how, error, skipped, runData, calls, robotMessages, replies, sentToRobot,
 * runs }`, where `calls` is what the sandbox received, `robotMessages` the robot's sends and `replies`
 * the replies through a message's sessionWebhook (as the sandbox recorded them during that example),
 * `sentToRobot` the files a user sent the robot to start a robot-triggered example (name, SHA-256) and
 * `runs` its executions, one per message sent (`{ message, description, status, runData }`; `runData`
 * is the first one's); resolves with all of them.
 */
async function runExamples({ line = 2, onResult = () => {} } = {}) {
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	const n8n = new N8nInstance({ line, name: `demo-${process.pid}-n8n${line}` });
	// The Stream trigger uses Node's built-in WebSocket (Node 22+); n8n 1.x runs on this machine's Node.
	const streamWorks = line === 2 || Number(process.versions.node.split('.')[0]) >= 22;
	const results = [];
	try {
		await n8n.setup();
		await n8n.importCredentials([sandboxCredential(urls)]);
		const files = fs
			.readdirSync(EXAMPLES)
			.filter((file) => file.endsWith('.json'))
			.sort();
		const workflows = files.map((file) =>
			JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')),
		);
		await n8n.importWorkflow(workflows);
		fs.mkdirSync(KEPT_FILES_FOLDER, { recursive: true });
		// One n8n for every example: the manual ones run as the editor runs them, the robot ones are
		// activated in it one at a time.
		await n8n.serve({ env: { N8N_RESTRICT_FILE_ACCESS_TO: KEPT_FILES_FOLDER } });
		for (const [index, workflow] of workflows.entries()) {
			const byRobot = workflow.nodes[0].type.endsWith('RobotTrigger');
			let result = {
				file: files[index],
				workflow,
				version: n8n.version,
				runData: {},
				calls: [],
				robotMessages: [],
				replies: [],
			};
			if (byRobot && !streamWorks) {
				result.skipped = 'its trigger needs Node.js 22 or later';
			} else {
				sandbox.clearLog();
				const earlier = {
					robotMessages: sandbox.robotMessages.length,
					replies: sandbox.robot.replies.length,
				};
				try {
					if (byRobot) {
						const messages = DEMO_ROBOT_MESSAGES[files[index]] ?? [{ type: 'file' }];
						const runs = await runTriggered(n8n, sandbox, workflow, messages);
						result.sentToRobot = runs.flatMap(({ sent }) =>
							sent.attachments.map(({ bytes, ...rest }) => rest),
						);
						result.runs = runs.map(({ spec, sent, execution }) => ({
							message: sent.message,
							description: describeMessage(spec),
							status: execution.status,
							runData: execution.data?.resultData?.runData ?? {},
						}));
						result.how = runs
							.map(
								({ spec, durationMs }) =>
									`${describeMessage(spec)} sent to the robot, ${durationMs} ms to the end of the execution`,
							)
							.join('; ');
						result.runData = result.runs[0].runData;
						const failed = runs.find(({ execution }) => execution.status !== 'success');
						if (failed)
							result.error = failed.execution.data?.resultData?.error ?? {
								message: `the execution ended as "${failed.execution.status}"`,
							};
					} else {
						const run = await n8n.execute(workflow.id);
						result = { ...result, how: `${run.durationMs} ms`, runData: run.runData ?? {} };
						if (run.error) result.error = run.error;
					}
				} catch (error) {
					result.how = 'not run';
					result.error = error;
				}
				result.calls = sandbox.requests.map((entry) => ({ ...entry }));
				result.robotMessages = sandbox.robotMessages
					.slice(earlier.robotMessages)
					.map((entry) => ({ ...entry }));
				result.replies = sandbox.robot.replies
					.slice(earlier.replies)
					.map((entry) => ({ ...entry }));
			}
			results.push(result);
			onResult(result);
		}
	} finally {
		await n8n.stopServing();
		await sandbox.stop();
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}
	return results;
}

function print(result) {
	const title = `${result.file}: ${result.workflow.name}`;
	if (result.skipped) {
		process.stdout.write(`\n== ${title}: skipped, ${result.skipped}\n`);
		return;
	}
	process.stdout.write(`\n== ${title} (n8n ${result.version}, ${result.how})\n`);
	if (result.error) {
		process.stdout.write(`  FAILED: ${result.error.message}\n`);
		return;
	}
	const runs = result.runs ?? [{ runData: result.runData }];
	for (const run of runs) {
		if (runs.length > 1) process.stdout.write(`-- after ${run.description}:\n`);
		for (const node of result.workflow.nodes.filter((node) => /\.dingTalk/.test(node.type))) {
			// Nodes of a branch that did not run are left out.
			if (!run.runData[node.name]) continue;
			const items = (run.runData[node.name][0]?.data?.main ?? []).flat().filter(Boolean);
			process.stdout.write(`${node.name}:\n`);
			for (const item of items.slice(0, LISTED_ITEMS))
				process.stdout.write(`${describeItem(item)}\n`);
			const more = items.length - LISTED_ITEMS;
			if (more > 0) process.stdout.write(`  … and ${more} more\n`);
		}
	}
	for (const reply of result.replies)
		process.stdout.write(`Reply in the chat: ${JSON.stringify(reply.content ?? reply.text)}\n`);
	const calls = result.calls.map((entry) => `${entry.method} ${entry.path} -> ${entry.status}`);
	process.stdout.write(`DingTalk sandbox saw: ${calls.join('; ')}\n`);
}

async function main() {
	const results = await runExamples({
		line: Number(process.env.DEMO_N8N_LINE || 2),
		onResult: print,
	});
	const failed = results.filter((result) => result.error).length;
	if (failed) {
		process.stdout.write(`\n${failed} example(s) failed\n`);
		process.exitCode = 1;
	}
}

if (require.main === module)
	main().catch((error) => {
		process.stderr.write(`${error.stack || error}\n`);
		process.exitCode = 1;
	});

module.exports = { runExamples };
