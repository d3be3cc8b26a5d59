// npm run scan: the two lint legs of n8n's community-package scanner, run before publishing
// (`npx @n8n/scan-community-package` itself only scans published packages with provenance): once on
// the repository's sources, once on the packed tarball exactly as npm would publish it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
	analyzePackage,
	SOURCE_FILE_PATTERNS,
} from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = resolve(import.meta.dirname, '..');
const workDir = mkdtempSync(join(tmpdir(), 'dingtalk-scan-'));
let failed = false;

function report(label, result) {
	process.stdout.write(
		`scanner, ${label}: ${result.passed ? 'passed' : `FAILED (${result.message})`}\n`,
	);
	if (!result.passed) {
		failed = true;
		if (result.details) process.stdout.write(`${result.details}\n`);
	}
}

try {
	report('sources', await analyzePackage(root, SOURCE_FILE_PATTERNS));
	execFileSync('npm', ['pack', '--pack-destination', workDir], { cwd: root, stdio: 'ignore' });
	const tarball = readdirSync(workDir).find((file) => file.endsWith('.tgz'));
	execFileSync('tar', ['-xzf', join(workDir, tarball), '-C', workDir]);
	const packed = readdirSync(join(workDir, 'package'), { recursive: true }).sort();
	process.stdout.write(
		`published files: ${packed.filter((file) => !file.endsWith('.map')).length} (+ source maps)\n`,
	);
	report(
		'packed tarball',
		await analyzePackage(join(workDir, 'package'), ['**/*.js', 'package.json']),
	);
} finally {
	rmSync(workDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
