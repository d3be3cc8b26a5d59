'use strict';
// The installer of the real n8n the suite runs in: an install that would not start is caught at once
// and never recorded as installed, whatever npm_config_ignore_scripts the caller's npm passed down.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
	asRoot,
	childEnv,
	ensureN8n,
	installLockPath,
	isInstalled,
	LINES: PINNED_LINES,
	lockfileOf,
	runtimeManifest,
	takeInstallLock,
} = require('../../scripts/n8n-runtime');

const MAJOR = Number(process.versions.node.split('.')[0]);
const VERSION = '0.0.1-test';
const LINES = { test: { version: VERSION, nodeMajor: MAJOR } };
const made = [];

/**
 * A runtime folder holding an "installed" n8n whose sqlite3 loads only after its install script ran,
 * like the real native module. `build` is that script's body.
 */
function fakeInstall(build) {
	const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-runtime-test-'));
	made.push(runtimeDir);
	const dir = path.join(runtimeDir, `n8n-${VERSION}`);
	const n8n = path.join(dir, 'node_modules', 'n8n');
	const sqlite = path.join(dir, 'node_modules', 'sqlite3');
	fs.mkdirSync(path.join(n8n, 'bin'), { recursive: true });
	fs.mkdirSync(sqlite, { recursive: true });
	fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true }));
	fs.writeFileSync(
		path.join(n8n, 'package.json'),
		JSON.stringify({ name: 'n8n', version: VERSION }),
	);
	fs.writeFileSync(path.join(n8n, 'bin', 'n8n'), `console.log(${JSON.stringify(VERSION)});\n`);
	fs.writeFileSync(
		path.join(sqlite, 'package.json'),
		JSON.stringify({ name: 'sqlite3', version: '5.1.7', scripts: { install: 'node build.js' } }),
	);
	fs.writeFileSync(path.join(sqlite, 'build.js'), build);
	fs.writeFileSync(
		path.join(sqlite, 'index.js'),
		"const binding = require('./binding.js');\nmodule.exports = { Database: binding.Database };\n",
	);
	return { runtimeDir, marker: path.join(dir, '.installed') };
}

const WORKING_BUILD =
	"require('fs').writeFileSync(__dirname + '/binding.js', 'exports.Database = class { close() {} };');";

describe('n8n runtime installer', () => {
	const saved = process.env.npm_config_ignore_scripts;
	beforeEach(() => {
		// What `npm test` hands its children when the project's .npmrc says ignore-scripts=true.
		process.env.npm_config_ignore_scripts = 'true';
	});
	afterEach(() => {
		for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
		if (saved === undefined) delete process.env.npm_config_ignore_scripts;
		else process.env.npm_config_ignore_scripts = saved;
	});

	it("drops npm's inherited ignore-scripts from the environment of its npm and n8n commands", () => {
		const env = childEnv('/opt/node24/bin/node', '/opt/headers', {
			PATH: '/usr/bin',
			npm_config_ignore_scripts: 'true',
			NPM_CONFIG_IGNORE_SCRIPTS: 'true',
			HOME: '/home/someone',
		});
		expect(env).toEqual({
			PATH: `/opt/node24/bin${path.delimiter}/usr/bin`,
			HOME: '/home/someone',
			npm_config_nodedir: '/opt/headers',
		});
	});

	it('builds SQLite even when called from npm with scripts off, checks it, then records the install', () => {
		const { runtimeDir, marker } = fakeInstall(WORKING_BUILD);
		expect(isInstalled('test', { runtimeDir, lines: LINES })).toBe(false);
		const runtime = ensureN8n('test', { runtimeDir, lines: LINES });
		expect(runtime.version).toBe(VERSION);
		expect(JSON.parse(fs.readFileSync(marker, 'utf8'))).toMatchObject({ version: VERSION });
		expect(isInstalled('test', { runtimeDir, lines: LINES })).toBe(true);
	});

	it('reports an install whose SQLite build produced nothing, with what to do, and does not record it', () => {
		// The build "succeeds" and leaves no module behind: what npm rebuild did with scripts off.
		const { runtimeDir, marker } = fakeInstall('// builds nothing');
		expect(() => ensureN8n('test', { runtimeDir, lines: LINES })).toThrow(
			/^n8n 0\.0\.1-test was installed into .+ but does not work: SQLite's native module does not load \(.*Cannot find module '\.\/binding\.js'.*\)\. Building SQLite needs python3, make and a C\+\+ compiler/,
		);
		expect(fs.existsSync(marker)).toBe(false);
		expect(isInstalled('test', { runtimeDir, lines: LINES })).toBe(false);
	});

	it('reports a failed SQLite build the same way', () => {
		const { runtimeDir, marker } = fakeInstall('process.exit(1);');
		expect(() => ensureN8n('test', { runtimeDir, lines: LINES })).toThrow(
			/does not work: SQLite's native module does not load/,
		);
		expect(fs.existsSync(marker)).toBe(false);
	});

	it('does not trust a marker written by an earlier installer that never checked the install', () => {
		const { runtimeDir, marker } = fakeInstall('// builds nothing');
		fs.writeFileSync(marker, '2026-11-20T10:00:00.000Z');
		expect(isInstalled('test', { runtimeDir, lines: LINES })).toBe(false);
		expect(() => ensureN8n('test', { runtimeDir, lines: LINES })).toThrow(/does not work/);
	});
});

describe('installing a system package for the queue-mode test (apt-get)', () => {
	it('runs apt-get as is for root', () => {
		expect(asRoot('apt-get', ['install', 'redis-server'], { uid: 0, sudoWorks: false })).toEqual({
			cmd: 'apt-get',
			args: ['install', 'redis-server'],
		});
	});

	it('goes through sudo -n for another user when sudo needs no password (GitHub runners)', () => {
		expect(asRoot('apt-get', ['install', 'redis-server'], { uid: 1001, sudoWorks: true })).toEqual({
			cmd: 'sudo',
			args: ['-n', 'apt-get', 'install', 'redis-server'],
		});
	});

	it('gives up for another user without sudo, instead of running apt-get and failing', () => {
		expect(asRoot('apt-get', ['install'], { uid: 1001, sudoWorks: false })).toBeUndefined();
	});
});

describe('the install lock (one process installs a line, the others wait)', () => {
	const lockIn = () => {
		const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-runtime-lock-'));
		made.push(runtimeDir);
		return { runtimeDir, lines: LINES };
	};
	afterEach(() => {
		for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
	});

	it('is taken once: a second taker is refused while the owner runs', () => {
		const options = lockIn();
		expect(takeInstallLock('test', options)).toBe(true);
		expect(fs.readFileSync(path.join(installLockPath('test', options), 'pid'), 'utf8')).toBe(
			String(process.pid),
		);
		expect(takeInstallLock('test', options)).toBe(false);
	});

	it('is taken over when the process that took it has died (an interrupted npm test)', () => {
		const options = lockIn();
		expect(takeInstallLock('test', options)).toBe(true);
		const dead = require('node:child_process').spawnSync(process.execPath, ['-e', '']).pid;
		fs.writeFileSync(path.join(installLockPath('test', options), 'pid'), String(dead));
		expect(takeInstallLock('test', options)).toBe(true);
		expect(fs.readFileSync(path.join(installLockPath('test', options), 'pid'), 'utf8')).toBe(
			String(process.pid),
		);
	});
});

describe('the recorded versions of each pinned n8n', () => {
	it.each(Object.entries(PINNED_LINES))(
		'n8n %s.x installs with npm ci from a lockfile that matches what the installer asks for',
		(_, spec) => {
			const lock = JSON.parse(fs.readFileSync(lockfileOf(spec.version), 'utf8'));
			// npm ci refuses a lockfile whose root does not match package.json.
			expect(lock.packages['']).toEqual({ dependencies: runtimeManifest(spec).dependencies });
			expect(lock.packages['node_modules/n8n'].version).toBe(spec.version);
			for (const [name, version] of Object.entries(spec.overrides ?? {}))
				expect(lock.packages[`node_modules/${name}`].version).toBe(version);
		},
	);
});
