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
 *   - diagnostics, version notifications, templates, personalization off; community packages and
 *     unverified community packages on (n8n 3.0 turns the latter off by default).
 *
 * `n8n execute --id=X --rawOutput` output (identical code in both lines):
 *   - success (exit 0): log lines on stdout (task broker, Python runner warning, license SDK, on a cold DB
 *     "Migrations ..."), then JSON.stringify(run, null, 2) of the IRun: { data: { resultData: { runData,
 *     lastNodeExecuted, error? }, executionData, ... }, mode: 'cli', status, finished, startedAt, ... }.
 *   - node failure (resultData.error set, exit 1): logger.info prints "Execution was NOT successful..."
 *     and the SAME pretty JSON, then logger.error prints the message. At N8N_LOG_LEVEL=warn the JSON is
 *     lost, hence info.
 *   The pretty JSON is the only text from a line "{" to a line "}"; we take the last such block that
 *   parses and has data.resultData (parseExecuteOutput; debug-level prefixes and colours tolerated).
 *   - failure before the first node runs (exit 1, NO JSON): "Unrecognized node type: X" (both lines);
 *     a node with missing required parameters: 2.41.1 prints only "No active execution found" (a race in
 *     its CLI), 1.123.81 "The workflow has issues and cannot be executed...". The execution stored in
 *     SQLite has the real error (2.41.1: "The 'DingTalk' node has issues: - Parameter "X" is required"):
 *     execute() then reads it (lastExecution(): n8n's own sqlite3 + flatted, run by its Node), else it
 *     takes the message printed after "Execution error:\n=====".
 *   Items: as n8n has them ({ json, binary?, pairedItem, error? }). "Continue On Fail" items (both
 *   `onError: 'continueRegularOutput'` and the legacy `continueOnFail: true` work in both lines; onError
 *   wins when both are set) keep their place: { json: { error: ... }, pairedItem: { item: i } }.
 *   Binary data: 2.41.1 keeps it on disk ({ data: 'filesystem-v2', id, fileName, mimeType, fileSize,
 *   ...}), 1.123.81 inline (data = base64 string).
 *
 * Exit status: n8n 2.41.1 on Node 24 with its default `vm` expression engine (isolated-vm 7) dies with
 *   SIGSEGV at process exit in about 1 of 10 `execute` runs (2 of 20, 2 of 30 measured; 0 of 20 with
 *   N8N_EXPRESSION_ENGINE=legacy), AFTER printing complete, correct output. We keep the engine users get
 *   and judge every command by its output: execute() returns exitCode null and signal 'SIGSEGV' then,
 *   with the parsed data; imports are checked for "Successfully imported".
 *
 * Timings on this machine (2 cores, idle; roughly +30% when other work runs), each one n8n process:
 *   2.41.1:   package install 0.3 s; first import (cold DB, migrations) 3.9-4.5 s; later import ~2.0 s;
 *             execute 2.2-2.8 s; `start` until the REST API answers ~3 s (cold DB).
 *   1.123.81: package install 0.3 s; first import 2.6-3.6 s; later import ~1.7 s; execute 1.8-2.5 s;
 *             `start` ~3 s.
 *   import:workflow takes an array: import all of a suite's workflows in one process.
 *   Measured again on 6 December (a slower day): execute 4.8-5.7 s (2.x), 3.4-3.6 s (1.x).
 *
 * Served runs (serve(), what the suites use): one `n8n start` per suite, logged in as its owner, and each
 * execute() is the editor's "Execute workflow": POST /rest/workflows/<id>/run with triggerToStartFrom
 * (2.x reads the workflow from its database; 1.x wants it in the body as workflowData), then
 * GET /rest/executions/<id> until it has ended and its run data is stored (data is flatted, as stored).
 * Manual mode instead of cli, the same IRun otherwise (harness.test.js compares the two). A workflow
 * whose nodes have issues: 2.x stores a failed execution, 1.x answers the POST with 500 and the message.
 * Measured: serve() 9.6-12.3 s; then a run takes 0.1-0.4 s instead of a process each. What a served n8n
 * keeps between runs is what a real one keeps: a token fetched by one execution serves the next.
 */
const { spawn, execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { restClient } = require('./rest');

const ROOT = path.resolve(__dirname, '..', '..');
const E2E_DIR = path.join(ROOT, '.e2e');
// Where n8n's built editor goes (see keepEditorCacheOutside).
const EDITOR_CACHE_DIR = path.join(os.tmpdir(), `${path.basename(ROOT)}-n8n-editor-cache`);
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

/**
 * ensureN8n() of scripts/n8n-runtime.js, serialized across processes (parallel jest workers) while a line
 * is not installed yet: the first one installs, the others wait for it.
 */
async function ensureRuntime(line) {
	const {
		ensureN8n,
		isInstalled,
		LINES,
		installLockPath,
		takeInstallLock,
		DEFAULT_RUNTIME_DIR: RUNTIME_DIR,
	} = require(path.join(ROOT, 'scripts', 'n8n-runtime.js'));
	const spec = LINES[line];
	if (!spec) throw new Error(`unknown n8n line ${line}`);
	if (isInstalled(line)) return ensureN8n(line);
	const lock = installLockPath(line);
	const staleMs = 30 * 60 * 1000;
	let told = false;
	// The lock's owner (another jest worker, or `npm test`'s background install) may have died.
	while (!takeInstallLock(line)) {
		if (isInstalled(line)) return ensureN8n(line);
		const age = Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
		if (age > staleMs) {
			fs.rmSync(lock, { recursive: true, force: true });
			continue;
		}
		if (!told)
			log(`waiting for another process to install n8n ${spec.version} into ${RUNTIME_DIR}`);
		told = true;
		await new Promise((resolve) => setTimeout(resolve, 2000));
	}
	try {
		if (isInstalled(line)) return ensureN8n(line);
		log(`installing n8n ${spec.version} (line ${line}) once into ${RUNTIME_DIR}: a few minutes`);
		return ensureN8n(line);
	} finally {
		fs.rmSync(lock, { recursive: true, force: true });
	}
}

function removeStalePackFolders() {
	if (!fs.existsSync(E2E_DIR)) return;
	for (const entry of fs.readdirSync(E2E_DIR)) {
		const match = /^pack-(\d+)$/.exec(entry);
		if (!match) continue;
		try {
			process.kill(Number(match[1]), 0);
		} catch (error) {
			if (error.code === 'ESRCH')
				fs.rmSync(path.join(E2E_DIR, entry), { recursive: true, force: true });
		}
	}
}

let packPromise;
/**
 * `npm pack` of the repository (once per process). The caller must have built dist/.
 * @returns {Promise<string>} absolute path of the tarball (.e2e/pack-<pid>/<name>-<version>.tgz)
 */
function packPackage() {
	if (!packPromise) {
		packPromise = (async () => {
			if (!fs.existsSync(path.join(ROOT, 'dist'))) {
				throw new Error(
					`${path.join(ROOT, 'dist')} is missing: run \`npm run build\` before the end-to-end tests`,
				);
			}
			// One folder per process: parallel jest workers each pack into their own.
			const destination = path.join(E2E_DIR, `pack-${process.pid}`);
			removeStalePackFolders();
			fs.rmSync(destination, { recursive: true, force: true });
			fs.mkdirSync(destination, { recursive: true });
			const { stdout } = await execFileAsync(
				'npm',
				['pack', '--json', '--pack-destination', destination],
				{ cwd: ROOT },
			);
			const info = JSON.parse(stdout.slice(stdout.indexOf('[')));
			const tarball = path.join(destination, info[0].filename);
			if (!fs.existsSync(tarball)) throw new Error(`npm pack did not produce ${tarball}`);
			return tarball;
		})();
		packPromise.catch(() => {
			packPromise = undefined;
		});
	}
	return packPromise;
}

// n8n processes run in process groups of their own (a timeout kills their task runners too). Should the
// test process end first (killed, or a test timed out), they must not outlive it.
const liveGroups = new Set();
process.once('exit', () => {
	for (const pid of liveGroups) {
		for (const target of [-pid, pid]) {
			try {
				process.kill(target, 'SIGKILL');
			} catch {
				// no such group, or already gone
			}
		}
	}
});
function trackGroup(child) {
	liveGroups.add(child.pid);
	child.once('exit', () => liveGroups.delete(child.pid));
}

const STRIPPED_ENV = /^(N8N_|DB_|NODE_ENV$|E2E_TESTS$|EXECUTIONS_|QUEUE_|GENERIC_TIMEZONE$)/;

const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Parses what `n8n execute --rawOutput` printed: the last block from a line "{" to a line "}" that is
 * an execution (has data.resultData). Tolerates colours and, at N8N_LOG_LEVEL=debug, the logger's
 * "HH:MM:SS.mmm   info    {" prefix and "} { metadata }" suffix. Returns the IRun object or undefined.
 */
function parseExecuteOutput(stdout) {
	const lines = stdout.replace(ANSI, '').split(/\r?\n/);
	const opens = (line) => line === '{' || /^\d\d:\d\d:\d\d\.\d+\s+\w+\s+\{$/.test(line);
	for (let start = lines.length - 1; start >= 0; start--) {
		if (!opens(lines[start])) continue;
		for (let end = start + 1; end < lines.length; end++) {
			if (lines[end] !== '}' && !lines[end].startsWith('} {')) continue;
			try {
				const parsed = JSON.parse(['{', ...lines.slice(start + 1, end), '}'].join('\n'));
				if (parsed && parsed.data && parsed.data.resultData) return parsed;
			} catch {
				// a "}" line inside something else: keep looking
			}
		}
	}
	return undefined;
}

/**
 * When n8n fails before or at the very start of an execution it prints no execution data, only
 * "Execution error:\n====...\n<message>\n<stack>". Returns { message, name } from that text.
 */
function parseCliError(text) {
	const lines = text.replace(ANSI, '').split(/\r?\n/);
	const index = lines.findIndex((line) => /^=+(\s|$)/.test(line.replace(/^[\d:.]+\s+\w+\s+/, '')));
	if (index === -1) return undefined;
	const clean = (line) =>
		line
			.replace(/^[\d:.]+\s+\w+\s+/, '')
			.replace(/\s\{ "file".*$/, '')
			.trim();
	const rest = lines
		.slice(index + 1)
		.map(clean)
		.filter(Boolean);
	if (rest.length === 0) return undefined;
	const stackHead = rest.find((line) => /^[A-Za-z]*Error: /.test(line));
	return {
		message: rest[0],
		name: stackHead ? stackHead.slice(0, stackHead.indexOf(':')) : undefined,
	};
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
	 * @param {{ line?: 1|2, name?: string, env?: Record<string,string> }} options
	 */
	constructor({ line = 2, name = 'e2e', env = {} } = {}) {
		this.line = Number(line);
		this.name = name;
		this.extraEnv = env;
		this.userFolder = path.join(E2E_DIR, `${name}-n8n${this.line}`);
		this.packageDir = path.join(this.userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
		this.editorCache = path.join(EDITOR_CACHE_DIR, path.basename(this.userFolder));
		this.runtime = undefined;
		this.timings = [];
		this.seq = 0;
	}

	get version() {
		return this.runtime && this.runtime.version;
	}

	/**
	 * Installs n8n (once per machine), makes a fresh user folder (unless `fresh: false`, which keeps its
	 * database: the dev loop's owner account and workflows) and installs the packed package.
	 */
	async setup({ fresh = true } = {}) {
		this.runtime = await ensureRuntime(this.line);
		if (fresh) this.remove();
		fs.mkdirSync(path.join(this.userFolder, 'tmp'), { recursive: true });
		this.keepEditorCacheOutside();
		await this.installPackage(await packPackage());
		return this;
	}

	/**
	 * `n8n start` writes its built editor (thousands of .js files) into <user folder>/.cache/n8n/public.
	 * That folder is a link to one outside the repository: `eslint .` (`npm run lint`) does not follow
	 * links, and would otherwise lint n8n's editor after any `npm run dev` or end-to-end run.
	 */
	keepEditorCacheOutside() {
		const target = this.editorCache;
		fs.mkdirSync(target, { recursive: true });
		const link = path.join(this.userFolder, '.cache');
		const current = fs.lstatSync(link, { throwIfNoEntry: false });
		if (current?.isSymbolicLink() && fs.readlinkSync(link) === target) return;
		fs.rmSync(link, { recursive: true, force: true });
		fs.symlinkSync(target, link, 'dir');
	}

	/** Removes the user folder and n8n's editor files outside it. */
	remove() {
		fs.rmSync(this.userFolder, { recursive: true, force: true });
		fs.rmSync(this.editorCache, { recursive: true, force: true });
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
		manifest.dependencies = {
			...(manifest.dependencies || {}),
			[packageJson.name]: packageJson.version,
		};
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
		const noProxy = [env.NO_PROXY || env.no_proxy, '127.0.0.1,localhost,::1']
			.filter(Boolean)
			.join(',');
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
			N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
			N8N_SSRF_PROTECTION_ENABLED: 'false',
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		});
		if (this.line === 1) env.N8N_EXPRESSION_ENGINE = 'legacy';
		return { ...env, ...this.extraEnv, ...extra };
	}

	/** Runs one n8n CLI command to its end; `onSpawn(child)` sees the process (the benchmark samples its memory). */
	async cli(args, { timeoutMs = 5 * 60 * 1000, onSpawn } = {}) {
		const env = await this.n8nEnv();
		const started = Date.now();
		return await new Promise((resolve, reject) => {
			const child = spawn(this.runtime.nodeBin, [this.runtime.n8nBin, ...args], {
				cwd: this.userFolder,
				env,
				stdio: ['ignore', 'pipe', 'pipe'],
				detached: true, // own process group: a timeout kills the task runner children too
			});
			trackGroup(child);
			onSpawn?.(child);
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
					reject(
						new Error(
							`n8n ${args.join(' ')} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`,
						),
					);
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
		const list = Array.isArray(credentials) ? credentials : [credentials];
		const file = this.writeInput('credentials', list);
		const result = await this.cli(['import:credentials', `--input=${file}`]);
		// Judged by its output, not its exit status (see the SIGSEGV note at the top).
		if (!/Successfully imported/i.test(result.stdout + result.stderr)) {
			throw new Error(
				`n8n import:credentials failed (exit ${result.code})\n${result.stdout}\n${result.stderr}`,
			);
		}
		return result;
	}

	/** Imports one workflow or an array of workflows (one n8n process). Fills in ids/positions/settings. */
	async importWorkflow(workflows) {
		const list = (Array.isArray(workflows) ? workflows : [workflows]).map((workflow) =>
			normalizeWorkflow(workflow),
		);
		const file = this.writeInput('workflows', list);
		const result = await this.cli(['import:workflow', `--input=${file}`]);
		// Judged by its output, not its exit status (see the SIGSEGV note at the top).
		if (!/Successfully imported/i.test(result.stdout + result.stderr)) {
			throw new Error(
				`n8n import:workflow failed (exit ${result.code})\n${result.stdout}\n${result.stderr}`,
			);
		}
		return result;
	}

	/**
	 * Runs a workflow to its end and reads what n8n stored. While serve() holds a started n8n, the run goes
	 * through it, as the editor's "Execute workflow" button does (REST, manual mode, seconds saved per run);
	 * otherwise it is `n8n execute --id=<id> --rawOutput` in a process of its own (CLI mode).
	 * @returns {Promise<{ runData: object, lastNodeOutput: object[], lastNodeExecuted: string|undefined,
	 *   error: null|{message, description, name, node, httpCode, raw}, status: string|undefined,
	 *   execution: object|undefined, exitCode: number|null, signal: string|null, stdout: string, stderr: string,
	 *   durationMs: number }>}
	 */
	async execute(workflowId, options = {}) {
		if (this.served && !options.onSpawn) return await this.executeServed(workflowId, options);
		return await this.executeCli(workflowId, options);
	}

	/** `n8n execute --id=<id> --rawOutput`: one n8n process for this one run. */
	async executeCli(workflowId, { timeoutMs, onSpawn } = {}) {
		const startedMs = Date.now();
		const result = await this.cli(['execute', `--id=${workflowId}`, '--rawOutput'], {
			timeoutMs,
			onSpawn,
		});
		let execution = parseExecuteOutput(result.stdout);
		const base = {
			stdout: result.stdout,
			stderr: result.stderr,
			durationMs: result.durationMs,
			exitCode: result.code,
			signal: result.signal,
		};
		if (!execution) {
			// Some runs print no execution data: 2.41.1 with a node whose required parameters are missing, and
			// 2.41.1 with a workflow that ends within milliseconds ("No active execution found"); a large one
			// (megabytes of base64 in the run data) can be cut short when n8n exits before its output is
			// flushed. The execution stored in the database is whole.
			const stored = await this.lastExecution(workflowId).catch(() => undefined);
			if (stored && stored.createdMs >= startedMs - 2000 && stored.data && stored.data.resultData) {
				execution = storedRun(stored);
			}
		}
		if (!execution) {
			const printed = parseCliError(`${result.stdout}\n${result.stderr}`);
			return {
				...base,
				...notStarted({
					message: printed
						? printed.message
						: `n8n execute printed no execution data (exit code ${result.code}, signal ${result.signal})`,
					name: printed && printed.name,
					description: lastLines(`${result.stdout}\n${result.stderr}`.replace(ANSI, ''), 30),
				}),
			};
		}
		return { ...base, ...runResult(execution) };
	}

	/**
	 * Starts `n8n start` on a free port and logs in as its owner: from then on execute() runs workflows in
	 * this one process, and publish()/unpublish() act in it at once. Import credentials and workflows
	 * first (the CLI imports write to the database the server reads). What n8n prints collects in
	 * `this.served` ({ stdout, stderr }: `capture` when given, so one object may collect several starts);
	 * `untilAccessible` as for start().
	 */
	async serve({ env = {}, capture = { stdout: '', stderr: '' }, untilAccessible = false } = {}) {
		this.served = capture;
		this.server = await this.start({ port: await freePort(), capture, untilAccessible, env });
		this.rest = restClient(this.server.url);
		await this.rest.setUpOwner();
		return this.server;
	}

	/** Stops the n8n that serve() started; execute() goes back to one process per run. */
	async stopServing() {
		const server = this.server;
		this.server = undefined;
		this.served = undefined;
		this.rest = undefined;
		await server?.stop();
	}

	/**
	 * One manual run in the served n8n: POST /rest/workflows/<id>/run from the workflow's trigger, then the
	 * stored execution once it has ended (GET /rest/executions/<id>; its data is flatted, as in the database).
	 * `stdout`/`stderr` hold what n8n printed meanwhile plus the execution as JSON, so a search for secrets
	 * covers both, as with `n8n execute`.
	 */
	async executeServed(workflowId, { timeoutMs = 5 * 60 * 1000 } = {}) {
		const started = Date.now();
		const { served } = this;
		const from = { stdout: served.stdout.length, stderr: served.stderr.length };
		// What n8n printed since this run began, and how long it took.
		const meanwhile = () => ({
			stdout: served.stdout.slice(from.stdout),
			stderr: served.stderr.slice(from.stderr),
			durationMs: Date.now() - started,
			signal: null,
		});
		const { data: workflow } = await this.rest.get(`/rest/workflows/${workflowId}`);
		const trigger = triggerOf(workflow);
		// 2.x reads the workflow from its database and wants only the trigger; 1.x wants the workflow too.
		let run;
		try {
			({ data: run } = await this.rest.post(`/rest/workflows/${workflowId}/run`, {
				workflowData: workflow,
				triggerToStartFrom: { name: trigger },
			}));
		} catch (refused) {
			// 1.x refuses a workflow whose nodes have issues before it starts (500, the reason as message).
			if (!refused.answer?.message) throw refused;
			return {
				...meanwhile(),
				exitCode: 1,
				...notStarted({
					message: refused.answer.message,
					name: /^\w+(?=:)/.exec(refused.answer.stacktrace ?? '')?.[0],
					description: refused.message,
				}),
			};
		}
		if (!run.executionId)
			throw new Error(`n8n did not start ${workflowId} from "${trigger}": ${JSON.stringify(run)}`);
		const flatted = require(path.join(this.runtime.dir, 'node_modules', 'flatted'));
		const stored = await until(
			async () => {
				const { data } = await this.rest.get(`/rest/executions/${run.executionId}`);
				const execution = { ...data, data: data.data ? flatted.parse(data.data) : undefined };
				return executionDone(execution) || execution.data?.resultData?.error
					? execution
					: undefined;
			},
			`execution ${run.executionId} of ${workflowId} to end`,
			{ timeoutMs, everyMs: 100 },
		);
		const execution = storedRun(stored);
		const base = meanwhile();
		return {
			...base,
			stdout: `${base.stdout}\n${JSON.stringify(execution, null, 2)}`,
			exitCode: execution.status === 'success' ? 0 : 1,
			...runResult(execution),
		};
	}

	/**
	 * `n8n execute-batch` (numeric workflow IDs only): several workflows run at once in one n8n process (as two executions of one
	 * app in one n8n share its module state). Resolves with n8n's summary; throws when one failed.
	 */
	async executeBatch(
		workflowIds,
		concurrency = workflowIds.length,
		{ timeoutMs = 30 * 60 * 1000 } = {},
	) {
		const output = path.join(this.userFolder, 'tmp', `batch-${Date.now()}-${++this.seq}.json`);
		const result = await this.cli(
			[
				'execute-batch',
				`--ids=${workflowIds.join(',')}`,
				`--concurrency=${concurrency}`,
				`--output=${output}`,
			],
			{ timeoutMs },
		);
		const summary = fs.existsSync(output) ? JSON.parse(fs.readFileSync(output, 'utf8')) : undefined;
		if (!summary || summary.summary?.failedExecutions > 0) {
			throw new Error(
				`n8n execute-batch ${workflowIds.join(',')} did not succeed (exit ${result.code})\n${lastLines(`${result.stdout}\n${result.stderr}`, 30)}`,
			);
		}
		return summary;
	}

	/**
	 * The newest stored execution of a workflow, read from n8n's SQLite database with n8n's own sqlite3
	 * and flatted (run by the n8n line's Node binary).
	 * @returns {Promise<undefined | { id: number, status: string, mode: string, finished: number,
	 *   createdMs: number, data: object|undefined }>}
	 */
	async lastExecution(workflowId) {
		const [newest] = await this.executionsOf(workflowId, { newestFirst: true, limit: 1 });
		return newest;
	}

	/**
	 * Stored executions of a workflow, oldest first (or newest first, at most `limit`), with their data,
	 * read from n8n's SQLite database with n8n's own sqlite3 and flatted (run by the n8n line's Node binary).
	 * @returns {Promise<Array<{ id: number, status: string, mode: string, finished: number,
	 *   createdMs: number, startedMs: number|undefined, stoppedMs: number|undefined, data: object|undefined }>>}
	 */
	async executionsOf(workflowId, { newestFirst = false, limit = -1 } = {}) {
		if (!this.runtime) throw new Error('call setup() first');
		const script = `
			const [dir, file, workflowId, order, limit] = process.argv.slice(1);
			const sqlite3 = require(dir + '/node_modules/sqlite3');
			const { parse } = require(dir + '/node_modules/flatted');
			const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
			db.all('select e.id, e.status, e.mode, e.finished, e.createdAt, e.startedAt, e.stoppedAt, d.data from execution_entity e left join execution_data d on d.executionId = e.id where e.workflowId = ? order by e.id ' + order + ' limit ?', [workflowId, Number(limit)], (error, rows) => {
				if (error) { console.error(error.message); process.exit(2); }
				for (const row of rows) row.data = row.data ? parse(row.data) : undefined;
				process.stdout.write(JSON.stringify(rows));
				db.close();
			});`;
		const database = path.join(this.userFolder, '.n8n', 'database.sqlite');
		const { stdout } = await execFileAsync(this.runtime.nodeBin, [
			'-e',
			script,
			this.runtime.dir,
			database,
			String(workflowId),
			newestFirst ? 'desc' : 'asc',
			String(limit),
		]);
		const msOf = (time) => (time ? Date.parse(`${String(time).replace(' ', 'T')}Z`) : undefined);
		return JSON.parse(stdout).map((row) => ({
			...row,
			createdMs: msOf(row.createdAt),
			startedMs: msOf(row.startedAt),
			stoppedMs: msOf(row.stoppedAt),
		}));
	}

	/**
	 * Activates a workflow: at once in the n8n that serve() started (its REST API, as the editor's toggle
	 * does), else for the next `n8n start` (`publish:workflow` in 2.x, `update:workflow --active` in 1.x).
	 */
	async publish(workflowId) {
		if (this.served) {
			const { data: workflow } = await this.rest.get(`/rest/workflows/${workflowId}`);
			await this.rest.post(`/rest/workflows/${workflowId}/activate`, {
				versionId: workflow.versionId,
			});
			return;
		}
		const args =
			this.line === 2
				? ['publish:workflow', `--id=${workflowId}`]
				: ['update:workflow', `--id=${workflowId}`, '--active=true'];
		const result = await this.cli(args);
		const printed = result.stdout + result.stderr;
		if (/error/i.test(printed) && !/Publishing workflow|Activating workflow/i.test(printed))
			throw new Error(`n8n ${args.join(' ')} failed\n${printed}`);
	}

	/**
	 * Deactivates a workflow: at once in the n8n that serve() started, else for the next `n8n start`
	 * (`unpublish:workflow` in 2.x, `update:workflow --active=false` in 1.x).
	 */
	async unpublish(workflowId) {
		if (this.served) {
			await this.rest.post(`/rest/workflows/${workflowId}/deactivate`, {});
			return;
		}
		const args =
			this.line === 2
				? ['unpublish:workflow', `--id=${workflowId}`]
				: ['update:workflow', `--id=${workflowId}`, '--active=false'];
		const result = await this.cli(args);
		const printed = result.stdout + result.stderr;
		if (/error/i.test(printed)) throw new Error(`n8n ${args.join(' ')} failed\n${printed}`);
	}

	/**
	 * `n8n worker` (queue mode): resolves with the running process once it says it is ready; its printed
	 * output collects in `child.printed`.
	 */
	async startWorker({ concurrency = 1, env = {}, readyTimeoutMs = 3 * 60 * 1000 } = {}) {
		if (!this.runtime) throw new Error('call setup() first');
		const child = spawn(
			this.runtime.nodeBin,
			[this.runtime.n8nBin, 'worker', `--concurrency=${concurrency}`],
			{
				cwd: this.userFolder,
				env: await this.n8nEnv(env),
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		trackGroup(child);
		child.printed = '';
		child.stdout.on('data', (chunk) => (child.printed += chunk));
		child.stderr.on('data', (chunk) => (child.printed += chunk));
		child.stop = () =>
			new Promise((resolve) => {
				if (child.exitCode !== null || child.signalCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGKILL');
			});
		const deadline = Date.now() + readyTimeoutMs;
		while (!/n8n worker is now ready/.test(child.printed)) {
			if (child.exitCode !== null || Date.now() > deadline) {
				await child.stop();
				throw new Error(`n8n worker did not become ready\n${lastLines(child.printed, 30)}`);
			}
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
		return child;
	}

	/**
	 * `n8n start` (editor + API) for the dev loop. Resolves, once http://localhost:<port>/rest/settings answers 200,
	 * with the running ChildProcess (plus `child.url` and `child.stop()`); rejects if n8n exits first.
	 * With `capture`, what n8n prints is appended to its `stdout` and `stderr` instead of shown (one object
	 * may collect several starts). With `untilAccessible`, it also waits until this process printed
	 * "Editor is now accessible": n8n activates workflows (triggers, webhooks) only after that line.
	 * @param {{ port?: number, stdio?: 'inherit'|'ignore', capture?: { stdout: string, stderr: string },
	 *   untilAccessible?: boolean, env?: Record<string,string>, readyTimeoutMs?: number }} options
	 * @returns {Promise<import('node:child_process').ChildProcess & { url: string, stop(): Promise<void> }>}
	 */
	async start({
		port = 5678,
		stdio = 'inherit',
		capture,
		untilAccessible = false,
		env = {},
		readyTimeoutMs = 3 * 60 * 1000,
	} = {}) {
		if (!this.runtime) throw new Error('call setup() first');
		const url = `http://localhost:${port}`;
		const fullEnv = await this.n8nEnv({
			N8N_PORT: String(port),
			N8N_SECURE_COOKIE: 'false',
			N8N_EDITOR_BASE_URL: `${url}/`,
			...env,
		});
		const child = spawn(this.runtime.nodeBin, [this.runtime.n8nBin, 'start'], {
			cwd: this.userFolder,
			env: fullEnv,
			stdio: capture || untilAccessible ? 'pipe' : stdio,
		});
		let printedHere = '';
		for (const stream of ['stdout', 'stderr']) {
			child[stream]?.on('data', (chunk) => {
				printedHere += chunk;
				if (capture) capture[stream] += chunk;
			});
		}
		const isReady = async () =>
			(await answers(`${url}/rest/settings`)) &&
			(!untilAccessible || /Editor is now accessible/.test(printedHere));
		trackGroup(child);
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
			if (await isReady()) {
				log(`n8n ${this.runtime.version} editor ready on ${url} (user folder ${this.userFolder})`);
				return child;
			}
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		if (!exited) child.kill('SIGTERM');
		throw new Error(
			exited
				? `n8n start exited (code ${child.exitCode}) before it was ready on ${url}`
				: `n8n start: not ready on ${url} within ${readyTimeoutMs} ms`,
		);
	}
}

/** The parts of an IRun that execute() reads, from an execution as stored (database row or REST answer). */
function storedRun(stored) {
	return {
		data: stored.data,
		status: stored.status,
		mode: stored.mode,
		finished: Boolean(stored.finished),
	};
}

/** What execute() reports of an execution (IRun): run data, the last node's items and the error. */
function runResult(execution) {
	const { runData = {}, lastNodeExecuted, error } = execution.data.resultData;
	return {
		runData,
		lastNodeOutput: nodeOutput(runData, lastNodeExecuted),
		lastNodeExecuted,
		status: execution.status,
		execution,
		error: summarizeError(error),
	};
}

/** What execute() reports of a run n8n refused before its first node: no run data, only the error. */
function notStarted(error) {
	return {
		runData: {},
		lastNodeOutput: [],
		lastNodeExecuted: undefined,
		status: undefined,
		execution: undefined,
		error: { ...error, raw: null },
	};
}

/** The node a manual run starts from: the first trigger with nothing connected into it. */
function triggerOf(workflow) {
	const fed = new Set(
		Object.values(workflow.connections ?? {}).flatMap((outputs) =>
			Object.values(outputs)
				.flat(2)
				.map((connection) => connection?.node),
		),
	);
	const trigger = workflow.nodes.find(
		(node) => !fed.has(node.name) && /trigger/i.test(node.type.split('.').pop()),
	);
	if (!trigger) throw new Error(`workflow ${workflow.id} has no trigger to start from`);
	return trigger.name;
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

/**
 * Polls `condition` (sync or async) every `everyMs` until it gives a truthy value, and resolves with it;
 * rejects naming `what` after `timeoutMs`.
 */
/** A process's resident memory in bytes, from /proc. */
function rssOf(pid) {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
}

/**
 * Runs `work` while sampling a process's resident memory every `everyMs`: resolves `{ before, peak,
 * result }`, `before` taken just before the work starts.
 */
async function peakRssDuring(pid, work, { everyMs = 20 } = {}) {
	const before = rssOf(pid);
	let peak = before;
	const sampler = setInterval(() => {
		try {
			peak = Math.max(peak, rssOf(pid));
		} catch {
			// the process is gone; the work fails too
		}
	}, everyMs);
	try {
		const result = await work();
		return { before, peak, result };
	} finally {
		clearInterval(sampler);
	}
}

async function until(condition, what, { timeoutMs = 120_000, everyMs = 500 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await condition();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, everyMs));
	}
}

/**
 * Whether a stored execution has ended and its run data is written. n8n updates the execution's status
 * and its data in two statements, so a reader in between sees "success" with no run data yet.
 */
function executionDone(execution) {
	if (['new', 'running', 'waiting'].includes(execution.status)) return false;
	return Object.keys(execution.data?.resultData?.runData ?? {}).length > 0;
}

module.exports = {
	N8nInstance,
	executionDone,
	nodeType,
	credentialType,
	freePort,
	until,
	peakRssDuring,
	PACKAGE_NAME,
};
