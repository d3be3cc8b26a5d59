'use strict';
// Helper tasks beside `n8n-node build` (which compiles and copies the icons). Not published.
//   npx gulp examples   rewrite examples/*.json from examples/build.js
const fs = require('node:fs');
const path = require('node:path');

async function examples() {
	const { exampleWorkflows, serialize } = require('./examples/build');
	for (const [file, workflow] of Object.entries(exampleWorkflows())) {
		fs.writeFileSync(path.join(__dirname, 'examples', file), serialize(workflow));
	}
}

exports.examples = examples;
