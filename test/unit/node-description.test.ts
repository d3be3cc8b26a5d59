import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { DingTalk, RESOURCES } from '../../nodes/DingTalk/DingTalk.node';
import { DingTalkRobotTrigger } from '../../nodes/DingTalkRobotTrigger/DingTalkRobotTrigger.node';
import { DingTalkRobotWebhookTrigger } from '../../nodes/DingTalkRobotWebhookTrigger/DingTalkRobotWebhookTrigger.node';

const properties = new DingTalk().description.properties;
const optionsOf = (property: INodeProperties) => (property.options ?? []) as INodePropertyOptions[];
const operationOf = (resource: string, operation: string) =>
	RESOURCES.find((entry) => entry.option.value === resource)?.operations[operation];

describe('the node description the editor shows', () => {
	const resourceProperty = properties.find((property) => property.name === 'resource')!;
	const resources = optionsOf(resourceProperty).map((option) => String(option.value));
	const operationLists = properties.filter((property) => property.name === 'operation');

	it('lists every resource once, each with its own Operation list', () => {
		expect(resources).toEqual(RESOURCES.map((resource) => resource.option.value));
		expect(operationLists.map((property) => property.displayOptions?.show?.resource?.[0])).toEqual(
			resources,
		);
		expect(resources).toContain(resourceProperty.default);
	});

	it('has an operation behind every resource/operation pair the editor offers', () => {
		const offered = operationLists.flatMap((property) =>
			optionsOf(property).map((option) => [
				String(property.displayOptions?.show?.resource?.[0]),
				String(option.value),
			]),
		);
		expect(offered.length).toBeGreaterThanOrEqual(RESOURCES.length);
		for (const [resource, operation] of offered) {
			expect({ resource, operation, found: Boolean(operationOf(resource, operation)) }).toEqual({
				resource,
				operation,
				found: true,
			});
		}
		for (const property of operationLists) {
			const resource = String(property.displayOptions?.show?.resource?.[0]);
			expect(operationOf(resource, String(property.default))).toBeDefined();
		}
	});

	it('gives every picker a list method the node has, and a By ID mode', () => {
		const collect = (list: INodeProperties[]): INodeProperties[] =>
			list.flatMap((property) => [
				property,
				...collect(
					(property.options ?? []).filter((option): option is INodeProperties => 'type' in option),
				),
			]);
		const pickers = collect(properties).filter((property) => property.type === 'resourceLocator');
		expect([...new Set(pickers.map((property) => property.name))].sort()).toEqual(
			[
				...new Set([
					'fileId',
					'folderId',
					'openConversationId',
					'operatorUnionId',
					'parentFolderId',
					'receiverUnionId',
					'spaceId',
					'staffId',
					'unionId',
				]),
			].sort(),
		);
		const methods = new DingTalk().methods.listSearch;
		for (const property of pickers) {
			const modes = property.modes ?? [];
			expect(modes.map((mode) => mode.name)).toEqual(['list', 'id']);
			const method = String(modes[0].typeOptions?.searchListMethod);
			expect(`${property.name}: ${method} ${typeof methods[method]}`).toBe(
				`${property.name}: ${method} function`,
			);
		}
	});

	it('shows every field only for operations that exist', () => {
		const shown = properties.filter((property) => property.displayOptions?.show?.operation);
		expect(shown.length).toBeGreaterThan(5);
		for (const property of shown) {
			const [resource] = property.displayOptions!.show!.resource as string[];
			for (const operation of property.displayOptions!.show!.operation as string[]) {
				expect(
					`${property.name}: ${resource}.${operation} ${Boolean(operationOf(resource, operation))}`,
				).toBe(`${property.name}: ${resource}.${operation} true`);
			}
		}
	});

	it('describes each action as a sentence: a capitalised verb and no stray letter left by a dropped apostrophe', () => {
		const actions = operationLists.flatMap((property) =>
			optionsOf(property).map((option) => String(option.action)),
		);
		for (const action of actions) {
			expect(action).toMatch(/^[A-Z][a-z]+ (a|an|the) [a-z]/);
			expect(action).not.toMatch(/\bs\b/);
		}
		expect(actions).toContain('Get the storage space of a group');
	});

	it('offers Timeout in milliseconds with a real default, as the HTTP Request node does', () => {
		const requestOptions = properties.find((property) => property.name === 'requestOptions')!;
		const timeout = (requestOptions.options as INodeProperties[]).find(
			(option) => option.name === 'timeout',
		)!;
		expect(timeout.default).toBe(60000);
		expect(timeout.description).toMatch(/^Time in ms /);
	});
});

describe('the robot triggers in the editor', () => {
	const stream = new DingTalkRobotTrigger().description;
	const webhook = new DingTalkRobotWebhookTrigger().description;
	const optionNames = (description: typeof stream) =>
		(description.properties.find((property) => property.name === 'options')?.options ?? []).map(
			(option) => (option as INodeProperties).name,
		);

	it('warns where "Listen for test event" is pressed that listening takes messages from a published workflow', () => {
		const warning =
			/second Stream connection for this app\. DingTalk hands each message to only one of them/;
		const panel = stream.triggerPanel as { executionsHelp: { active: string } };
		expect(panel.executionsHelp.active).toMatch(warning);
		const notices = stream.properties.filter((property) => property.type === 'notice');
		expect(notices.some((notice) => warning.test(notice.displayName))).toBe(true);
	});

	it("both offer the sender's union ID and who may start the workflow: senders and chats", () => {
		for (const description of [stream, webhook]) {
			expect(optionNames(description)).toEqual([
				'addSenderUnionId',
				'senderStaffIds',
				'conversationIds',
			]);
		}
	});
});
