'use strict';
// The order of test files: jest's own (slowest first, from its cache, else largest first), except that
// end-to-end files needing only n8n 2.x go before those needing 1.x. When every file runs in one jest
// (`npm run test:e2e`, `npx jest`) on a machine where 1.x is still installing, files that need 1.x first
// would hold the workers waiting for it. Only the order changes. (`npm test` runs each line's files in a
// step of its own.)
const path = require('node:path');

const { default: Sequencer } = require(
	require.resolve('@jest/test-sequencer', {
		paths: [path.dirname(require.resolve('jest/package.json'))],
	}),
);

/** 0: n8n 2.x only (or no n8n), 1: both lines, 2: n8n 1.x only. */
function lineRank(file) {
	const name = path.basename(file);
	if (/-n8n1\.test\.js$/.test(name)) return 2;
	if (/^(harness|examples)\.test\.js$/.test(name)) return 1;
	return 0;
}

class TwoPointXFirst extends Sequencer {
	async sort(tests) {
		const sorted = await super.sort(tests);
		// Array.prototype.sort is stable: jest's order stays within each rank.
		return [...sorted].sort((a, b) => lineRank(a.path) - lineRank(b.path));
	}
}

module.exports = TwoPointXFirst;
