'use strict';
// Benchmark section "throughput": look-ups, uploads and downloads through the node in a real n8n
// against the DingTalk sandbox. Each figure comes from one `n8n execute` of a workflow (process start
// included) and the sandbox's request log.
const crypto = require('node:crypto');
const fs = require('node:fs');
const { createSandbox, PATHS, peakPerSecond } = require('../test/sandbox/server');
const { N8nInstance } = require('../test/e2e/n8n');
const W = require('../test/e2e/workflows');

const MiB = 1024 * 1024;
const spaceGet = W.groupSpaceLookup();

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

async function run({ line }) {
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	const n8n = new N8nInstance({ line, name: `bench-${process.pid}` });
	const rows = [];
	try {
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
		rows.push(['media upload, 10 MiB', await measure(n8n, sandbox, 'upload10', PATHS.mediaUpload)]);
		const uploaded = [...sandbox.media.values()].pop();
		if (uploaded.sha256 !== crypto.createHash('sha256').update(bigZip).digest('hex'))
			throw new Error('upload bytes differ');
		rows.push([
			'robot file download, 10 MiB',
			await measure(n8n, sandbox, 'download10', PATHS.robotDownload),
		]);
	} finally {
		await sandbox.stop();
		fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}

	const lines = [
		`n8n ${n8n.version}, Node ${line === 2 ? '24' : process.versions.node.split('.')[0]}, ${new Date().toISOString().slice(0, 10)}`,
		'',
		'| scenario | items | node time | items/s | token fetches | calls | refused | peak calls in 1 s |',
		'|---|---|---|---|---|---|---|---|',
		...rows.map(
			([name, r]) =>
				`| ${name} | ${r.items} | ${r.nodeMs} ms | ${Math.round((r.items / r.nodeMs) * 1000)} | ${r.tokenFetches} | ${r.calls} | ${r.refused} | ${r.peakPerSecond} |`,
		),
	];
	return lines;
}

module.exports = { run };
