'use strict';
// Benchmark section "memory": how much the n8n process grows (peak RSS, read from /proc while it runs)
// when the node uploads a 20 MB file as media and downloads a 20 MB robot file, in n8n's in-memory
// ("default") and "filesystem" binary modes. Each workflow runs with and without the DingTalk node;
// the difference of the two peaks is what the node costs. Target: at most 2x the file size.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createSandbox } = require('../test/sandbox/server');
const { N8nInstance } = require('../test/e2e/n8n');
const W = require('../test/e2e/workflows');

const MiB = 1024 * 1024;
const FILE_BYTES = 20 * MiB;
const RUNS = 3;

/** Peak resident memory of a child process, sampled from /proc until it exits. */
function watchPeakRss(child) {
	let peak = 0;
	const read = () => {
		try {
			const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
			for (const field of ['VmRSS', 'VmHWM']) {
				const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
				peak = Math.max(peak, kb * 1024);
			}
		} catch {
			// the process has exited
		}
	};
	const timer = setInterval(read, 5);
	child.once('exit', () => clearInterval(timer));
	return () => peak;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function peakOf(n8n, workflowId, check) {
	const peaks = [];
	for (let run = 0; run < RUNS; run++) {
		let peak;
		const result = await n8n.execute(workflowId, {
			onSpawn: (child) => (peak = watchPeakRss(child)),
		});
		if (result.error) throw new Error(`${workflowId}: ${result.error.message}`);
		check?.(result);
		peaks.push(peak());
	}
	return median(peaks);
}

const readFile = (filePath) => ({
	name: 'Read File',
	type: 'n8n-nodes-base.readWriteFile',
	typeVersion: 1,
	parameters: { operation: 'read', fileSelector: filePath, options: {} },
});

async function measureMode(line, mode, files) {
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	const n8n = new N8nInstance({
		line,
		name: `bench-memory-${mode}-${process.pid}`,
		env: { N8N_DEFAULT_BINARY_DATA_MODE: mode, N8N_RESTRICT_FILE_ACCESS_TO: files.dir },
	});
	try {
		await n8n.setup();
		await n8n.importCredentials([W.sandboxCredential(urls)]);
		const downloadCode = sandbox.issueDownloadCode({ fileName: 'big.zip', bytes: files.bytes });
		const upload = W.dingTalk('DingTalk', {
			resource: 'media',
			operation: 'upload',
			binaryPropertyName: 'data',
			mediaType: 'auto',
		});
		const download = W.dingTalk('DingTalk', {
			resource: 'robotFile',
			operation: 'download',
			downloadCode,
			fileName: 'big.zip',
			downloadContent: true,
			maxFileSizeMb: 100,
		});
		await n8n.importWorkflow([
			W.chain('readOnly', 'read the file', [W.trigger(), readFile(files.path)]),
			W.chain('readUpload', 'read and upload', [W.trigger(), readFile(files.path), upload]),
			W.chain('nothing', 'trigger only', [W.trigger()]),
			W.chain('download', 'download', [W.trigger(), download]),
		]);
		const sha = crypto.createHash('sha256').update(files.bytes).digest('hex');
		await n8n.execute('nothing'); // a warm database before anything is measured
		let stored = '';
		const rows = [];
		const readOnly = await peakOf(n8n, 'readOnly');
		const withUpload = await peakOf(n8n, 'readUpload', () => {
			const uploaded = [...sandbox.media.values()].pop();
			if (uploaded?.sha256 !== sha) throw new Error('the uploaded bytes differ');
		});
		rows.push(['media upload', withUpload - readOnly]);
		const nothing = await peakOf(n8n, 'nothing');
		const withDownload = await peakOf(n8n, 'download', (result) => {
			const binary = result.lastNodeOutput[0]?.binary?.data;
			stored = binary?.id ? 'on disk' : 'in the item (base64)';
		});
		rows.push(['robot file download', withDownload - nothing]);
		return rows.map(([what, growth]) => ({ what, mode, growth, stored }));
	} finally {
		await sandbox.stop();
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}
}

async function run({ line }) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-bench-memory-'));
	// A zip DingTalk takes as "file" media: 20 MiB, the upload's limit.
	const bytes = Buffer.concat([
		Buffer.from([0x50, 0x4b, 0x03, 0x04]),
		crypto.randomBytes(FILE_BYTES - 4),
	]);
	const filePath = path.join(dir, 'big.zip');
	fs.writeFileSync(filePath, bytes);
	const results = [];
	try {
		for (const mode of ['default', 'filesystem']) {
			results.push(...(await measureMode(line, mode, { dir, path: filePath, bytes })));
		}
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
	const mb = (value) => (value / MiB).toFixed(1);
	return [
		`n8n line ${line}; a ${mb(FILE_BYTES)} MiB file; peak RSS of the n8n process with the node minus without it, median of ${RUNS} runs`,
		'',
		'| operation | binary mode | downloaded file kept | peak RSS growth | x file size | target |',
		'|---|---|---|---|---|---|',
		...results.map(
			(row) =>
				`| ${row.what} | ${row.mode} | ${row.stored} | ${mb(row.growth)} MiB | ${(row.growth / FILE_BYTES).toFixed(2)} | <= 2.00 |`,
		),
	];
}

module.exports = { run };
