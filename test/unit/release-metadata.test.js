'use strict';
// The publish workflow's last step before `npm run release`: a package whose author e-mail is the
// repository's placeholder (or missing) is never published; a real one and the repository get in.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { releaseManifest } = require('../../scripts/release-metadata');

const ROOT = path.resolve(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const REPOSITORY = 'example-org/n8n-nodes-dingtalk-files';

describe('release metadata', () => {
	test("the repository's package.json carries no address anyone could take for real", () => {
		expect(manifest.author.email).toMatch(/\.invalid$/);
		expect(manifest).not.toHaveProperty('repository');
	});

	test.each([
		['unset', undefined, /PACKAGE_AUTHOR_EMAIL is not set/],
		['the placeholder of package.json', manifest.author.email, /reserved \.invalid domain/],
		['not an address', 'maintainers', /is not an e-mail address/],
	])('an author e-mail that is %s stops the publication', (_, authorEmail, why) => {
		expect(() => releaseManifest(manifest, { repository: REPOSITORY, authorEmail })).toThrow(why);
	});

	test('a real address and the repository are written, everything else is kept', () => {
		const released = releaseManifest(manifest, {
			repository: REPOSITORY,
			authorEmail: 'dingtalk-nodes@example.com',
		});
		expect(released.author).toEqual({
			name: manifest.author.name,
			email: 'dingtalk-nodes@example.com',
		});
		expect(released.repository).toEqual({
			type: 'git',
			url: `git+https://github.com/${REPOSITORY}.git`,
		});
		expect({ ...released, author: manifest.author, repository: undefined }).toEqual({
			...manifest,
			repository: undefined,
		});
	});

	test('the publish workflow runs it, with the variable, before publishing', () => {
		const workflow = fs.readFileSync(path.join(ROOT, '.github/workflows/publish.yml'), 'utf8');
		const step = workflow.indexOf('node scripts/release-metadata.js');
		expect(step).toBeGreaterThan(-1);
		expect(workflow.lastIndexOf('npm run release')).toBeGreaterThan(step);
		expect(workflow).toContain('PACKAGE_AUTHOR_EMAIL: ${{ vars.PACKAGE_AUTHOR_EMAIL }}');
	});

	test('run as the workflow runs it without the variable, it exits non-zero and leaves package.json alone', () => {
		const before = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
		let failure;
		try {
			execFileSync(process.execPath, [path.join(ROOT, 'scripts/release-metadata.js')], {
				env: { ...process.env, GITHUB_REPOSITORY: REPOSITORY, PACKAGE_AUTHOR_EMAIL: '' },
				stdio: 'pipe',
			});
		} catch (error) {
			failure = error;
		}
		expect(failure?.status).toBe(1);
		expect(String(failure?.stderr)).toContain('PACKAGE_AUTHOR_EMAIL is not set');
		expect(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).toBe(before);
	});
});
