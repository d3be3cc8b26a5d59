/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports */
// The editor's pickers, called as n8n's editor calls them (a LoadOptionsContext with the node's current
// parameters, a filter and a pagination token), against the DingTalk sandbox; and the values they give,
// used by an execution.
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { IDataObject, INodeListSearchResult } from 'n8n-workflow';
import { loadPickerList, runDingTalkNode, StoredCredential } from './n8n-context';

process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'dingtalk-integration-'));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSandbox, DEMO } = require('../sandbox/server');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sandboxCredential } = require('../e2e/workflows');

interface Chat {
	openConversationId: string;
	title: string;
	spaceId: string;
	robot: boolean;
	titleReadable: boolean;
}

let sandbox: {
	start(): Promise<Record<string, string>>;
	stop(): Promise<void>;
	requests: Array<{ path: string; method: string }>;
	revokeScope(appKey: string, scope: string): void;
};
let credential: StoredCredential;

beforeEach(async () => {
	sandbox = createSandbox();
	const urls = await sandbox.start();
	credential = new StoredCredential({ ...sandboxCredential(urls).data, accessToken: '' });
});
afterEach(async () => await sandbox.stop());

const SPACE = DEMO.tree.spaceId;
const { alice } = DEMO.users;
const FOLDERS = DEMO.tree.folders;
const chats = DEMO.chats as Chat[];
const inRobotGroups = chats.filter((chat) => chat.robot);

const list = async (
	method: string,
	parameters: IDataObject = {},
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> =>
	await loadPickerList({ credential, parameters, method, filter, paginationToken });
const listFails = async (
	method: string,
	parameters: IDataObject = {},
	filter?: string,
): Promise<Error & { description?: string }> => {
	try {
		await list(method, parameters, filter);
	} catch (error) {
		return error as Error & { description?: string };
	}
	throw new Error('the list loaded');
};
const names = (result: INodeListSearchResult) => result.results.map((entry) => entry.name);
const storage = { resource: 'file', operation: 'get', spaceId: SPACE, operatorUnionId: alice };
const rl = (value: string, mode = 'list') => ({ __rl: true, mode, value });

describe('Group chat picker', () => {
	it("lists the robot's group chats by title, and by ID those whose title DingTalk does not give", async () => {
		const result = await list('searchGroupChats', { resource: 'groupSpace', operation: 'get' });
		expect(result.results.map((entry) => entry.value).sort()).toEqual(
			inRobotGroups.map((chat) => chat.openConversationId).sort(),
		);
		for (const chat of inRobotGroups) {
			const entry = result.results.find((found) => found.value === chat.openConversationId)!;
			expect(entry.name).toBe(chat.titleReadable ? chat.title : chat.openConversationId);
		}
		expect(names(result)).not.toContain('Board');
		expect(result.paginationToken).toBeUndefined();
	});

	it('filters by title or ID', async () => {
		const result = await list('searchGroupChats', {}, 'sales');
		// Sales West's title is not given to the app: it can be found by its ID only.
		expect(names(result)).toEqual(['Sales East']);
		const byId = await list('searchGroupChats', {}, 'Chat0006');
		expect(byId.results.map((entry) => entry.value)).toEqual(['cidSandboxChat0006==']);
	});

	it("names the permission when the app may not list the robot's groups", async () => {
		sandbox.revokeScope(DEMO.app.appKey, 'qyapi_robot_sendmsg');
		const error = await listFails('searchGroupChats');
		expect(`${error.message} ${error.description}`).toContain('qyapi_robot_sendmsg');
	});
});

describe('Space picker', () => {
	it('asks for the operator first', async () => {
		const error = await listFails('searchSpaces', { resource: 'file', operation: 'list' });
		expect(error.message).toBe('Fill in "Operator Union ID" first');
		const expression = await listFails('searchSpaces', {
			operatorUnionId: rl('={{ $json.unionId }}', 'id'),
		});
		// n8n works out expressions before a list loads; one left over reads input data.
		expect(expression.message).toBe('Fill in "Operator Union ID" first');
		expect(expression.description).toContain('An expression that reads input data has no value');
	});

	it("lists the spaces of the robot's group chats the operator is in, by the group's title", async () => {
		const result = await list('searchSpaces', { operatorUnionId: rl(alice) }, 'team');
		expect(result.results).toEqual([
			expect.objectContaining({ name: 'Sandbox team (group files)', value: SPACE }),
		]);
		// Bob is in some of the robot's groups only: the others have no space for him.
		const bobs = await list('searchSpaces', { operatorUnionId: DEMO.users.bob });
		const bobsChats = inRobotGroups.filter((chat) =>
			(chat as Chat & { members: string[] }).members.includes(DEMO.users.bob),
		);
		expect(bobsChats.length).toBeLessThan(inRobotGroups.length);
		expect(bobs.results.map((entry) => entry.value).sort()).toEqual(
			bobsChats.map((chat) => chat.spaceId).sort(),
		);
	});
});

describe('File and folder pickers', () => {
	it("lists the top folder's entries by name, folders marked with a slash", async () => {
		const result = await list('searchFiles', storage);
		expect(names(result)).toEqual(
			expect.arrayContaining(['Reports/', 'Photos/', 'Archive/', 'Budget 2026.xlsx', 'empty.txt']),
		);
		const budget = result.results.find((entry) => entry.name === 'Budget 2026.xlsx')!;
		expect(budget.value).toBe(DEMO.tree.files.budgetXlsx);
		expect(budget.description).toBe('File, 18 KB');
	});

	it('opens a folder by its path and filters by the last part', async () => {
		expect(names(await list('searchFiles', storage, 'reports/'))).toEqual([
			'Reports/2026/',
			'Reports/Annual summary.docx',
			'Reports/KPI (draft).csv',
		]);
		const sales = await list('searchFiles', storage, 'Reports/2026/sales');
		expect(sales.results.map((entry) => entry.value)).toEqual([
			DEMO.tree.files.salesJanXlsx,
			DEMO.tree.files.salesFebXlsx,
		]);
		// A name that is no folder filters instead: a typo shows no entries and the search stays open.
		expect(await list('searchFiles', storage, 'Reports/Nope/x')).toEqual({ results: [] });
		const partial = names(await list('searchFiles', storage, 'Rep/'));
		expect(partial).toContain('Reports/');
		expect(partial.every((name) => name.toLowerCase().includes('rep'))).toBe(true);
	});

	it('pages through a folder of 120 files, 50 at a time', async () => {
		const seen: string[] = [];
		let token: string | undefined;
		let pages = 0;
		do {
			const page = await list('searchFiles', storage, 'Archive/', token);
			seen.push(...page.results.map((entry) => String(entry.value)));
			token = page.paginationToken;
			pages++;
		} while (token);
		expect(pages).toBe(3);
		expect(new Set(seen).size).toBe(DEMO.tree.archive.count);
		expect(seen[0]).toBe(DEMO.tree.archive.first);
	});

	it('offers folders only, with the opened folder itself first', async () => {
		const top = await list('searchFolders', { ...storage, operation: 'list' });
		expect(top.results[0]).toEqual({ name: '/ (top folder)', value: '0' });
		expect(names(top).slice(1)).toEqual(
			expect.arrayContaining(['Archive/', 'Photos/', 'Reports/']),
		);
		expect(
			names(top)
				.slice(1)
				.every((name) => name.endsWith('/')),
		).toBe(true);
		expect(names(top)).not.toContain('Budget 2026.xlsx');
		const reports = await list('searchFolders', storage, 'Reports/');
		expect(reports.results.map((entry) => [entry.name, entry.value])).toEqual([
			['Reports/ (this folder)', FOLDERS.reports],
			['Reports/2026/', FOLDERS.reports2026],
		]);
	});

	it("reads the chosen group chat's space for File > Upload into a group", async () => {
		const result = await list('searchFolders', {
			resource: 'file',
			operation: 'upload',
			destination: 'group',
			openConversationId: rl(DEMO.group.openConversationId),
			operatorUnionId: rl(alice),
		});
		expect(names(result)).toContain('Reports/');
	});

	it('File > Send to User has no operator: its lists read the space as the receiver', async () => {
		const sendToUser = { resource: 'file', operation: 'sendToUser', spaceId: rl(SPACE, 'id') };
		const missing = await listFails('searchFiles', sendToUser);
		expect(missing.message).toBe('Fill in "Receiver Union ID" first');
		const files = await list('searchFiles', { ...sendToUser, receiverUnionId: rl(alice) });
		expect(names(files)).toContain('Budget 2026.xlsx');
		const spaces = await list(
			'searchSpaces',
			{ ...sendToUser, receiverUnionId: rl(alice) },
			'team',
		);
		expect(spaces.results.map((entry) => entry.value)).toEqual([SPACE]);
	});

	it('asks for the space and names the permission the app lacks', async () => {
		const error = await listFails('searchFiles', { operatorUnionId: alice });
		expect(error.message).toBe('Fill in "Space ID" first');
		sandbox.revokeScope(DEMO.app.appKey, 'Storage.File.Read');
		const denied = await listFails('searchFiles', storage);
		expect(`${denied.message} ${denied.description}`).toContain('Storage.File.Read');
	});
});

describe('User pickers', () => {
	it('finds people by name, shown with their title; the value is the ID the field takes', async () => {
		const byUnion = await list('searchUsersByUnionId', {}, 'Alice');
		expect(byUnion.results).toEqual([
			expect.objectContaining({ name: 'Alice (Engineering Manager)', value: alice }),
		]);
		const byStaff = await list('searchUsersByStaffId', {}, 'Alice');
		expect(byStaff.results.map((entry) => entry.value)).toEqual(['manager4220']);
	});

	it('sends nothing until a name is typed', async () => {
		const before = sandbox.requests.length;
		expect(await list('searchUsersByUnionId', {}, '  ')).toEqual({ results: [] });
		expect(sandbox.requests.length).toBe(before);
	});

	it('pages a search with more people than one page holds', async () => {
		const expected = (DEMO.directory as IDataObject[]).filter(
			(person) =>
				person.corpId === DEMO.corpId &&
				[person.name, person.englishName].some((name) =>
					String(name ?? '')
						.toLowerCase()
						.includes('n'),
				),
		);
		expect(expected.length).toBeGreaterThan(20);
		const first = await list('searchUsersByUnionId', {}, 'n');
		expect(first.paginationToken).toBe('20');
		const second = await list('searchUsersByUnionId', {}, 'n', first.paginationToken);
		expect(second.paginationToken).toBeUndefined();
		expect([...first.results, ...second.results].map((entry) => entry.value).sort()).toEqual(
			expected.map((person) => person.unionid).sort(),
		);
	});
});

describe('Values from the pickers in an execution', () => {
	it('File > Get takes a picked file, a space typed By ID and a picked operator', async () => {
		const [item] = await runDingTalkNode({
			credential,
			parameters: {
				resource: 'file',
				operation: 'get',
				spaceId: rl(SPACE, 'id'),
				operatorUnionId: { ...rl(alice), cachedResultName: 'Alice (Engineering Manager)' },
				fileId: { ...rl(DEMO.tree.files.notesTxt), cachedResultName: 'meeting notes.txt' },
			},
		});
		expect(item.json).toMatchObject({ id: DEMO.tree.files.notesTxt, name: 'meeting notes.txt' });
	});

	it('an empty picked folder means the top folder, and a picked folder is listed', async () => {
		const listOf = async (folderId: ReturnType<typeof rl>) =>
			await runDingTalkNode({
				credential,
				parameters: { ...storage, operation: 'list', scope: 'folder', folderId, returnAll: true },
			});
		const top = await listOf(rl('0'));
		expect(top.map((item) => item.json.name)).toContain('Reports');
		const photos = await listOf(rl(FOLDERS.photos));
		expect(photos.map((item) => item.json.name).sort()).toEqual([
			'offsite 1.png',
			'offsite 2.jpg',
			'whiteboard.png',
		]);
	});
});
