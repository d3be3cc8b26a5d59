'use strict';
// npm run bench: measures the package inside a real n8n against the DingTalk sandbox and prints the
// figures. Each figure comes from one `n8n execute` of a workflow (process start included) and the
// sandbox's request log; run it on an idle machine. BENCH_N8N_LINE=1 measures n8n 1.x instead.
// The last section is memory: the peak resident memory of the n8n process while File > Upload stores a
// 100 MiB file, against the same workflow without the upload (and Media > Upload of 20 MiB, whose body
// is built in memory, for contrast). `npm run bench -- --memory` runs only that section.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { createSandbox, DEMO, PATHS, peakPerSecond } = require('../test/sandbox/server');
const { N8nInstance } = require('../test/e2e/n8n');
const W = require('../test/e2e/workflows');

const MiB = 1024 * 1024;
const spaceGet = {
	resource: 'groupSpace',
	operation: 'get',
	openConversationId: DEMO.group.openConversationId,
	operatorUnionId: DEMO.users.alice,
};

function lookups(id, count, credentialId) {
	return W.chain(id, `${count} look-ups`, [
		W.trigger(),
		...W.itemsOf(Array.from({ length: count }, (_, i) => ({ i }))),
		W.dingTalk('DingTalk', spaceGet, { credentialId }),
	]);
}

/** Runs one workflow and reads the node's own run time and the sandbox's view of it. */
async function measure(n8n, sandbox, id, path) {
	sandbox.clearLog();
	const result = await n8n.execute(id);
	if (result.error) throw new Error(`${id}: ${result.error.message}`);
	const run = result.runData.DingTalk[0];
	const calls = sandbox.requests.filter((entry) => entry.path === path);
	return {
		items: result.lastNodeOutput.length,
		nodeMs: run.executionTime,
		processMs: result.durationMs,
		tokenFetches: sandbox.tokenFetches(),
		calls: calls.length,
		refused: calls.filter((entry) => entry.status !== 200 || (entry.errcode ?? 0) !== 0).length,
		peakPerSecond: peakPerSecond(calls),
	};
}

/** The resident memory of a process, in bytes (Linux), or undefined once it is gone. */
function rssOf(pid) {
	try {
		const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
		return match ? Number(match[1]) * 1024 : undefined;
	} catch {
		return undefined;
	}
}

/** Runs a workflow and samples the n8n process's resident memory every 20 ms: its peak. */
async function peakRss(n8n, id) {
	let peak = 0;
	let timer;
	const result = await n8n.execute(id, {
		onSpawn: (child) => {
			timer = setInterval(() => (peak = Math.max(peak, rssOf(child.pid) ?? 0)), 20);
		},
	});
	clearInterval(timer);
	if (result.error) throw new Error(`${id}: ${result.error.message}`);
	return { peak, result };
}

/** Writes `size` random bytes to `file` a MiB at a time; returns their SHA-256. */
function writeRandomFile(file, size) {
	const hash = crypto.createHash('sha256');
	const out = fs.openSync(file, 'w');
	for (let written = 0; written < size; written += MiB) {
		const chunk = crypto.randomBytes(Math.min(MiB, size - written));
		hash.update(chunk);
		fs.writeSync(out, chunk);
	}
	fs.closeSync(out);
	return hash.digest('hex');
}

/**
 * Memory: a file read from disk by n8n's Read/Write Files node, then given to the DingTalk node, in an
 * n8n of its own that keeps binary data on disk (2.x always does; 1.x is told to). Each workflow runs
 * twice, keeping the lower peak (the first run of a process can include one-off work), against the same
 * workflow without the DingTalk node. File > Upload streams the file from n8n's binary store to the
 * signed PUT; Media > Upload, shown for contrast, builds its multipart body in memory.
 */
async function memoryOfUploads(line, sandbox, urls) {
	const n8n = new N8nInstance({ line, name: `bench-memory-${process.pid}` });
	const folder = path.join(n8n.userFolder, 'files');
	Object.assign(n8n.extraEnv, {
		N8N_RESTRICT_FILE_ACCESS_TO: folder,
		N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
	});
	const scenarios = [
		{
			name: 'File > Upload',
			file: 'archive.zip',
			size: 100 * MiB,
			node: W.uploadToGroup('DingTalk'),
			stored: () => sandbox.commits[sandbox.commits.length - 1],
		},
		{
			name: 'Media > Upload (for contrast)',
			file: 'media.zip',
			size: 20 * MiB,
			node: W.dingTalk('DingTalk', {
				resource: 'media',
				operation: 'upload',
				binaryPropertyName: 'data',
				mediaType: 'auto',
			}),
			stored: () => [...sandbox.media.values()].pop(),
		},
	];
	try {
		await n8n.setup();
		fs.mkdirSync(folder, { recursive: true });
		await n8n.importCredentials([W.sandboxCredential(urls)]);
		const workflows = [];
		for (const [index, scenario] of scenarios.entries()) {
			scenario.path = path.join(folder, scenario.file);
			scenario.sha256 = writeRandomFile(scenario.path, scenario.size);
			const read = {
				name: 'Read File',
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1,
				parameters: { operation: 'read', fileSelector: scenario.path, options: {} },
			};
			scenario.ids = { read: `read${index}`, upload: `upload${index}` };
			workflows.push(
				W.chain(scenario.ids.read, `read ${scenario.file}`, [W.trigger(), read]),
				W.chain(scenario.ids.upload, `read and upload ${scenario.file}`, [
					W.trigger(),
					read,
					scenario.node,
				]),
			);
		}
		await n8n.importWorkflow(workflows);
		const lowest = async (id, check) => {
			const runs = [];
			for (let i = 0; i < 2; i++) {
				runs.push(await peakRss(n8n, id));
				if (check) check();
			}
			return {
				peak: Math.min(...runs.map((run) => run.peak)),
				nodeMs: Math.min(...runs.map((run) => run.result.runData.DingTalk?.[0].executionTime)),
			};
		};
		const rows = [];
		for (const scenario of scenarios) {
			const baseline = await lowest(scenario.ids.read);
			const upload = await lowest(scenario.ids.upload, () => {
				const stored = scenario.stored();
				if (stored.size !== scenario.size || stored.sha256 !== scenario.sha256)
					throw new Error(`${scenario.name}: DingTalk stored other bytes`);
			});
			rows.push({
				name: scenario.name,
				size: scenario.size,
				baseline: baseline.peak,
				upload: upload.peak,
				nodeMs: upload.nodeMs,
			});
		}
		return { version: n8n.version, rows };
	} finally {
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}
}

async function main() {
	const line = Number(process.env.BENCH_N8N_LINE || 2);
	// `npm run bench -- --memory` runs only the memory section.
	const memoryOnly = process.argv.includes('--memory');
	let memory;
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	const n8n = new N8nInstance({ line, name: `bench-${process.pid}` });
	const rows = [];
	try {
		if (!memoryOnly) {
			await n8n.setup();
			await n8n.importCredentials([
				W.sandboxCredential(urls),
				W.sandboxCredential(urls, { id: 'coldApp' }),
			]);
			const big = crypto.randomBytes(10 * MiB);
			// A 10 MiB "zip" (DingTalk checks the extension, the sandbox the size and type rules).
			const bigZip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), big.subarray(4)]);
			const bigCode = sandbox.issueDownloadCode({ fileName: 'archive.zip', bytes: bigZip });
			await n8n.importWorkflow([
				lookups('cold50', 50, 'coldApp'),
				lookups('warm50', 50),
				lookups('warm200', 200),
				W.chain('upload10', 'upload 10 MiB', [
					W.trigger(),
					W.jsonItem('File', {
						b64: bigZip.toString('base64'),
						fileName: 'archive.zip',
						mimeType: 'application/zip',
					}),
					W.toFile(),
					W.dingTalk('DingTalk', {
						resource: 'media',
						operation: 'upload',
						binaryPropertyName: 'data',
						mediaType: 'auto',
					}),
				]),
				W.chain('download10', 'download 10 MiB', [
					W.trigger(),
					W.dingTalk('DingTalk', {
						resource: 'robotFile',
						operation: 'download',
						downloadCode: bigCode,
						fileName: 'archive.zip',
					}),
					W.sha256Of('Hash'),
				]),
			]);
			const space = PATHS.spaceQuery;
			rows.push([
				'50 look-ups, no stored token (cold)',
				await measure(n8n, sandbox, 'cold50', space),
			]);
			await measure(n8n, sandbox, 'warm50', space); // stores the main credential's token
			rows.push(['50 look-ups, stored token (warm)', await measure(n8n, sandbox, 'warm50', space)]);
			rows.push(['200 look-ups, no server limit', await measure(n8n, sandbox, 'warm200', space)]);
			sandbox.setRateLimit({ enabled: true, perSecond: 20 });
			rows.push(['200 look-ups, server limit 20/s', await measure(n8n, sandbox, 'warm200', space)]);
			sandbox.setRateLimit({ enabled: true, perSecond: 10 });
			rows.push([
				'200 look-ups, server limit 10/s (retries)',
				await measure(n8n, sandbox, 'warm200', space),
			]);
			sandbox.setRateLimit({ enabled: false });
			rows.push([
				'media upload, 10 MiB',
				await measure(n8n, sandbox, 'upload10', PATHS.mediaUpload),
			]);
			const uploaded = [...sandbox.media.values()].pop();
			if (uploaded.sha256 !== crypto.createHash('sha256').update(bigZip).digest('hex'))
				throw new Error('upload bytes differ');
			rows.push([
				'robot file download, 10 MiB',
				await measure(n8n, sandbox, 'download10', PATHS.robotDownload),
			]);
		}
		memory = await memoryOfUploads(line, sandbox, urls);
	} finally {
		await sandbox.stop();
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}

	const mb = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
	const lines = [
		`n8n ${n8n.version ?? memory.version}, Node ${line === 2 ? '24' : process.versions.node.split('.')[0]}, ${new Date().toISOString().slice(0, 10)}`,
		...(rows.length
			? [
					'',
					'| scenario | items | node time | items/s | token fetches | calls | refused | peak calls in 1 s |',
					'|---|---|---|---|---|---|---|---|',
					...rows.map(
						([name, r]) =>
							`| ${name} | ${r.items} | ${r.nodeMs} ms | ${Math.round((r.items / r.nodeMs) * 1000)} | ${r.tokenFetches} | ${r.calls} | ${r.refused} | ${r.peakPerSecond} |`,
					),
				]
			: []),
		'',
		'| memory: file read from disk, then | file | peak RSS, read only | peak RSS, read and upload | growth | node time |',
		'|---|---|---|---|---|---|',
		...memory.rows.map(
			(r) =>
				`| ${r.name} | ${mb(r.size)} | ${mb(r.baseline)} | ${mb(r.upload)} | **${mb(r.upload - r.baseline)}** | ${r.nodeMs} ms |`,
		),
	];
	process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exitCode = 1;
});
