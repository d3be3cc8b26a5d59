'use strict';
// The sandbox's directory (legacy user look-ups, the new API's search) and the robot's group chats
// (installed groups, group base infos), over real HTTP.
const { DEMO } = require('./server');
const { useSandbox, expectApiError, expectErrcode } = require('./client');

const t = useSandbox();
const byUserId = (body, options) => t.legacy('/topapi/v2/user/get', { body, ...options });
const byUnionId = (body, options) => t.legacy('/topapi/user/getbyunionid', { body, ...options });
const byMobile = (body, options) => t.legacy('/topapi/v2/user/getbymobile', { body, ...options });
const search = (body, options) => t.api('/v1.0/contact/users/search', { body, ...options });
const installed = (body, options) =>
	t.api('/v1.0/robot/installed/groups/query', {
		body: { robotCode: DEMO.app.robotCode, ...body },
		...options,
	});
const baseInfo = (openConversationId) =>
	t.api('/v1.0/im/groups/baseInfos/query', { body: { openConversationId } });

describe('users', () => {
	test('by userid: the directory entry of Alice, who sends the robot messages as manager4220', async () => {
		const { message } = t.sandbox.robot.buildMessage({ sender: 'alice' });
		const res = await byUserId({ userid: message.senderStaffId, language: 'zh_CN' });
		expect(res.json).toEqual({
			errcode: 0,
			errmsg: 'ok',
			request_id: expect.any(String),
			result: {
				userid: 'manager4220',
				unionid: message.senderUnionId,
				name: 'Alice',
				avatar: expect.stringMatching(/^https:\/\//),
				title: 'Engineering Manager',
				job_number: expect.any(String),
				dept_id_list: [1001],
				active: true,
				admin: true,
				boss: false,
				hired_date: expect.any(Number),
			},
		});
		const bob = t.sandbox.robot.buildMessage({ sender: 'bob' }).message;
		const found = await byUserId({ userid: bob.senderStaffId });
		expect(found.json.result).toMatchObject({ userid: 'staff0002', unionid: DEMO.users.bob });
	});

	test('by userid: form bodies too; mobile only with the extra permission; errors', async () => {
		const form = await t.legacy('/topapi/v2/user/get', { form: { userid: 'staff0104' } });
		expect(form.json.result).toMatchObject({ name: '张伟', title: 'Product Manager' });
		expect(form.json.result).not.toHaveProperty('mobile');
		t.sandbox.grantScope(DEMO.app.appKey, 'Contact.User.mobile');
		expect((await byUserId({ userid: 'staff0104' })).json.result.mobile).toMatch(/^1\d{10}$/);
		expectErrcode(await byUserId({ userid: 'nobody' }), 60121);
		expectErrcode(await byUserId({ userid: 'staffOscar04' }), 60121); // another organisation
		expectErrcode(await byUserId({}), 400002);
		expectErrcode(await byUserId({ userid: 'staff0104' }, { token: null }), 88);
		t.sandbox.revokeScope(DEMO.app.appKey, 'qyapi_get_member');
		expectErrcode(await byUserId({ userid: 'staff0104' }), 60011);
	});

	test('userid by unionid and by mobile', async () => {
		expect((await byUnionId({ unionid: DEMO.users.carol })).json).toMatchObject({
			errcode: 0,
			result: { userid: 'staffCarol03', contact_type: 0 },
		});
		expectErrcode(await byUnionId({ unionid: DEMO.users.outsider }), 60121);
		const mobile = DEMO.directory.find((person) => person.userid === 'staff0110').mobile;
		expect((await byMobile({ mobile })).json).toMatchObject({
			errcode: 0,
			result: { userid: 'staff0110' },
		});
		expectErrcode(await byMobile({ mobile: '12345' }), 40104);
		expectErrcode(await byMobile({ mobile: '13999999999' }), 60121);
		expectErrcode(await byMobile({ mobile }, { token: await t.suiteToken() }), 60011);
		t.sandbox.revokeScope(DEMO.app.appKey, 'qyapi_get_member_by_mobile');
		expectErrcode(await byMobile({ mobile }), 60011);
	});

	test('search: 30 people; a part of the name or English name, any case; offset and size', async () => {
		const everyone = DEMO.directory.filter((person) => person.corpId === DEMO.corpId);
		expect(everyone).toHaveLength(30);
		const first = await search({ queryWord: 'LI', offset: 0, size: 3 });
		expect(first.status).toBe(200);
		expect(first.json).toEqual({
			list: ['manager4220', 'staff0106', 'staff0107'],
			hasMore: true,
			totalCount: 8,
		});
		const last = await search({ queryWord: 'li', offset: 6, size: 3 });
		expect(last.json).toEqual({ list: ['staff0126', 'staff0130'], hasMore: false, totalCount: 8 });
		expect((await search({ queryWord: '张', offset: 0, size: 10 })).json.list).toEqual([
			'staff0104',
		]);
		const exact = await search({ queryWord: 'fang wang', offset: 0, size: 10, fullMatchField: 1 });
		expect(exact.json.list).toEqual(['staff0105']);
		expect((await search({ queryWord: 'nobody', offset: 0, size: 10 })).json).toEqual({
			list: [],
			hasMore: false,
			totalCount: 0,
		});
		expectApiError(await search({ queryWord: 'li', size: 3 }), 400, 'paramError');
		t.sandbox.revokeScope(DEMO.app.appKey, 'qyapi_addresslist_search');
		expectApiError(
			await search({ queryWord: 'li', offset: 0, size: 3 }),
			403,
			'Forbidden.AccessDenied.AccessTokenPermissionDenied',
		);
	});

	test('one-to-one robot messages take the directory userids and the first seed staff IDs', async () => {
		const res = await t.api('/v1.0/robot/oToMessages/batchSend', {
			body: {
				robotCode: DEMO.app.robotCode,
				userIds: ['manager4220', 'staff0129', 'staffAlice01', 'staffOscar04'],
				msgKey: 'sampleText',
				msgParam: '{"content":"hi"}',
			},
		});
		expect(res.json.invalidStaffIdList).toEqual(['staffOscar04']);
	});
});

describe('group chats', () => {
	test('the robot is in 14 groups: pages of 10, then 4, the last without nextToken', async () => {
		const first = await installed({ maxResult: 10 });
		expect(first.status).toBe(200);
		expect(first.json).toEqual({
			hasMore: true,
			nextToken: expect.any(String),
			openConversationIds: DEMO.robotGroups.slice(0, 10),
		});
		expect(first.json.openConversationIds[0]).toBe(DEMO.group.openConversationId);
		const second = await installed({ maxResult: 10, nextToken: first.json.nextToken });
		expect(second.json).toEqual({
			hasMore: false,
			openConversationIds: DEMO.robotGroups.slice(10),
		});
		expect(DEMO.robotGroups).toHaveLength(14);
		t.sandbox.addRobotToGroup('cidSandboxChat0015==', DEMO.app.robotCode);
		expect((await installed({ maxResult: 20 })).json.openConversationIds.at(-1)).toBe(
			'cidSandboxChat0015==',
		);
	});

	test('installed groups: maxResult required, tokens of this listing, the caller own robot', async () => {
		expectApiError(await installed({}), 400, 'paramError');
		expectApiError(await installed({ maxResult: 0 }), 400, 'invalidParameter.maxResult');
		expectApiError(
			await installed({ maxResult: 10, nextToken: 'bm9wZQ' }),
			400,
			'invalidParameter.nextToken',
		);
		expectApiError(
			await installed({ maxResult: 10, robotCode: DEMO.otherRobotCode }),
			400,
			'invalidParameter.robotCode.auth',
		);
		expectApiError(
			await installed({ maxResult: 10, robotCode: '' }),
			400,
			'invalidParameter.robotCode.empty',
		);
	});

	test('base infos: title, member count, icon; some groups refuse; unknown and foreign groups', async () => {
		const team = await baseInfo(DEMO.group.openConversationId);
		expect(team.json).toEqual({
			success: true,
			result: {
				title: 'Sandbox team',
				memberCount: 2,
				icon: expect.any(String),
				openConversationId: DEMO.group.openConversationId,
			},
		});
		const hidden = DEMO.chats.filter((chat) => !chat.titleReadable);
		expect(hidden.length).toBeGreaterThanOrEqual(2);
		expectApiError(await baseInfo(hidden[0].openConversationId), 403, 'noPermission');
		const chinese = DEMO.chats.find((chat) => chat.title === '产品讨论组');
		expect((await baseInfo(chinese.openConversationId)).json.result.memberCount).toBe(
			chinese.members.length,
		);
		expectApiError(await baseInfo('cidNoSuchGroup=='), 404, 'conversationNotExist');
		expectApiError(
			await baseInfo(DEMO.otherCorpGroup.openConversationId),
			403,
			'acrossOrgAccessForbidden',
		);
	});

	test('each chat has a space of its own for its members, and the robot can message it', async () => {
		const chat = DEMO.chats[3];
		const space = await t.api(
			`/v1.0/convFile/conversations/spaces/query?unionId=${DEMO.users.alice}`,
			{ body: { openConversationId: chat.openConversationId } },
		);
		expect(space.json.space.spaceId).toBe(chat.spaceId);
		const sent = await t.api('/v1.0/robot/groupMessages/send', {
			body: {
				robotCode: DEMO.app.robotCode,
				openConversationId: chat.openConversationId,
				msgKey: 'sampleText',
				msgParam: '{"content":"hi"}',
			},
		});
		expect(sent.status).toBe(200);
	});
});
