'use strict';
// Installs and locates the real n8n releases the dev loop and the end-to-end suite run against.
// Everything lands in .runtime/ (git-ignored) so a clean clone, a developer and CI do the same steps.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const RUNTIME_DIR = process.env.DINGTALK_RUNTIME_DIR || path.join(ROOT, '.runtime');

// Pinned lines (see ../shared/n8n-runtime.md): 2.41.3 is not installable from the registry here.
const LINES = {
	2: { version: '2.41.1', nodeMajor: 24 },
	1: { version: '1.123.81', nodeMajor: 20, overrides: { xlsx: '0.18.5' } },
};

function log(message) {
	process.stderr.write(`[n8n-runtime] ${message}\n`);
}

function run(cmd, args, options) {
	log(`${cmd} ${args.join(' ')}`);
	execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
}

function currentNodeMajor() {
	return Number(process.versions.node.split('.')[0]);
}

/** A Node binary of the wanted major: the machine's own, or one installed from the npm registry. */
function ensureNode(major) {
	if (currentNodeMajor() === major) return { nodeBin: process.execPath, nodeDir: undefined };
	const dir = path.join(RUNTIME_DIR, `node${major}`);
	const nodeBin = path.join(dir, 'node_modules', 'node', 'bin', 'node');
	const nodeDir = path.join(
		dir,
		'node_modules',
		'node',
		'node_modules',
		`node-${process.platform}-${process.arch}`,
	);
	if (!fs.existsSync(nodeBin)) {
		fs.mkdirSync(dir, { recursive: true });
		fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true }));
		// Its install script fetches the real binary package: it must run with scripts enabled.
		run('npm', ['install', `node@${major}`, '--no-save', '--ignore-scripts=false'], { cwd: dir });
	}
	return { nodeBin, nodeDir };
}

function envFor(nodeBin, nodeDir) {
	const env = {
		...process.env,
		PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH}`,
	};
	// The machine's npm config points nodedir at Node 20's headers: wrong for another major.
	if (nodeDir) env.npm_config_nodedir = nodeDir;
	return env;
}

/** Installs (once) and returns the paths of the pinned n8n of a major line (1 or 2). */
function ensureN8n(line) {
	const spec = LINES[line];
	if (!spec) throw new Error(`unknown n8n line ${line}`);
	const { nodeBin, nodeDir } = ensureNode(spec.nodeMajor);
	const dir = path.join(RUNTIME_DIR, `n8n-${spec.version}`);
	const n8nBin = path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
	const marker = path.join(dir, '.installed');
	const env = envFor(nodeBin, nodeDir);
	if (!fs.existsSync(marker)) {
		const started = Date.now();
		fs.mkdirSync(dir, { recursive: true });
		const pkg = { private: true, dependencies: { n8n: spec.version } };
		if (spec.overrides) pkg.overrides = spec.overrides;
		fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
		// Without --ignore-scripts an optional Kafka client tries to download zlib from the internet.
		run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
			cwd: dir,
			env,
		});
		// SQLite's native module is the only one n8n needs built.
		run('npm', ['rebuild', 'sqlite3', '--build-from-source'], { cwd: dir, env });
		fs.writeFileSync(marker, new Date().toISOString());
		log(`n8n ${spec.version} installed in ${Math.round((Date.now() - started) / 1000)} s`);
	}
	return { version: spec.version, nodeBin, n8nBin, env, dir };
}

module.exports = { ensureN8n, LINES, RUNTIME_DIR };

if (require.main === module) {
	const lines = process.argv.slice(2).length ? process.argv.slice(2) : ['2'];
	for (const line of lines) {
		const runtime = ensureN8n(line);
		execFileSync(runtime.nodeBin, [runtime.n8nBin, '--version'], {
			env: runtime.env,
			stdio: 'inherit',
		});
	}
}
