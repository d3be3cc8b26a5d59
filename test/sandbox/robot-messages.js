'use strict';
// Robot messages in the sandbox: a robot's message to a group it is in, and one-to-one messages to up to
// 20 users (staff user IDs), as DingTalk's help pages and SDK (robot_1_0) describe them. Media IDs in a
// message must come from the sandbox's own /media/upload, with the right media type.
const PATHS = {
	toGroup: '/v1.0/robot/groupMessages/send',
	toUsers: '/v1.0/robot/oToMessages/batchSend',
};
const SCOPE = 'qyapi_robot_sendmsg';
const MAX_USERS = 20;
const MAX_PARAM_BYTES = 15000;

const ERRORS = {
	robotEmpty: [400, 'invalidParameter.robotCode.empty', 'robotCode is empty.'],
	notInGroup: [
		400,
		'invalidParameter.robotCode.empty',
		'The robot cannot send to this group: check whether the bot is in the group.',
	],
	robotAuth: [
		400,
		'invalidParameter.robotCode.auth',
		'The robotCode does not belong to this app or organization.',
	],
	usersEmpty: [400, 'invalidParameter.userIds.empty', 'userIds is empty.'],
	usersOverMax: [400, 'invalidParameter.userIds.overMax', 'At most 20 userIds are allowed.'],
	msgKey: [400, 'invalidParameter.msgKey.invalid', 'The msgKey is invalid.'],
	msgParam: [400, 'invalidParameter.msgParam.invalid', 'The msgParam is invalid.'],
};

// msgKey -> each field of msgParam: the media type it must name (a media ID), or a check of its text
const MEDIA = (type) => ({ media: type });
const TEXT = { text: true };
const DIGITS = { digits: true };
const MESSAGES = {
	sampleText: { content: TEXT },
	sampleMarkdown: { title: TEXT, text: TEXT },
	sampleImageMsg: { photoURL: { mediaOrUrl: 'image' } },
	sampleFile: { mediaId: MEDIA('file'), fileName: TEXT, fileType: TEXT },
	sampleAudio: { mediaId: MEDIA('voice'), duration: DIGITS },
	sampleVideo: {
		duration: DIGITS,
		videoMediaId: MEDIA('video'),
		videoType: { oneOf: ['mp4'] },
		picMediaId: MEDIA('image'),
	},
};

// Robot messages to users take staff user IDs (userId), not unionIds: those of the directory (seed.js),
// and these four older IDs of the first seed, which one-to-one sends still accept.
const STAFF = {
	staffAlice01: { name: 'Alice', unionId: 'unionAlice000001', corpId: 'dingsandboxcorp' },
	staffBob02: { name: 'Bob', unionId: 'unionBob00000002', corpId: 'dingsandboxcorp' },
	staffCarol03: { name: 'Carol', unionId: 'unionCarol000003', corpId: 'dingsandboxcorp' },
	staffOscar04: { name: 'Oscar', unionId: 'unionOutsider004', corpId: 'dingothercorp' },
};

/** The refusal (an error tuple) when this caller may not act as the robot `robotCode`, else null. */
function robotRefusal(kit, ctx, robotCode) {
	if (kit.isBlank(robotCode)) return ERRORS.robotEmpty;
	const corpId = kit.seed().robots.get(robotCode);
	// an internal app acts as its own robot, whose code is its AppKey
	if (corpId !== ctx.auth.corpId || (ctx.auth.kind === 'internal' && robotCode !== ctx.auth.appKey))
		return ERRORS.robotAuth;
	return null;
}

// a staff user ID of this organisation: the directory's, or one of the first seed's
const isStaff = (kit, userId, corpId) =>
	STAFF[userId]?.corpId === corpId ||
	[...kit.seed().users.values()].some((user) => user.userid === userId && user.corpId === corpId);

function createRobotMessages(kit) {
	const messages = [];
	let flowControlled = new Set();

	// msgKey + msgParam -> { param, media } or an error tuple
	function readMessage(ctx, msgKey, msgParam) {
		const fields = MESSAGES[msgKey];
		if (!fields) return { error: [ERRORS.msgKey] };
		if (typeof msgParam !== 'string')
			return { error: [ERRORS.msgParam, 'msgParam must be a JSON string.'] };
		if (Buffer.byteLength(msgParam, 'utf8') > MAX_PARAM_BYTES)
			return { error: [ERRORS.msgParam, `msgParam may not exceed ${MAX_PARAM_BYTES} bytes.`] };
		let param;
		try {
			param = JSON.parse(msgParam);
		} catch {
			return { error: [ERRORS.msgParam, 'msgParam is not valid JSON.'] };
		}
		if (!param || typeof param !== 'object' || Array.isArray(param))
			return { error: [ERRORS.msgParam, 'msgParam must be a JSON object.'] };
		const media = [];
		for (const [name, rule] of Object.entries(fields)) {
			const value = param[name];
			const bad = (why) => ({ error: [ERRORS.msgParam, `msgParam.${name} ${why}.`] });
			if (typeof value !== 'string' || value.trim() === '') return bad('is required');
			if (rule.digits && !/^\d+$/.test(value)) return bad('must be a number as a string');
			if (rule.oneOf && !rule.oneOf.includes(value)) return bad(`must be one of ${rule.oneOf}`);
			const type =
				rule.media ?? (rule.mediaOrUrl && !/^https?:\/\//.test(value) ? rule.mediaOrUrl : null);
			if (type) {
				const item = kit.media.get(value);
				if (!item || item.appKey !== ctx.auth.appKey) return bad('is not a media ID of this app');
				if (item.type !== type) return bad(`must be ${type} media, not ${item.type}`);
				media.push({
					field: name,
					mediaId: value,
					type: item.type,
					filename: item.filename,
					size: item.size,
					sha256: item.sha256,
				});
			}
		}
		return { param, media };
	}

	function record(ctx, body, read, extra) {
		const processQueryKey = kit.alnum(32);
		messages.push({
			endpoint: ctx.path,
			robotCode: body.robotCode,
			msgKey: body.msgKey,
			msgParam: read.param,
			media: read.media,
			processQueryKey,
			appKey: ctx.auth.appKey,
			time: Date.now(),
			...extra,
		});
		return processQueryKey;
	}

	function toGroup(ctx, body) {
		const refused = robotRefusal(kit, ctx, body.robotCode);
		if (refused) return kit.apiError(ctx, refused);
		if (kit.isBlank(body.openConversationId))
			return kit.apiError(
				ctx,
				kit.API_ERRORS.param,
				'Parameter error: openConversationId is required.',
			);
		const conversation = kit.seed().conversations.get(body.openConversationId);
		const robots = kit.seed().robotGroups.get(body.openConversationId);
		if (!conversation || !robots?.has(body.robotCode)) return kit.apiError(ctx, ERRORS.notInGroup);
		const read = readMessage(ctx, body.msgKey, body.msgParam);
		if (read.error) return kit.apiError(ctx, ...read.error);
		const processQueryKey = record(ctx, body, read, {
			openConversationId: body.openConversationId,
		});
		kit.apiOk(ctx, { processQueryKey });
	}

	function toUsers(ctx, body) {
		const refused = robotRefusal(kit, ctx, body.robotCode);
		if (refused) return kit.apiError(ctx, refused);
		if (!Array.isArray(body.userIds) || body.userIds.length === 0)
			return kit.apiError(ctx, ERRORS.usersEmpty);
		if (body.userIds.length > MAX_USERS) return kit.apiError(ctx, ERRORS.usersOverMax);
		const read = readMessage(ctx, body.msgKey, body.msgParam);
		if (read.error) return kit.apiError(ctx, ...read.error);
		const invalid = body.userIds.filter((id) => !isStaff(kit, id, ctx.auth.corpId));
		const throttled = body.userIds.filter((id) => !invalid.includes(id) && flowControlled.has(id));
		const delivered = body.userIds.filter((id) => !invalid.includes(id) && !throttled.includes(id));
		const processQueryKey = record(ctx, body, read, {
			userIds: body.userIds,
			deliveredTo: delivered,
		});
		kit.apiOk(ctx, {
			processQueryKey,
			invalidStaffIdList: invalid,
			flowControlledStaffIdList: throttled,
		});
	}

	const members = {
		robotMessages: messages,
		staffUserIds: Object.fromEntries(
			Object.entries(STAFF).map(([id, user]) => [user.name.toLowerCase(), id]),
		),
		setFlowControlled(userIds) {
			if (!Array.isArray(userIds)) throw new Error('userIds must be an array');
			flowControlled = new Set(userIds);
		},
		addRobotToGroup(openConversationId, robotCode) {
			const { robotGroups } = kit.seed();
			if (!robotGroups.has(openConversationId)) robotGroups.set(openConversationId, new Set());
			robotGroups.get(openConversationId).add(robotCode);
		},
	};

	return {
		apiRoutes: [
			{ path: PATHS.toGroup, scope: SCOPE, handler: toGroup },
			{ path: PATHS.toUsers, scope: SCOPE, handler: toUsers },
		],
		hosts: {},
		control: (body) => ({
			'GET /_sandbox/robot-messages': () => messages,
			'POST /_sandbox/flow-controlled': () => members.setFlowControlled(body.userIds),
		}),
		reset() {
			messages.length = 0;
			flowControlled = new Set();
		},
		members,
	};
}

module.exports = {
	createRobotMessages,
	robotRefusal,
	ROBOT_MESSAGE_PATHS: PATHS,
	ROBOT_MESSAGE_ERRORS: ERRORS,
	STAFF_USER_IDS: Object.keys(STAFF),
};
