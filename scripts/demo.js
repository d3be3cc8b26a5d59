'use strict';
// npm run demo: runs the example workflows headless in a real n8n against the DingTalk sandbox and
// prints what each produced. Nothing outside this checkout is touched.
const fs = require('node:fs');
const path = require('node:path');
const { createSandbox } = require('../test/sandbox/server');
const { N8nInstance } = require('../test/e2e/n8n');
const { sandboxCredential } = require('../test/e2e/workflows');

const EXAMPLES = path.join(__dirname, '..', 'examples');

function describeItem(item) {
	const binary = Object.entries(item.binary ?? {}).map(
		([field, data]) => `${field}: ${data.fileName} (${data.mimeType}, ${data.fileSize ?? '?'})`,
	);
	return `  ${JSON.stringify(item.json)}${binary.length ? `\n    binary ${binary.join(', ')}` : ''}`;
}

async function main() {
	const line = Number(process.env.DEMO_N8N_LINE || 2);
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	const n8n = new N8nInstance({ line, name: `demo-${process.pid}` });
	let failed = 0;
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
		for (const [index, workflow] of workflows.entries()) {
			if (workflow.nodes[0].type.endsWith('Trigger')) {
				// Started by a message to the robot, not by `n8n execute`: `npm run dev` shows it.
				process.stdout.write(`\n== ${files[index]}: ${workflow.name}: runs in \`npm run dev\`\n`);
				continue;
			}
			sandbox.clearLog();
			const result = await n8n.execute(workflow.id);
			process.stdout.write(
				`\n== ${files[index]}: ${workflow.name} (n8n ${n8n.version}, ${result.durationMs} ms)\n`,
			);
			if (result.error) {
				failed++;
				process.stdout.write(`  FAILED: ${result.error.message}\n`);
				continue;
			}
			for (const node of workflow.nodes.filter((node) => node.type.endsWith('.dingTalk'))) {
				process.stdout.write(`${node.name}:\n`);
				for (const item of result.runData[node.name]?.[0]?.data?.main?.[0] ?? [])
					process.stdout.write(`${describeItem(item)}\n`);
			}
			const calls = sandbox.requests.map(
				(entry) => `${entry.method} ${entry.path} -> ${entry.status}`,
			);
			process.stdout.write(`DingTalk sandbox saw: ${calls.join('; ')}\n`);
		}
	} finally {
		await sandbox.stop();
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}
	if (failed) {
		process.stdout.write(`\n${failed} example(s) failed\n`);
		process.exitCode = 1;
	}
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exitCode = 1;
});
