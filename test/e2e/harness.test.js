'use strict';
// Smoke test of the end-to-end harness (test/e2e/n8n.js): n8n's built-in nodes only, in every n8n line
// installed here. Proves binary data from base64, SHA256 of a binary property, calls to a local HTTP
// server, "Continue On Fail" items, a failed execution's parsed output, the community-package install,
// and that a served n8n (serve(): the REST run the suites use) reports every run as `n8n execute` does.
// Run: npx jest --selectProjects e2e test/e2e/harness.test.js
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { N8nInstance, nodeType, PACKAGE_NAME } = require('./n8n');

// Jest 30 ignores testTimeout inside a project of jest.config.js (a global-only option): set it here.
jest.setTimeout(20 * 60 * 1000);

const LINES = (process.env.E2E_N8N_LINES || '2,1').split(',').map(Number);
// What each line says about our node when its required parameters are missing.
// 2.x names the node and its first required field (from our description); 1.x only says "issues".
const ISSUES_MESSAGE = {
	2: /^The 'Ours' node has issues:\n- Parameter "Receiver Union ID" is required\./,
	1: /^The workflow has issues and cannot be executed for that reason\./,
};

const FILES = [
	Buffer.from('%PDF-1.4\n% first test file\n%%EOF\n'),
	Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(64), Buffer.from('\n%%EOF\n')]),
];
const sha256 = (buffer) => crypto.createHash('sha256').update(buffer).digest('hex');

/** A tiny HTTP server on 127.0.0.1 recording what it is asked. */
function startServer() {
	const requests = [];
	const server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			requests.push({ method: req.method, url: req.url, headers: req.headers, body });
			const ok = !req.url.startsWith('/fail');
			res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json' });
			res.end(
				JSON.stringify(
					ok ? { ok: true, path: req.url } : { errcode: 40078, errmsg: 'boom from stand-in' },
				),
			);
		});
	});
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () =>
			resolve({ server, requests, base: `http://127.0.0.1:${server.address().port}` }),
		);
	});
}

const chain = (...names) => {
	const connections = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return connections;
};

// The shared builders of the suite (Set 3.4 raw, Split Out 1, Crypto 1: the same in both lines).
const {
	trigger: makeTrigger,
	jsonItem: setRaw,
	splitOut,
	toFile,
	sha256Of,
} = require('./workflows');

const trigger = makeTrigger();
const httpGet = (name, url, extra = {}) => ({
	name,
	type: 'n8n-nodes-base.httpRequest',
	typeVersion: 4.2,
	parameters: {
		url,
		...(extra.credentials
			? { authentication: 'genericCredentialType', genericAuthType: 'httpHeaderAuth' }
			: {}),
		sendHeaders: true,
		headerParameters: { parameters: [{ name: 'X-E2E', value: 'harness' }] },
		options: {},
	},
	...extra,
});

function workflows(base, line) {
	return {
		binary: {
			id: `smokeBinary${line}`,
			name: 'smoke: binary from base64 + SHA256',
			nodes: [
				trigger,
				setRaw('Files', {
					files: FILES.map((b, i) => ({
						index: i,
						b64: b.toString('base64'),
						fileName: 'hello.pdf',
						mimeType: 'application/pdf',
					})),
				}),
				splitOut('Split', 'files'),
				toFile('Convert to File'),
				sha256Of('Hash'),
			],
			connections: chain('Start', 'Files', 'Split', 'Convert to File', 'Hash'),
		},
		http: {
			id: `smokeHttp${line}`,
			name: 'smoke: local HTTP',
			nodes: [
				trigger,
				// With an imported credential (Header Auth): proves importCredentials() stores data n8n decrypts.
				httpGet('HTTP', `${base}/hello?line=${line}`, {
					credentials: { httpHeaderAuth: { id: 'smokeHeaderAuth', name: 'Smoke header auth' } },
				}),
			],
			connections: chain('Start', 'HTTP'),
		},
		continueOnFail: {
			id: `smokeContinue${line}`,
			name: 'smoke: continue on fail',
			nodes: [
				trigger,
				setRaw('Paths', { paths: ['ok', 'fail'] }),
				splitOut('Split', 'paths'),
				// The current setting, as the editor writes it...
				httpGet('Modern', `=${base}/{{ $json.paths }}?node=modern`, {
					onError: 'continueRegularOutput',
				}),
				// ...and the legacy flag. Item 0 succeeded above ({ ok: true }), item 1 carries json.error.
				httpGet('Legacy', `=${base}/{{ $json.ok ? 'ok' : 'fail' }}?node=legacy`, {
					continueOnFail: true,
				}),
			],
			connections: chain('Start', 'Paths', 'Split', 'Modern', 'Legacy'),
		},
		ourNode: {
			id: `smokeOurNode${line}`,
			name: 'smoke: our node, no parameters',
			nodes: [trigger, { name: 'Ours', type: nodeType('dingTalk'), typeVersion: 1 }],
			connections: chain('Start', 'Ours'),
		},
		failure: {
			id: `smokeFailure${line}`,
			name: 'smoke: failed execution',
			nodes: [trigger, httpGet('Broken', `${base}/fail?node=broken`)],
			connections: chain('Start', 'Broken'),
		},
	};
}

describe.each(LINES)('n8n line %i harness', (line) => {
	let n8n;
	let local;
	let wf;
	const report = {};
	const cliRuns = {}; // what `n8n execute` gave, per workflow key, compared with the served runs at the end

	beforeAll(async () => {
		local = await startServer();
		wf = workflows(local.base, line);
		n8n = new N8nInstance({ line, name: `harness-${process.pid}` });
		await n8n.setup();
		let t = Date.now();
		await n8n.importCredentials([
			{
				id: 'smokeHeaderAuth',
				name: 'Smoke header auth',
				type: 'httpHeaderAuth',
				data: { name: 'X-Secret', value: 'sekret' },
			},
		]); // first n8n process: cold DB, migrations
		report.firstImportMs = Date.now() - t;
		t = Date.now();
		await n8n.importWorkflow(Object.values(wf));
		report.workflowImportMs = Date.now() - t;
		t = Date.now();
		report.binaryRun = cliRuns.binary = await n8n.execute(wf.binary.id);
		report.firstExecuteMs = Date.now() - t;
	});

	afterAll(async () => {
		await n8n?.stopServing();
		if (local) {
			local.server.closeAllConnections();
			await new Promise((resolve) => local.server.close(resolve));
		}
		process.stderr.write(
			`[harness report] n8n ${n8n && n8n.version}: ${JSON.stringify(n8n && n8n.timings)} first import (credentials, cold DB) ${report.firstImportMs} ms, workflow import ${report.workflowImportMs} ms, first execute ${report.firstExecuteMs} ms\n`,
		);
	});

	test('the package is installed as n8n installs a community package', () => {
		const pkgJson = JSON.parse(fs.readFileSync(path.join(n8n.packageDir, 'package.json'), 'utf8'));
		expect(n8n.packageDir).toBe(
			path.join(n8n.userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME),
		);
		expect(pkgJson.name).toBe(PACKAGE_NAME);
		expect(pkgJson.devDependencies).toBeUndefined();
		expect(pkgJson.peerDependencies).toBeUndefined();
		expect(pkgJson.optionalDependencies).toBeUndefined();
		for (const file of pkgJson.n8n.nodes)
			expect(fs.existsSync(path.join(n8n.packageDir, file))).toBe(true);
		expect(nodeType('dingTalk')).toBe('n8n-nodes-dingtalk-files.dingTalk');
	});

	test('n8n knows our node as n8n-nodes-dingtalk-files.dingTalk', async () => {
		const result = (cliRuns.ourNode = await n8n.execute(wf.ourNode.id));
		process.stderr.write(
			`[harness report] n8n ${n8n.version} our node, no parameters: ${JSON.stringify(result.error && { ...result.error, raw: undefined, description: undefined })}\n`,
		);
		// Without its required parameters the workflow "has issues": n8n read our node's description.
		expect(result.error.message).toMatch(ISSUES_MESSAGE[line]);
		expect(result.error.message).not.toMatch(/Unrecognized node type/);
	});

	test('binary from base64, SHA256 of a binary property', () => {
		const result = report.binaryRun;
		expect(result.error).toBeNull();
		expect(result.lastNodeExecuted).toBe('Hash');
		expect(result.lastNodeOutput.map((item) => item.json.sha256)).toEqual(FILES.map(sha256));
		expect(result.lastNodeOutput.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
		]);
		const files = result.runData['Convert to File'][0].data.main[0];
		expect(files).toHaveLength(2);
		files.forEach((item, i) => {
			expect(item.binary.data).toMatchObject({
				fileName: 'hello.pdf',
				mimeType: 'application/pdf',
				fileExtension: 'pdf',
			});
			// 2.x keeps the bytes on disk ('filesystem-v2' + id), 1.x inline as base64.
			const stored =
				line === 2 ? item.binary.data.data : Buffer.from(item.binary.data.data, 'base64');
			expect(stored).toEqual(line === 2 ? 'filesystem-v2' : FILES[i]);
		});
	});

	test('HTTP Request reaches a local server on 127.0.0.1, with an imported credential', async () => {
		const before = local.requests.length;
		const result = (cliRuns.http = await n8n.execute(wf.http.id));
		expect(result.error).toBeNull();
		const seen = local.requests.slice(before);
		expect(seen).toHaveLength(1);
		expect(seen[0]).toMatchObject({ method: 'GET', url: `/hello?line=${line}` });
		expect(seen[0].headers['x-e2e']).toBe('harness');
		expect(seen[0].headers['x-secret']).toBe('sekret');
		expect(result.lastNodeOutput).toEqual([
			{ json: { ok: true, path: `/hello?line=${line}` }, pairedItem: { item: 0 } },
		]);
	});

	test('Continue On Fail: onError and the legacy continueOnFail both keep the failed item', async () => {
		const result = (cliRuns.continueOnFail = await n8n.execute(wf.continueOnFail.id));
		expect(result.error).toBeNull();
		for (const node of ['Modern', 'Legacy']) {
			const items = result.runData[node][0].data.main[0];
			expect(items).toHaveLength(2);
			expect(items[0]).toMatchObject({ json: { ok: true }, pairedItem: { item: 0 } });
			expect(items[1].pairedItem).toEqual({ item: 1 });
			expect(items[1].json.error).toBeDefined();
			expect(JSON.stringify(items[1].json.error)).toMatch(/500/);
			process.stderr.write(
				`[harness report] n8n ${n8n.version} ${node} error item: ${JSON.stringify(items[1])}\n`,
			);
		}
		expect(result.lastNodeOutput).toEqual(result.runData.Legacy[0].data.main[0]);
	});

	test('a failed execution still yields its run data and the error', async () => {
		const result = (cliRuns.failure = await n8n.execute(wf.failure.id));
		process.stderr.write(
			`[harness report] n8n ${n8n.version} failed execution error: ${JSON.stringify({ ...result.error, raw: undefined })}\n`,
		);
		// 1, or null with signal SIGSEGV: 2.41.1 sometimes crashes at exit after printing (see n8n.js).
		expect(result.exitCode === 1 || result.signal === 'SIGSEGV').toBe(true);
		// NodeApiError for a 500: a generic message, the HTTP code, the server's body in the description.
		expect(result.error).toMatchObject({ node: 'Broken', name: 'NodeApiError', httpCode: '500' });
		expect(result.error.message).toBe('The service was not able to process your request');
		expect(result.error.description).toContain('boom from stand-in');
		expect(result.lastNodeExecuted).toBe('Broken');
		expect(result.lastNodeOutput).toEqual([]);
		expect(result.runData.Broken[0].error).toBeDefined();
		expect(result.runData.Start[0].data.main[0]).toHaveLength(1);
	});
	// The suites run their workflows in one started n8n (serve(): the editor's REST run, manual mode):
	// it must report what `n8n execute` reports.
	test('a served n8n reports every run as n8n execute does: items, pairing, binary, errors', async () => {
		const seen = (run) => ({
			lastNodeExecuted: run.lastNodeExecuted,
			items: run.lastNodeOutput.map((item) => ({
				json: item.json.error ? { error: item.json.error.message } : item.json,
				pairedItem: item.pairedItem,
				binary: item.binary && Object.keys(item.binary),
			})),
			error: run.error && {
				message: run.error.message,
				node: run.error.node,
				name: run.error.name,
				httpCode: run.error.httpCode,
			},
		});
		expect(Object.keys(cliRuns).sort()).toEqual(Object.keys(wf).sort());
		await n8n.serve();
		for (const [key, cliRun] of Object.entries(cliRuns)) {
			const served = await n8n.execute(wf[key].id);
			expect({ key, mode: served.execution?.mode, ...seen(served) }).toEqual({
				key,
				mode: key === 'ourNode' && line === 1 ? undefined : 'manual',
				...seen(cliRun),
			});
		}
	});
});
