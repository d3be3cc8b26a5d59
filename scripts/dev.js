'use strict';
// npm run dev (after `npm run build`): the DingTalk sandbox on ports 3900-3903, a real n8n 2.x with the
// packed package installed as a community package, a credential pointing at the sandbox, the example
// workflows, and the editor on http://localhost:5678. The n8n user folder (.e2e/dev-n8n2) is kept
// between runs, so the owner account and your workflows stay.
const fs = require('node:fs');
const path = require('node:path');
const { createSandbox, DEMO } = require('../test/sandbox/server');
const { N8nInstance } = require('../test/e2e/n8n');
const { sandboxCredential, CREDENTIAL_ID } = require('../test/e2e/workflows');
const { KEPT_FILES_FOLDER } = require('../examples/build');

const EXAMPLES = path.join(__dirname, '..', 'examples');
const SANDBOX_PORT = Number(process.env.SANDBOX_PORT || 3900);
const N8N_PORT = Number(process.env.N8N_PORT || 5678);

async function main() {
	const sandbox = createSandbox();
	const urls = await sandbox.start({
		apiPort: SANDBOX_PORT,
		legacyPort: SANDBOX_PORT + 1,
		filePort: SANDBOX_PORT + 2,
		streamPort: SANDBOX_PORT + 3,
		uploadPort: SANDBOX_PORT + 4,
	});
	process.stdout.write(
		`DingTalk sandbox: API ${urls.apiBaseUrl}, legacy API ${urls.legacyBaseUrl}, files ${urls.fileBaseUrl}, uploads ${urls.uploadBaseUrl}\n` +
			`  demo app: AppKey ${DEMO.app.appKey} / AppSecret ${DEMO.app.appSecret}; group ${DEMO.group.openConversationId}; user ${DEMO.users.alice}\n`,
	);

	const n8n = new N8nInstance({ line: 2, name: 'dev' });
	await n8n.setup({ fresh: false });
	await n8n.importCredentials([sandboxCredential(urls)]);
	const examples = fs.readdirSync(EXAMPLES).filter((file) => file.endsWith('.json'));
	await n8n.importWorkflow(
		examples.map((file) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'))),
	);
	process.stdout.write(
		`Imported the credential "${CREDENTIAL_ID}" and ${examples.length} example workflows.\n`,
	);

	// The robot example keeps files there; n8n 2.x writes only into folders it is told it may.
	fs.mkdirSync(KEPT_FILES_FOLDER, { recursive: true });
	const editor = await n8n.start({
		port: N8N_PORT,
		env: { N8N_RESTRICT_FILE_ACCESS_TO: KEPT_FILES_FOLDER },
	});
	process.stdout.write(
		`\nn8n ${n8n.version} editor: ${editor.url}  (Ctrl-C stops n8n and the sandbox)\n` +
			`  Robot triggers: send the robot a message with\n` +
			`  curl -X POST ${urls.apiBaseUrl}/_sandbox/robot/messages -H 'content-type: application/json' -d '{"type":"file"}'\n` +
			`  or, for the example that finds a file, ask for one in the team group with\n` +
			`  curl -X POST ${urls.apiBaseUrl}/_sandbox/robot/messages -H 'content-type: application/json' -d '{"type":"text","chat":"group","text":"file budget"}'\n`,
	);
	const stop = async () => {
		await editor.stop();
		await sandbox.stop();
		process.exit(0);
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
	editor.once('exit', async (code) => {
		await sandbox.stop();
		process.exit(code ?? 0);
	});
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exit(1);
});
