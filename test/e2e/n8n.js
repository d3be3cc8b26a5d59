'use strict';
/*
 * Runs the packed package inside a REAL n8n process (end-to-end tests, `npm run dev`, `npm run demo`).
 *
 * Facts measured on this machine (Node 20, 2 cores), n8n 2.41.1 on Node 24 and 1.123.81 on Node 20:
 *
 * Package placement: the tarball from `npm pack` is unpacked into
 *   <userFolder>/.n8n/nodes/node_modules/<package>, devDependencies/peerDependencies/optionalDependencies
 *   are stripped and `npm install --ignore-scripts` runs there: exactly n8n's own community-package
 *   install (n8n 2.41.1 CommunityPackagesService.downloadPackage). Nodes then register as
 *   `<package>.<nodeName>`; n8n scans that folder at start (2.x: CommunityPackagesModule.nodeLoaders).
 *
 * Environment of every n8n process (see n8nEnv below):
 *   - every inherited N8N_*, DB_*, NODE_ENV, E2E_TESTS variable is removed first. Under jest NODE_ENV is
 *     "test", and n8n then refuses to load nodes ("Not available in tests") and silences its logger.
 *   - N8N_USER_FOLDER (private folder), N8N_ENCRYPTION_KEY (fixed, so imported credentials decrypt),
 *     DB_TYPE=sqlite.
 *   - N8N_RUNNERS_BROKER_PORT: a free port picked per process. 2.41.1 starts its task broker (default
 *     5679) for every `execute`/`start` even with runners "disabled"; two processes on one port -> the
 *     second exits. (2.41.1 also launches an internal JS task runner and warns that the Python runner is
 *     missing: harmless.)
 *   - N8N_EXPRESSION_ENGINE=legacy for line 1 only: 1.123.81's default `vm` engine needs isolated-vm 6.2,
 *     which has no build for Node 20; every execution would stop with "Could not initialize the vm
 *     expression engine".
 *   - N8N_LOG_LEVEL=info, not warn: on a FAILED execution `n8n execute` prints the execution data
 *     (run data of every node) only through logger.info; at warn it would be lost. The JSON is
 *     still easy to find (see parseExecuteOutput).
 *   - N8N_SSRF_PROTECTION_ENABLED=false: 2.41.1 has SSRF protection (N8N_SSRF_PROTECTION_ENABLED,
 *     N8N_SSRF_BLOCKED_IP_RANGES default incl. 127.0.0.0/8 and ::1, N8N_SSRF_ALLOWED_IP_RANGES,
 *     N8N_SSRF_ALLOWED_HOSTNAMES, N8N_SSRF_BLOCKED_HOSTNAMES) but it is OFF by default
 *     (@n8n/config SsrfProtectionConfig.enabled = false); we set it off explicitly so an environment
 *     that turns it on cannot break the local DingTalk stand-in. 1.123.81 has no such setting.
 *     NO_PROXY also gets 127.0.0.1,localhost (2.x installs proxy agents from HTTP(S)_PROXY).
 *   - diagnostics, version notifications, templates, personalization off; community packages on.
 *
 * `n8n execute --id=X --rawOutput` output (identical code in both lines):
 *   - success: log lines (task broker, license SDK, ... and, on a cold DB, "Migrations ..." lines), then
 *     JSON.stringify(run, null, 2) of the IRun: { data: { resultData: { runData, lastNodeExecuted,
 *     error? }, executionData, ... }, mode: 'cli', status, finished, startedAt, stoppedAt, ... }.
 *   - failure (resultData.error set): logger.info prints "Execution was NOT successful..." and the SAME
 *     pretty JSON, then the error is logged via logger.error and the process exits with code 1.
 *   The pretty JSON is the only text starting with a line "{" and ending with a line "}"; we take the
 *   last such block that parses and has data.resultData.
 *   Binary data: 2.41.1 keeps it on disk ({ data: 'filesystem-v2', id, fileName, mimeType, fileSize,
 *   ...}), 1.123.81 inline (data = base64 string).
 *
 * Timings (see REPORT in the smoke test output; import = one `import:workflow` process):
 *   2.41.1: first import (cold DB, migrations) ~7.5 s, later imports ~2.5 s, execute ~3.5 s.
 *   1.123.81: see the smoke test log.
 */
const { spawn, execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const E2E_DIR = path.join(ROOT, '.e2e');
const PACKAGE_NAME = require(path.join(ROOT, 'package.json')).name;
const ENCRYPTION_KEY = 'n8n-nodes-dingtalk-files-e2e-key';

/** The type name n8n gives a node of our package installed as a community package. */
function nodeType(nodeName) {
	return `${PACKAGE_NAME}.${nodeName}`;
}

/** Credential type names are not prefixed by n8n. */
function credentialType(name = 'dingTalkApi') {
	return name;
}

function log(message) {
	process.stderr.write(`[e2e n8n] ${message}\n`);
}

function execFileAsync(cmd, args, options = {}) {
	return new Promise((resolve, reject) => {
		execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
			if (error) {
				error.message += `\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`;
				reject(error);
			} else resolve({ stdout, stderr });
		});
	});
}

/** A port nobody listens on right now. */
function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

let packPromise;
/**
 * `npm pack` of the repository (once per process). The caller must have built dist/.
 * @returns {Promise<string>} absolute path of the tarball (under .e2e/)
 */
function packPackage() {
	if (!packPromise) {
		packPromise = (async () => {
			if (!fs.existsSync(path.join(ROOT, 'dist'))) {
				throw new Error(`${path.join(ROOT, 'dist')} is missing: run \`npm run build\` before the end-to-end tests`);
			}
			fs.mkdirSync(E2E_DIR, { recursive: true });
			const { stdout } = await execFileAsync('npm', ['pack', '--json', '--pack-destination', E2E_DIR], { cwd: ROOT });
			const info = JSON.parse(stdout.slice(stdout.indexOf('[')));
			const tarball = path.join(E2E_DIR, info[0].filename);
			if (!fs.existsSync(tarball)) throw new Error(`npm pack did not produce ${tarball}`);
			return tarball;
		})();
		packPromise.catch(() => {
			packPromise = undefined;
		});
	}
	return packPromise;
}

const STRIPPED_ENV = /^(N8N_|DB_|NODE_ENV$|E2E_TESTS$|EXECUTIONS_|QUEUE_|GENERIC_TIMEZONE$)/;

/**
 * Parses what `n8n execute --rawOutput` printed: the last block from a line "{" to a line "}" that is
 * an execution (has data.resultData). Returns the IRun object or undefined.
 */
function parseExecuteOutput(stdout) {
	const lines = stdout.split(/\r?\n/);
	for (let start = lines.length - 1; start >= 0; start--) {
		if (lines[start] !== '{') continue;
		for (let end = start + 1; end < lines.length; end++) {
			if (lines[end] !== '}') continue;
			try {
				const parsed = JSON.parse(lines.slice(start, end + 1).join('\n'));
				if (parsed && parsed.data && parsed.data.resultData) return parsed;
			} catch {
				// a "}" line inside something else: keep looking
			}
		}
	}
	return undefined;
}

function summarizeError(error) {
	if (!error) return null;
	return {
		message: error.message,
		description: error.description,
		name: error.name,
		node: error.node && error.node.name,
		httpCode: error.httpCode,
		raw: error,
	};
}

class N8nInstance {
	/**
	 * @param {{ line?: 1|2, name?: string, env?: Record<string,string>, installPackage?: boolean }} options
	 */
	constructor({ line = 2, name = 'e2e', env = {}, installPackage = true } = {}) {
		this.line = Number(line);
		this.name = name;
		this.extraEnv = env;
		this.installPackageOnSetup = installPackage;
		this.userFolder = path.join(E2E_DIR, `${name}-n8n${this.line}`);
		this.packageDir = path.join(this.userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
		this.runtime = undefined;
		this.timings = [];
		this.seq = 0;
	}

	get version() {
		return this.runtime && this.runtime.version;
	}

	/** Installs n8n (once per machine), makes a fresh user folder and installs the packed package. */
	async setup() {
		const { ensureN8n } = require(path.join(ROOT, 'scripts', 'n8n-runtime.js'));
		this.runtime = ensureN8n(this.line);
		fs.rmSync(this.userFolder, { recursive: true, force: true });
		fs.mkdirSync(path.join(this.userFolder, 'tmp'), { recursive: true });
		if (this.installPackageOnSetup) await this.installPackage(await packPackage());
		return this;
	}

	/** Installs a package tarball the way n8n installs a community package. */
	async installPackage(tarball) {
		const started = Date.now();
		const nodesDir = path.join(this.userFolder, '.n8n', 'nodes');
		fs.rmSync(this.packageDir, { recursive: true, force: true });
		fs.mkdirSync(this.packageDir, { recursive: true });
		await execFileAsync('tar', ['-xzf', tarball, '-C', this.packageDir, '--strip-components=1']);
		const packageJsonPath = path.join(this.packageDir, 'package.json');
		 
		const { devDependencies, peerDependencies, optionalDependencies, ...packageJson } = JSON.parse(
			fs.readFileSync(packageJsonPath, 'utf8'),
		);
		fs.writeFileSync(packageJsonPath, JSON.stringify(packageJson, null, 2), 'utf8');
		await execFileAsync(
			'npm',
			[
				'install',
				'--audit=false',
				'--fund=false',
				'--bin-links=false',
				'--install-strategy=shallow',
				'--ignore-scripts=true',
				'--package-lock=false',
			],
			{ cwd: this.packageDir },
		);
		// n8n records installed packages in <nodes>/package.json as well.
		const nodesPackageJson = path.join(nodesDir, 'package.json');
		const manifest = fs.existsSync(nodesPackageJson)
			? JSON.parse(fs.readFileSync(nodesPackageJson, 'utf8'))
			: { name: 'installed-nodes', private: true, dependencies: {} };
		manifest.dependencies = { ...(manifest.dependencies || {}), [packageJson.name]: packageJson.version };
		fs.writeFileSync(nodesPackageJson, JSON.stringify(manifest, null, 2));
		this.timings.push({ step: 'installPackage', ms: Date.now() - started });
		return this.packageDir;
	}

	/** Environment of every n8n process of this instance. */
	async n8nEnv(extra = {}) {
		if (!this.runtime) throw new Error('call setup() first');
		const env = {};
		for (const [key, value] of Object.entries(this.runtime.env)) {
			if (!STRIPPED_ENV.test(key)) env[key] = value;
		}
		const noProxy = [env.NO_PROXY || env.no_proxy, '127.0.0.1,localhost,::1'].filter(Boolean).join(',');
		Object.assign(env, {
			NO_PROXY: noProxy,
			no_proxy: noProxy,
			N8N_USER_FOLDER: this.userFolder,
			N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
			DB_TYPE: 'sqlite',
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_OUTPUT: 'console',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
			N8N_SSRF_PROTECTION_ENABLED: 'false',
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		});
		if (this.line === 1) env.N8N_EXPRESSION_ENGINE = 'legacy';
		return { ...env, ...this.extraEnv, ...extra };
	}

	/** Runs one n8n CLI command to its end. */
	async cli(args, { timeoutMs = 5 * 60 * 1000 } = {}) {
		const env = await this.n8nEnv();
		const started = Date.now();
		return await new Promise((resolve, reject) => {
			const child = spawn(this.runtime.nodeBin, [this.runtime.n8nBin, ...args], {
				cwd: this.userFolder,
				env,
				stdio: ['ignore', 'pipe', 'pipe'],
				detached: true, // own process group: a timeout kills the task runner children too
			});
			const out = [];
			const err = [];
			child.stdout.on('data', (chunk) => out.push(chunk));
			child.stderr.on('data', (chunk) => err.push(chunk));
			const timer = setTimeout(() => {
				try {
					process.kill(-child.pid, 'SIGKILL');
				} catch {
					// already gone
				}
			}, timeoutMs);
			child.on('error', (error) => {
				clearTimeout(timer);
				reject(error);
			});
			child.on('close', (code, signal) => {
				clearTimeout(timer);
				const durationMs = Date.now() - started;
				const stdout = Buffer.concat(out).toString('utf8');
				const stderr = Buffer.concat(err).toString('utf8');
				this.timings.push({ step: args[0], ms: durationMs });
				if (signal === 'SIGKILL' && durationMs >= timeoutMs) {
					reject(new Error(`n8n ${args.join(' ')} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
					return;
				}
				resolve({ code, signal, stdout, stderr, durationMs });
			});
		});
	}

	writeInput(kind, data) {
		const file = path.join(this.userFolder, 'tmp', `${kind}-${Date.now()}-${++this.seq}.json`);
		fs.writeFileSync(file, JSON.stringify(data, null, 2));
		return file;
	}

	/**
	 * Imports credentials (data unencrypted; n8n encrypts it with N8N_ENCRYPTION_KEY).
	 * @param {Array<{id: string, name: string, type: string, data: object}>} credentials
	 */
	async importCredentials(credentials) {
		const list = (Array.isArray(credentials) ? credentials : [credentials]).map((c) => ({
			nodesAccess: [],
			...c,
		}));
		const file = this.writeInput('credentials', list);
		const result = await this.cli(['import:credentials', `--input=${file}`]);
		if (result.code !== 0 || !/Successfully imported/i.test(result.stdout + result.stderr)) {
			throw new Error(`n8n import:credentials failed (exit ${result.code})\n${result.stdout}\n${result.stderr}`);
		}
		return result;
	}

	/** Imports one workflow or an array of workflows (one n8n process). Fills in ids/positions/settings. */
	async importWorkflow(workflows) {
		const list = (Array.isArray(workflows) ? workflows : [workflows]).map((workflow) => normalizeWorkflow(workflow));
		const file = this.writeInput('workflows', list);
		const result = await this.cli(['import:workflow', `--input=${file}`]);
		if (result.code !== 0 || !/Successfully imported/i.test(result.stdout + result.stderr)) {
			throw new Error(`n8n import:workflow failed (exit ${result.code})\n${result.stdout}\n${result.stderr}`);
		}
		return result;
	}

	/**
	 * `n8n execute --id=<id> --rawOutput`.
	 * @returns {Promise<{ runData: object, lastNodeOutput: object[], lastNodeExecuted: string|undefined,
	 *   error: null|{message, description, name, node, httpCode, raw}, status: string|undefined,
	 *   execution: object|undefined, exitCode: number|null, stdout: string, stderr: string, durationMs: number }>}
	 */
	async execute(workflowId, { timeoutMs } = {}) {
		const result = await this.cli(['execute', `--id=${workflowId}`, '--rawOutput'], { timeoutMs });
		const execution = parseExecuteOutput(result.stdout);
		const base = { stdout: result.stdout, stderr: result.stderr, durationMs: result.durationMs, exitCode: result.code };
		if (!execution) {
			return {
				...base,
				runData: {},
				lastNodeOutput: [],
				lastNodeExecuted: undefined,
				status: undefined,
				execution: undefined,
				error: {
					message: `n8n execute printed no execution data (exit code ${result.code})`,
					description: lastLines(`${result.stdout}\n${result.stderr}`, 30),
					raw: null,
				},
			};
		}
		const { runData = {}, lastNodeExecuted, error } = execution.data.resultData;
		return {
			...base,
			runData,
			lastNodeOutput: nodeOutput(runData, lastNodeExecuted),
			lastNodeExecuted,
			status: execution.status,
			execution,
			error: summarizeError(error),
		};
	}

	/** importWorkflow + execute. */
	async run(workflow, options) {
		const normalized = normalizeWorkflow(workflow);
		await this.importWorkflow(normalized);
		return await this.execute(normalized.id, options);
	}

	/**
	 * `n8n start` (editor + API) for the dev loop. Resolves, once http://localhost:<port>/healthz answers,
	 * with the running ChildProcess (plus `child.url` and `child.stop()`); rejects if n8n exits first.
	 * @param {{ port?: number, stdio?: any, env?: Record<string,string>, readyTimeoutMs?: number }} options
	 * @returns {Promise<import('node:child_process').ChildProcess & { url: string, stop(): Promise<void> }>}
	 */
	async start({ port = 5678, stdio = 'inherit', env = {}, readyTimeoutMs = 3 * 60 * 1000 } = {}) {
		if (!this.runtime) throw new Error('call setup() first');
		const url = `http://localhost:${port}`;
		const fullEnv = await this.n8nEnv({
			N8N_PORT: String(port),
			N8N_SECURE_COOKIE: 'false',
			N8N_EDITOR_BASE_URL: `${url}/`,
			...env,
		});
		const child = spawn(this.runtime.nodeBin, [this.runtime.n8nBin, 'start'], { cwd: this.userFolder, env: fullEnv, stdio });
		child.url = url;
		child.stop = () =>
			new Promise((resolve) => {
				if (child.exitCode !== null || child.signalCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			});
		let exited = false;
		child.once('exit', () => {
			exited = true;
		});
		const deadline = Date.now() + readyTimeoutMs;
		while (!exited && Date.now() < deadline) {
			if (await answers(`${url}/healthz`)) {
				log(`n8n ${this.runtime.version} editor ready on ${url} (user folder ${this.userFolder})`);
				return child;
			}
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		if (!exited) child.kill('SIGTERM');
		throw new Error(exited ? `n8n start exited (code ${child.exitCode}) before answering on ${url}` : `n8n start: no answer on ${url} within ${readyTimeoutMs} ms`);
	}
}

function answers(url) {
	return new Promise((resolve) => {
		const req = http.get(url, (res) => {
			res.resume();
			resolve(res.statusCode === 200);
		});
		req.on('error', () => resolve(false));
		req.setTimeout(2000, () => {
			req.destroy();
			resolve(false);
		});
	});
}

function lastLines(text, count) {
	return text.split(/\r?\n/).filter(Boolean).slice(-count).join('\n');
}

/** Items of main output 0 of a node's last run (or of run `runIndex`). */
function nodeOutput(runData, nodeName, { runIndex, output = 0 } = {}) {
	const runs = runData && nodeName ? runData[nodeName] : undefined;
	if (!runs || runs.length === 0) return [];
	const run = runs[runIndex === undefined ? runs.length - 1 : runIndex];
	const main = run && run.data && run.data.main;
	return (main && main[output]) || [];
}

function normalizeWorkflow(workflow) {
	if (!workflow || typeof workflow !== 'object') throw new Error('workflow must be an object');
	const id = workflow.id || crypto.randomBytes(8).toString('hex');
	return {
		name: workflow.name || `e2e ${id}`,
		active: false,
		connections: {},
		pinData: {},
		settings: { executionOrder: 'v1' },
		...workflow,
		id,
		nodes: (workflow.nodes || []).map((node, index) => ({
			id: crypto.randomUUID(),
			position: [index * 220, 0],
			parameters: {},
			...node,
		})),
	};
}

module.exports = {
	N8nInstance,
	packPackage,
	PACKAGE_NAME,
	nodeType,
	credentialType,
	nodeOutput,
	parseExecuteOutput,
	E2E_DIR,
	ENCRYPTION_KEY,
};
