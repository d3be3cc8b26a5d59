'use strict';
// Benchmark section "memory": how much a running n8n (`n8n start`, as users run it) grows while the
// node uploads a 20 MB file as media, a 100 MB file into a group's storage (File > Upload) and
// downloads a 20 MB robot file, in n8n's in-memory ("default")
// and "filesystem" binary modes. Each workflow starts from a webhook and runs with and without the
// operation under test (an upload beside a look-up; a download beside fetching only its link); the
// growth of the process's resident memory during the run, one minus the other, is what the node's file
// handling costs. Successful executions are not saved, so n8n's own storage of the data is not counted.
// Target: at most 2x the file size.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createSandbox } = require('../test/sandbox/server');
const { N8nInstance, freePort, peakRssDuring } = require('../test/e2e/n8n');
const W = require('../test/e2e/workflows');

const MiB = 1024 * 1024;
const FILE_BYTES = 20 * MiB;
const BIG_FILE_BYTES = 100 * MiB;
const RUNS = 3;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls a webhook that answers when its workflow has finished; the process's RSS growth meanwhile. */
async function growthDuring(pid, url) {
	await wait(1500);
	const { before, peak, result } = await peakRssDuring(
		pid,
		async () => {
			const answer = await fetch(url, { method: 'POST' });
			const text = await answer.text();
			if (answer.status !== 200)
				throw new Error(`${url} answered ${answer.status}: ${text.slice(0, 300)}`);
			return JSON.parse(text);
		},
		{ everyMs: 5 },
	);
	return { growth: peak - before, answer: result };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const webhook = (pathName) => ({
	name: 'Webhook',
	type: 'n8n-nodes-base.webhook',
	typeVersion: 2,
	webhookId: crypto.randomUUID(),
	parameters: { httpMethod: 'POST', path: pathName, responseMode: 'lastNode', options: {} },
});

const readFile = (filePath) => ({
	name: 'Read File',
	type: 'n8n-nodes-base.readWriteFile',
	typeVersion: 1,
	parameters: { operation: 'read', fileSelector: filePath, options: {} },
});

async function measureMode(line, mode, file, bigFile) {
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	const n8n = new N8nInstance({
		line,
		name: `bench-memory-${mode}-${process.pid}`,
		env: {
			N8N_DEFAULT_BINARY_DATA_MODE: mode,
			N8N_RESTRICT_FILE_ACCESS_TO: file.dir,
			EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none',
		},
	});
	let editor;
	try {
		await n8n.setup();
		await n8n.importCredentials([W.sandboxCredential(urls)]);
		const downloadCode = sandbox.issueDownloadCode({ fileName: 'big.zip', bytes: file.bytes });
		const download = (content) =>
			W.dingTalk('DingTalk', {
				resource: 'robotFile',
				operation: 'download',
				downloadCode,
				fileName: 'big.zip',
				downloadContent: content,
				maxFileSizeMb: 100,
			});
		// The baseline beside reading a file: a call that handles no file.
		const lookup = () => W.dingTalk('DingTalk', W.groupSpaceLookup());
		const workflows = {
			'read-lookup': [readFile(file.path), lookup()],
			'read-upload': [
				readFile(file.path),
				W.dingTalk('DingTalk', {
					resource: 'media',
					operation: 'upload',
					binaryPropertyName: 'data',
					mediaType: 'auto',
				}),
			],
			'read-big-lookup': [readFile(bigFile.path), lookup()],
			'read-big-store': [
				readFile(bigFile.path),
				W.uploadToGroup('DingTalk', { options: { fileName: `big-${mode}.zip` } }),
			],
			'download-link': [download(false)],
			'download-file': [download(true)],
		};
		const list = Object.entries(workflows).map(([name, nodes]) =>
			W.chain(name, name, [webhook(name), ...nodes]),
		);
		await n8n.importWorkflow(list);
		for (const workflow of list) await n8n.publish(workflow.id);
		editor = await n8n.start({ port: await freePort(), stdio: 'ignore' });
		const url = (name) => `${editor.url}/webhook/${name}`;
		for (let attempt = 0; ; attempt++) {
			const answer = await fetch(url('read-lookup'), { method: 'POST' });
			if (answer.status === 200) break;
			if (attempt > 240) throw new Error('the webhooks were not registered');
			await wait(500);
		}
		const sha = crypto.createHash('sha256').update(file.bytes).digest('hex');
		const growths = {};
		for (const name of Object.keys(workflows)) {
			const runs = [];
			for (let run = 0; run < RUNS; run++) {
				const { growth, answer } = await growthDuring(editor.pid, url(name));
				if (name === 'read-upload' && [...sandbox.media.values()].pop()?.sha256 !== sha) {
					throw new Error('the uploaded bytes differ');
				}
				if (name === 'read-big-store' && answer.size !== BIG_FILE_BYTES) {
					throw new Error(`the upload gave ${JSON.stringify(answer)}`);
				}
				if (name === 'download-file' && answer.fileSize !== FILE_BYTES) {
					throw new Error(`the download gave ${JSON.stringify(answer)}`);
				}
				runs.push(growth);
			}
			growths[name] = median(runs);
		}
		return [
			{ what: 'Media > Upload', mode, growth: growths['read-upload'] - growths['read-lookup'] },
			{
				what: 'File > Upload',
				mode,
				bytes: BIG_FILE_BYTES,
				growth: growths['read-big-store'] - growths['read-big-lookup'],
			},
			{
				what: 'Robot File > Download',
				mode,
				growth: growths['download-file'] - growths['download-link'],
			},
		];
	} finally {
		if (editor) await editor.stop();
		await sandbox.stop();
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}
}

/** A zip DingTalk takes as "file" media, of random content. */
function writeZip(dir, name, size) {
	const bytes = Buffer.concat([
		Buffer.from([0x50, 0x4b, 0x03, 0x04]),
		crypto.randomBytes(size - 4),
	]);
	const filePath = path.join(dir, name);
	fs.writeFileSync(filePath, bytes);
	return { dir, path: filePath, bytes };
}

async function run({ line }) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-bench-memory-'));
	const results = [];
	try {
		// 20 MiB, the media upload's limit; 100 MiB for File > Upload.
		const file = writeZip(dir, 'big.zip', FILE_BYTES);
		const bigFile = writeZip(dir, 'bigger.zip', BIG_FILE_BYTES);
		for (const mode of ['default', 'filesystem']) {
			results.push(...(await measureMode(line, mode, file, bigFile)));
		}
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
	const mb = (value) => (value / MiB).toFixed(1);
	return [
		`n8n line ${line} (\`n8n start\`); growth of resident memory during the run, with the file handled minus without, median of ${RUNS} runs`,
		'',
		'| operation | file | binary mode | memory growth | x file size | target |',
		'|---|---|---|---|---|---|',
		...results.map((row) => {
			const bytes = row.bytes ?? FILE_BYTES;
			return `| ${row.what} | ${mb(bytes)} MiB | ${row.mode} | ${mb(row.growth)} MiB | ${(row.growth / bytes).toFixed(2)} | <= 2.00 |`;
		}),
	];
}

module.exports = { run };
