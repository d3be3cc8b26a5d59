'use strict';
// Group chats in the sandbox: the groups a robot is in (ids only, paged) and a group's title, member
// count and icon by id. DingTalk has no page for either; shapes follow its SDK (robot_1_0, im_1_0), and
// README.md lists the sandbox's guesses (scopes, limits, the "no access" answer).
const { robotRefusal } = require('./robot-messages');
const { pageOf, pageSize } = require('./paging');

const PATHS = {
	installedGroups: '/v1.0/robot/installed/groups/query',
	baseInfo: '/v1.0/im/groups/baseInfos/query',
};
// both guesses: DingTalk does not say which permission these calls need
const SCOPES = { installedGroups: 'qyapi_robot_sendmsg', baseInfo: 'qyapi_chat_read' };
const MAX_RESULT = 100; // the sandbox's guess

const ERRORS = {
	maxResult: [
		400,
		'invalidParameter.maxResult',
		`maxResult must be an integer from 1 to ${MAX_RESULT}.`,
	],
	nextToken: [400, 'invalidParameter.nextToken', 'The nextToken is not one of this listing.'],
	// some groups do not let the app read their information: a picker shows them by id only
	noAccess: [403, 'noPermission', 'The app has no permission to read this group.'],
};

function createGroups(kit) {
	const grantScopes = () => kit.grantEveryApp(Object.values(SCOPES));
	grantScopes();

	function installedGroups(ctx, body) {
		const refused = robotRefusal(kit, ctx, body.robotCode);
		if (refused) return kit.apiError(ctx, refused);
		if (body.maxResult === undefined || body.maxResult === null)
			return kit.apiError(ctx, kit.API_ERRORS.param, 'Parameter error: maxResult is required.');
		const size = pageSize(body.maxResult, MAX_RESULT, null);
		if (size === null) return kit.apiError(ctx, ERRORS.maxResult);
		// in the order the robot joined them
		const ids = [...kit.seed().robotGroups]
			.filter(([, robots]) => robots.has(body.robotCode))
			.map(([openConversationId]) => openConversationId);
		const page = pageOf(ids, {
			listing: `installed ${body.robotCode}`,
			nextToken: body.nextToken,
			size,
		});
		if (page.error) return kit.apiError(ctx, ERRORS.nextToken);
		kit.apiOk(ctx, {
			hasMore: page.nextToken !== undefined,
			...(page.nextToken ? { nextToken: page.nextToken } : {}),
			openConversationIds: page.items,
		});
	}

	function baseInfo(ctx, body) {
		const { openConversationId } = body;
		if (kit.isBlank(openConversationId))
			return kit.apiError(
				ctx,
				kit.API_ERRORS.param,
				'Parameter error: openConversationId is required.',
			);
		const group = kit.seed().conversations.get(openConversationId);
		if (!group) return kit.apiError(ctx, kit.API_ERRORS.conversationNotExist);
		if (group.corpId !== ctx.auth.corpId) return kit.apiError(ctx, kit.API_ERRORS.acrossOrg);
		if (!group.titleReadable) return kit.apiError(ctx, ERRORS.noAccess);
		kit.apiOk(ctx, {
			success: true,
			result: {
				title: group.title,
				memberCount: group.members.size,
				icon: group.icon,
				openConversationId,
			},
		});
	}

	return {
		apiRoutes: [
			{ path: PATHS.installedGroups, scope: SCOPES.installedGroups, handler: installedGroups },
			{ path: PATHS.baseInfo, scope: SCOPES.baseInfo, handler: baseInfo },
		],
		hosts: {},
		control: () => ({}),
		reset: grantScopes,
		members: {},
	};
}

module.exports = { createGroups, GROUP_PATHS: PATHS, GROUP_SCOPES: SCOPES, GROUP_ERRORS: ERRORS };
