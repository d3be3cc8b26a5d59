'use strict';
// The organisation's people in the sandbox: three legacy look-ups on the legacy host (by userid, userid by
// unionid, userid by mobile; token in ?access_token=, answers {errcode, errmsg, result}) and the new API's
// search by name. The people are the seed's directory (seed.js). Wire facts: DingTalk's help pages and
// SDK (contact_1_0); README.md lists the sandbox's guesses.
const PATHS = {
	byUserId: '/topapi/v2/user/get',
	byUnionId: '/topapi/user/getbyunionid',
	byMobile: '/topapi/v2/user/getbymobile',
	search: '/v1.0/contact/users/search',
};
const SCOPES = {
	member: 'qyapi_get_member',
	byMobile: 'qyapi_get_member_by_mobile',
	search: 'qyapi_addresslist_search',
	// the sandbox's guess at the extra permission that adds `mobile` to /topapi/v2/user/get (not granted)
	mobileField: 'Contact.User.mobile',
};
// the fields of /topapi/v2/user/get's result, in this order; `mobile` only with SCOPES.mobileField
const USER_FIELDS = [
	'userid',
	'unionid',
	'name',
	'avatar',
	'title',
	'job_number',
	'dept_id_list',
	'active',
	'admin',
	'boss',
	'hired_date',
];
const CONTACT_TYPE_EMPLOYEE = 0;
// a mobile number: 11 digits from 1 (mainland China), or +<country code>-<number>
const MOBILE = /^(1\d{10}|\+\d{1,4}-\d{4,14})$/;
const MAX_SEARCH_SIZE = 100; // the sandbox's guess (DingTalk does not say)
const FULL_MATCH = 1;

const LEGACY = {
	notFound: { errcode: 60121, errmsg: '找不到该用户' },
	badMobile: { errcode: 40104, errmsg: '无效的手机号' },
	// DingTalk lists 400002 among the mobile look-up's errors; the sandbox uses it for a missing parameter
	badParameter: { errcode: 400002, errmsg: '无效的参数' },
};

function createDirectory(kit) {
	const grantScopes = () => kit.grantEveryApp([SCOPES.member, SCOPES.byMobile, SCOPES.search]);
	grantScopes();

	// the people of an organisation (seed.users also holds users without a userid: addUsers())
	const peopleOf = (corpId) =>
		[...kit.seed().users.values()].filter((user) => user.userid && user.corpId === corpId);

	const ok = (ctx, result) =>
		kit.legacyReply(ctx, { errcode: 0, errmsg: 'ok', result, request_id: ctx.requestId });

	// a required text parameter of a legacy body, or undefined (after answering 400002)
	function required(ctx, body, name) {
		const value = body?.[name];
		if (typeof value === 'string' && value.trim() !== '') return value.trim();
		kit.legacyError(ctx, LEGACY.badParameter, `${name} is required`);
		return undefined;
	}

	function byUserId(ctx, body) {
		const userid = required(ctx, body, 'userid');
		if (userid === undefined) return;
		const person = peopleOf(ctx.auth.corpId).find((user) => user.userid === userid);
		if (!person) return kit.legacyReply(ctx, LEGACY.notFound);
		const result = Object.fromEntries(USER_FIELDS.map((field) => [field, person[field]]));
		if (kit.seed().scopes.get(ctx.auth.appKey)?.has(SCOPES.mobileField))
			result.mobile = person.mobile;
		ok(ctx, result);
	}

	function byUnionId(ctx, body) {
		const unionid = required(ctx, body, 'unionid');
		if (unionid === undefined) return;
		const person = peopleOf(ctx.auth.corpId).find((user) => user.unionid === unionid);
		if (!person) return kit.legacyReply(ctx, LEGACY.notFound);
		ok(ctx, { userid: person.userid, contact_type: CONTACT_TYPE_EMPLOYEE });
	}

	function byMobile(ctx, body) {
		const mobile = required(ctx, body, 'mobile');
		if (mobile === undefined) return;
		if (!MOBILE.test(mobile)) return kit.legacyReply(ctx, LEGACY.badMobile);
		const person = peopleOf(ctx.auth.corpId).find((user) => user.mobile === mobile);
		if (!person) return kit.legacyReply(ctx, LEGACY.notFound);
		ok(ctx, { userid: person.userid, exclusive_account_userid_list: [] });
	}

	// name or English name, case-insensitive: a part of it, or all of it with fullMatchField 1
	function search(ctx, body) {
		const { queryWord, offset, size, fullMatchField } = body;
		if (kit.isBlank(queryWord))
			return kit.apiError(ctx, kit.API_ERRORS.param, 'Parameter error: queryWord is required.');
		if (!(Number.isInteger(offset) && offset >= 0))
			return kit.apiError(ctx, kit.API_ERRORS.param, 'Parameter error: offset is invalid.');
		if (!(Number.isInteger(size) && size >= 1 && size <= MAX_SEARCH_SIZE))
			return kit.apiError(
				ctx,
				kit.API_ERRORS.param,
				`Parameter error: size must be an integer from 1 to ${MAX_SEARCH_SIZE}.`,
			);
		const word = queryWord.trim().toLowerCase();
		const matches = (name) =>
			typeof name === 'string' &&
			(fullMatchField === FULL_MATCH
				? name.toLowerCase() === word
				: name.toLowerCase().includes(word));
		const found = peopleOf(ctx.auth.corpId).filter(
			(user) => matches(user.name) || matches(user.englishName),
		);
		kit.apiOk(ctx, {
			list: found.slice(offset, offset + size).map((user) => user.userid),
			hasMore: offset + size < found.length,
			totalCount: found.length,
		});
	}

	return {
		apiRoutes: [{ path: PATHS.search, scope: SCOPES.search, handler: search }],
		legacyRoutes: [
			{ path: PATHS.byUserId, scope: SCOPES.member, handler: byUserId },
			{ path: PATHS.byUnionId, scope: SCOPES.member, handler: byUnionId },
			{ path: PATHS.byMobile, scope: SCOPES.byMobile, internalOnly: true, handler: byMobile },
		],
		hosts: {},
		control: () => ({}),
		reset: grantScopes,
		members: {},
	};
}

module.exports = { createDirectory, DIRECTORY_PATHS: PATHS, DIRECTORY_SCOPES: SCOPES };
