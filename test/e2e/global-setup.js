'use strict';
// Runs once before the end-to-end tests (only when one of them is selected): installs the real n8n
// releases they run in, on first use, outside any test's timeout, and prints how long each took.
const { ensureN8n, isInstalled, LINES } = require('../../scripts/n8n-runtime');

module.exports = async () => {
	// E2E_N8N_LINES: the lines to run in (`npm test` runs one line per step, once it is installed).
	const lines = (process.env.E2E_N8N_LINES || Object.keys(LINES).sort().reverse().join(','))
		.split(',')
		.map((line) => line.trim());
	for (const line of lines) {
		if (isInstalled(line)) continue;
		const started = Date.now();
		process.stderr.write(`\n[e2e] installing n8n ${LINES[line].version} into .runtime/ (once)\n`);
		ensureN8n(line);
		process.stderr.write(
			`[e2e] n8n ${LINES[line].version} ready after ${Math.round((Date.now() - started) / 1000)} s\n`,
		);
	}
};
