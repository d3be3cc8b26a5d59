#!/usr/bin/env node
'use strict';
// `npm run sandbox [-- --port N]`: runs the DingTalk sandbox until Ctrl-C.
// API host on port N (default 3900, or SANDBOX_PORT), legacy host on N+1, file host on N+2, Stream
// WebSocket gateway on N+3, upload host (signed PUTs into storage) on N+4.
const { createSandbox, DEMO } = require('./server');

function parseArgs(argv) {
	const args = { port: Number(process.env.SANDBOX_PORT || 3900), host: '127.0.0.1' };
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split('=', 2);
		const value = () => (inline !== undefined ? inline : argv[++i]);
		if (flag === '--port') args.port = Number(value());
		else if (flag === '--host') args.host = value();
		else if (flag === '--help' || flag === '-h') args.help = true;
		else throw new Error(`unknown argument ${argv[i]}`);
	}
	if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65531)
		throw new Error('--port must be an integer between 1 and 65531');
	return args;
}

function describe(urls) {
	const row = (label, value) => `  ${label.padEnd(22)} ${value}`;
	return [
		'DingTalk sandbox is running (Ctrl-C to stop)',
		'',
		row('new API base URL', urls.apiBaseUrl),
		row('legacy API base URL', urls.legacyBaseUrl),
		row('file host', urls.fileBaseUrl),
		row('Stream gateway', `${urls.streamBaseUrl} (WebSocket; connections/open hands it out)`),
		row('upload host', urls.uploadBaseUrl),
		row('control API', `${urls.apiBaseUrl}/_sandbox/requests (see test/sandbox/README.md)`),
		'',
		'Demo credentials (public sandbox values):',
		row('corpId', DEMO.corpId),
		row('appKey / robotCode', DEMO.app.appKey),
		row('appSecret', DEMO.app.appSecret),
		row('other corp appKey', `${DEMO.otherCorpApp.appKey} (${DEMO.otherCorpApp.corpId})`),
		row('other corp appSecret', DEMO.otherCorpApp.appSecret),
		row('suiteKey', DEMO.suite.suiteKey),
		row('suiteSecret', DEMO.suite.suiteSecret),
		row('suiteTicket', DEMO.suite.suiteTicket),
		row('authCorpId', DEMO.suite.authCorpId),
		'',
		'Demo data:',
		row('users (unionId)', `alice ${DEMO.users.alice}, bob ${DEMO.users.bob} (group members)`),
		row(
			'',
			`carol ${DEMO.users.carol} (not a member), outsider ${DEMO.users.outsider} (other corp)`,
		),
		row('group', `${DEMO.group.openConversationId}  space ${DEMO.group.space.spaceId}`),
		row('other corp group', DEMO.otherCorpGroup.openConversationId),
		row('dentries', Object.values(DEMO.dentries).slice(0, 4).join(', ')),
		row('', `a tree of folders and files (${Object.values(DEMO.tree.folders).join(', ')})`),
		row(
			'directory',
			`${DEMO.directory.filter((p) => p.corpId === DEMO.corpId).length} people, e.g. userid manager4220 (Alice)`,
		),
		row('robot groups', `${DEMO.robotGroups.length} (${DEMO.chats.length} chats in all)`),
		row('download codes', Object.values(DEMO.downloadCodes).join(', ')),
	].join('\n');
}

async function main() {
	let args;
	try {
		args = parseArgs(process.argv.slice(2));
	} catch (err) {
		console.error(err.message);
		process.exitCode = 2;
		return;
	}
	if (args.help) {
		console.log(
			'usage: node test/sandbox/cli.js [--port N] [--host H]   (env SANDBOX_PORT also sets the port)',
		);
		return;
	}
	const sandbox = createSandbox({ host: args.host });
	const urls = await sandbox.start({
		apiPort: args.port,
		legacyPort: args.port + 1,
		filePort: args.port + 2,
		streamPort: args.port + 3,
		uploadPort: args.port + 4,
	});
	console.log(describe(urls));
	let stopping = false;
	const shutdown = async () => {
		if (stopping) return;
		stopping = true;
		await sandbox.stop();
		console.log('\nsandbox stopped');
		// exit even if some stray handle is still open
		setTimeout(() => process.exit(0), 1000).unref();
	};
	process.on('SIGINT', shutdown);
	process.on('SIGTERM', shutdown);
}

main().catch((err) => {
	console.error(`sandbox failed to start: ${err.message}`);
	process.exitCode = 1;
});
