'use strict';
// Run by the publish workflow just before `npm run release`: writes into package.json what only the
// publisher knows. The repository is the one the workflow runs in (npm checks the provenance statement
// against it). The author's e-mail comes from the repository variable PACKAGE_AUTHOR_EMAIL: package.json
// in git holds an address under the reserved `.invalid` domain, because n8n's lint (valid-author)
// requires one and nobody in the repository can vouch for a real one. Nothing is published with it.
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE_JSON = path.resolve(__dirname, '..', 'package.json');
const PLAIN_EMAIL = /^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/;

/** Why `email` cannot be the published author's address, or undefined when it can. */
function authorEmailProblem(email) {
	if (!email) return 'the repository variable PACKAGE_AUTHOR_EMAIL is not set';
	if (!PLAIN_EMAIL.test(email)) return `"${email}" is not an e-mail address`;
	if (/\.invalid$/i.test(email)) return `"${email}" is under the reserved .invalid domain`;
	return undefined;
}

/** package.json as it is published: the repository and the author's real e-mail filled in. */
function releaseManifest(manifest, { repository, authorEmail }) {
	if (!/^[\w.-]+\/[\w.-]+$/.test(repository ?? ''))
		throw new Error(`GITHUB_REPOSITORY must be "owner/name", not "${repository ?? ''}"`);
	const problem = authorEmailProblem(authorEmail);
	if (problem)
		throw new Error(
			`Not publishing: ${problem}. Set it (repository settings > Secrets and variables > Actions > Variables) to an address where the maintainers answer; n8n and npm show it to users.`,
		);
	return {
		...manifest,
		author: { ...manifest.author, email: authorEmail },
		repository: { type: 'git', url: `git+https://github.com/${repository}.git` },
	};
}

if (require.main === module) {
	try {
		const manifest = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8'));
		const released = releaseManifest(manifest, {
			repository: process.env.GITHUB_REPOSITORY,
			authorEmail: process.env.PACKAGE_AUTHOR_EMAIL?.trim(),
		});
		fs.writeFileSync(PACKAGE_JSON, `${JSON.stringify(released, null, '\t')}\n`);
		process.stdout.write(
			`package.json: author ${released.author.name} <${released.author.email}>, repository ${released.repository.url}\n`,
		);
	} catch (error) {
		process.stderr.write(`::error::${error.message}\n`);
		process.exitCode = 1;
	}
}

module.exports = { authorEmailProblem, releaseManifest };
