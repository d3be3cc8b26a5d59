'use strict';
// The fast loop's Jest: the unit, sandbox and integration projects of ../jest.config.js, with each test
// file transpiled on its own (types are checked once, by tsc, beside the tests instead of in them).
const path = require('path');
const base = require('../jest.config.js');

const root = path.resolve(__dirname, '..');

const transpileOnly = [
	'ts-jest',
	{ tsconfig: '<rootDir>/test/tsconfig.transpile.json', diagnostics: false },
];

module.exports = {
	...base,
	rootDir: root,
	projects: base.projects
		.filter((project) => ['unit', 'sandbox', 'integration'].includes(project.displayName))
		.map((project) => ({ ...project, rootDir: root, transform: { '^.+\\.ts$': transpileOnly } })),
};
