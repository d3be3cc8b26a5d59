'use strict';
// Three projects: unit (pure logic), integration (our code against the DingTalk sandbox over HTTP)
// and e2e (the packed package inside a real n8n process, against the sandbox).
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', diagnostics: false }];

module.exports = {
	projects: [
		{
			displayName: 'unit',
			testMatch: ['<rootDir>/test/unit/**/*.test.[jt]s'],
			transform: { '^.+\\.ts$': tsJest },
			testEnvironment: 'node',
		},
		{
			displayName: 'integration',
			testMatch: ['<rootDir>/test/integration/**/*.test.[jt]s'],
			transform: { '^.+\\.ts$': tsJest },
			testEnvironment: 'node',
		},
		{
			displayName: 'e2e',
			testMatch: ['<rootDir>/test/e2e/**/*.test.[jt]s'],
			transform: { '^.+\\.ts$': tsJest },
			testEnvironment: 'node',
			testTimeout: 20 * 60 * 1000,
		},
	],
};
