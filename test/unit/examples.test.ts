/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
import { readFileSync } from 'fs';
import { join } from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { exampleWorkflows, serialize } = require('../../examples/build');

describe('example workflows', () => {
	const workflows: Record<
		string,
		{ nodes: Array<{ type: string; parameters: Record<string, unknown> }> }
	> = exampleWorkflows();

	it.each(Object.keys(workflows))(
		'%s is what examples/build.js builds (run `npx gulp examples` after changing it)',
		(file) => {
			expect(readFileSync(join(__dirname, '..', '..', 'examples', file), 'utf8')).toBe(
				serialize(workflows[file]),
			);
		},
	);

	it('together use every operation the README lists as exampled', () => {
		const used = Object.values(workflows).flatMap((workflow) =>
			workflow.nodes
				.filter((node) => node.type === 'n8n-nodes-dingtalk-files.dingTalk')
				.map((node) => `${node.parameters.resource}.${node.parameters.operation}`),
		);
		expect(new Set(used)).toEqual(
			new Set([
				'groupSpace.get',
				'file.sendToUser',
				'file.sendLinkToGroup',
				'media.upload',
				'robotFile.download',
				'file.upload',
				'robotMessage.send',
				'file.list',
				'file.download',
				'file.sendToGroup',
				'robotMessage.reply',
			]),
		);
	});
});
