'use strict';
// Four projects: unit (pure logic, no network), sandbox (the DingTalk sandbox itself, over HTTP),
// integration (our node in a real n8n-core execution context against the sandbox) and e2e (the packed
// package inside a real n8n process, against the sandbox).
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', diagnostics: false }];

const common = {
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': tsJest },
	// Built output, installed n8n copies and e2e user folders hold package.json files of their own.
	modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.runtime/', '<rootDir>/.e2e/'],
};

const project = (name) => ({
	displayName: name,
	testMatch: [`<rootDir>/test/${name}/**/*.test.[jt]s`],
	...common,
});

// The real n8n releases are installed once, before any end-to-end test and outside their timeouts.
const e2e = { ...project('e2e'), globalSetup: '<rootDir>/test/e2e/global-setup.js' };

module.exports = {
	// A global option (ignored inside a project): tests against real servers get room on a busy machine.
	testTimeout: 30_000,
	// End-to-end files that need only n8n 2.x first (see the file).
	testSequencer: '<rootDir>/test/e2e/sequencer.js',
	projects: [...['unit', 'sandbox', 'integration'].map(project), e2e],
};
