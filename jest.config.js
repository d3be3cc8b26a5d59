'use strict';
// Three projects: unit (pure logic), integration (our code against the DingTalk sandbox over HTTP)
// and e2e (the packed package inside a real n8n process, against the sandbox).
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', diagnostics: false }];

const common = {
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': tsJest },
	// Built output, installed n8n copies and e2e user folders hold package.json files of their own.
	modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.runtime/', '<rootDir>/.e2e/'],
};

module.exports = {
	projects: [
		{
			displayName: 'unit',
			testMatch: ['<rootDir>/test/unit/**/*.test.[jt]s'],
			...common,
		},
		{
			displayName: 'integration',
			testMatch: ['<rootDir>/test/integration/**/*.test.[jt]s'],
			...common,
		},
		{
			displayName: 'e2e',
			testMatch: ['<rootDir>/test/e2e/**/*.test.[jt]s'],
			...common,
		},
	],
};
