/**
 * DingTalk's error guide: what each documented code means for the user and what to do about it, in
 * the node's words. The codes themselves and how answers are read are DingTalk's facts, in wire.ts.
 */

import { SESSION_EXPIRED_ERRCODE } from './wire';

// Guidance that a new-API code and its legacy errcode twin share.
const APP_QPS_EXCEEDED = {
	meaning:
		"DingTalk's limit of calls per second for this app and API was exceeded, even after retries",
	action: 'Lower the node\'s "Calls per Second" option, or spread the work over a longer time.',
};
const API_QPS_EXCEEDED = {
	meaning: 'DingTalk is limiting calls to this API for everyone, even after retries',
	action: 'Try again later.',
};
const MONTHLY_QUOTA_USED = {
	meaning: 'the organisation has used up its monthly DingTalk API call quota',
	action: 'Wait for the quota to reset next month or upgrade the DingTalk edition.',
};
const BUSY = { meaning: 'DingTalk is busy', action: 'Try again in a moment.' };
const APP_LACKS_PERMISSION = {
	meaning: 'the DingTalk app lacks the API permission this operation needs',
	action:
		'In the DingTalk developer console open the app, go to Permissions, apply for {scopes}, and publish a new version of the app.',
};
const TOKEN_REJECTED = {
	meaning: 'DingTalk did not accept the access token, even a newly fetched one',
	action:
		"The node fetched a new token and sent the call once more. Check that the credential's region or base URLs belong to the app's DingTalk (China or International), and that no proxy changes the request.",
};
const TOKEN_MISSING = {
	meaning: 'the request reached DingTalk without an access token',
	action:
		"Check the credential's custom base URLs: the token is added only to requests for those two addresses.",
};
const WRONG_APP_KEY_OR_SECRET = {
	meaning: 'DingTalk does not accept the Client ID (AppKey) or Client Secret (AppSecret)',
	action:
		'Copy both again from the app\'s "Credentials & Basic Info" page in the DingTalk developer console, and check the credential\'s region.',
};

/**
 * What each documented code means for the user and what to do about it. Keys are the new API's codes
 * or the legacy errcodes. `{scopes}` is replaced by the permissions DingTalk says are missing,
 * `{permission}` by the permission the failed operation needs.
 */
export const ERROR_GUIDE: Record<string, { meaning: string; action: string }> = {
	// Token and app credentials
	invalidClientIdOrSecret: WRONG_APP_KEY_OR_SECRET,
	invalidSuiteTicket: {
		meaning: 'DingTalk does not accept the Suite Ticket: a newer one has replaced it',
		action:
			"DingTalk pushes a new suite ticket to the suite's event subscription (event suite_ticket) about every 5 hours: put the latest one in the credential's Suite Ticket field.",
	},
	invalidAuthCorpId: {
		meaning: 'the organisation given as Authorized Corp ID has not authorised this suite',
		action:
			'Use the corpId of an organisation that installed the app (DingTalk sends it with the org_suite_auth event when an organisation authorises the suite), and check the Suite Key.',
	},
	// A rejected token is replaced once; these show when even the new one is refused.
	InvalidAuthentication: TOKEN_REJECTED,
	'40014': TOKEN_REJECTED,
	'42001': TOKEN_REJECTED,
	'40001': TOKEN_REJECTED,
	'88/40014': TOKEN_REJECTED,
	'AuthenticationFailed.MissingParameter': TOKEN_MISSING,
	'88/40000': TOKEN_MISSING,
	// Answers that are not DingTalk's
	redirect: {
		meaning: 'the address answered with a redirect, which the node does not follow',
		action:
			"A redirect would carry the access token and the request to another host. Point the credential's region or base URLs at DingTalk's API itself, or at a proxy that forwards requests instead of redirecting them.",
	},
	streamEndpointRefused: {
		meaning: 'the Stream endpoint DingTalk gave was not connected to',
		action:
			"Outside a Custom region the node connects only over wss://, since the address carries the connection's ticket. It keeps trying with backoff; if this goes on, check that nothing between n8n and DingTalk (a proxy) rewrites DingTalk's answers.",
	},
	unexpectedAnswer: {
		meaning: "the answer is not DingTalk's JSON",
		action:
			"It may be a proxy's or captive portal's page, or DingTalk's page for an IP address banned for 5 minutes (after more than 10,000 calls in 20 seconds). Check the credential's region or base URLs and the network between n8n and DingTalk; after a ban, wait 5 minutes.",
	},
	'Forbidden.AccessDenied.AccessTokenPermissionDenied': APP_LACKS_PERMISSION,
	'Forbidden.AccessDenied.ApiCountLimitForOrg': MONTHLY_QUOTA_USED,
	'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi': APP_QPS_EXCEEDED,
	'Forbidden.AccessDenied.QpsLimitForApi': API_QPS_EXCEEDED,
	'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi': {
		meaning:
			"DingTalk's limit of calls per minute for this app and API was exceeded, even after retries",
		action: 'Spread the work over a longer time.',
	},
	'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi': {
		meaning:
			"DingTalk's limit of calls per second for this third-party app in this organisation was exceeded, even after retries",
		action: 'Lower the node\'s "Calls per Second" option.',
	},
	'system.busy': BUSY,
	systemBusy: BUSY,
	// Group files (convFile)
	paramError: {
		meaning: 'DingTalk rejected a parameter',
		action: 'Check every ID in the node for typos and stray spaces.',
	},
	'paramError.conversationId': {
		meaning: 'DingTalk rejected the Open Conversation ID',
		action:
			'Use the group\'s openConversationId (it starts with "cid"), for example from the robot message or the group-creation API.',
	},
	'paramError.spaceId': {
		meaning: 'DingTalk rejected the Space ID',
		action: 'Use the spaceId returned by Group Space > Get.',
	},
	'paramError.dentryId': {
		meaning: 'DingTalk rejected the File ID (dentryId)',
		action: 'Use the id of a file (not a folder) in that space.',
	},
	permissionDenied: {
		meaning:
			'the user given as Union ID may not use these files (not a member of the group or organisation, or without rights)',
		action:
			'Use the unionId of a member who may read and add the files, and check that the app has the permission {permission}.',
	},
	acrossOrgAccessForbidden: {
		meaning: 'the group belongs to another organisation than the app',
		action: "Use a group of the organisation the credential's app is installed in.",
	},
	conversationNotExist: {
		meaning: 'DingTalk found no group with this Open Conversation ID',
		action: 'Check the ID; the group may have been dissolved.',
	},
	spaceNotExist: {
		meaning: 'DingTalk found no storage space with this ID',
		action: 'Look the space up again with Group Space > Get.',
	},
	dentryNotExist: {
		meaning: 'DingTalk found no file with this ID in the space',
		action: 'Check the File ID; the file may have been deleted or moved.',
	},
	folderNotSupport: {
		meaning: 'the ID names a folder, and only files can be sent',
		action: 'Pick a file inside the folder instead.',
	},
	systemError: {
		meaning: 'DingTalk had an internal error',
		action: 'Try again later; if it persists, contact DingTalk support with the request ID.',
	},
	unknownError: {
		meaning: 'DingTalk had an unknown error',
		action: 'Try again later; if it persists, contact DingTalk support with the request ID.',
	},
	// Robot file download and robot messages (the same codes serve both)
	'invalidParameter.robotCode.empty': {
		meaning:
			'the Robot Code or the Download Code is empty, or (for a group message) the robot is not in the group',
		action:
			"Fill in both; the robot code of an internal app's robot is its AppKey. To message a group, add the robot to the group first (group settings > Bots).",
	},
	'invalidParameter.robotCode.auth': {
		meaning:
			'this robot code or download code does not belong to this app or organisation, or the app may not use it',
		action:
			"Use the robot code of your app's robot (a downloaded file's code: the robot that received the message), with the credential of the app it belongs to.",
	},
	'invalidParameter.robotCode.downloadCode': {
		meaning: 'the download code is wrong or has expired',
		action:
			'Download codes are short-lived: download the file soon after the robot receives the message.',
	},
	'invalidParameter.userIds.overMax': {
		meaning: 'the message names more users than DingTalk takes in one send',
		action: 'Send to at most 20 users per item; split longer lists over several items.',
	},
	'invalidParameter.msgKey.invalid': {
		meaning: 'DingTalk does not know this kind of robot message',
		action: 'Report this as a bug of the node.',
	},
	'invalidParameter.msgParam.invalid': {
		meaning: "DingTalk refused the message's content",
		action:
			'Check the media ID (it must come from Media > Upload with the same credential) and the text fields.',
	},
	// Storage upload
	DENTRY_UPLOAD_PROTOCOL_NOTSUPPORT: {
		meaning: "this organisation's storage does not take uploads by signed headers",
		action:
			"The organisation uses a storage setup the node does not support; upload the file with DingTalk's own client instead.",
	},
	// Users, groups, replies
	'60121': {
		meaning: 'DingTalk found no such user in this organisation',
		action:
			'Check the staff ID, union ID or mobile number: it must be of a person of the organisation that installed the app (leavers are not found).',
	},
	'40104': {
		meaning: 'DingTalk does not read this as a mobile number',
		action: 'Give the number as in DingTalk: 11 digits, or +<country code>-<number>.',
	},
	noPermission: {
		meaning: 'the app may not read this group chat',
		action:
			'Grant the app the permission {permission} and make sure its robot is in the group; otherwise give the Open Conversation ID by hand.',
	},
	[SESSION_EXPIRED_ERRCODE]: {
		meaning: "the robot message's reply session has expired (replies work for about 90 minutes)",
		action:
			'Turn on "If the Session Has Expired > Send as a New Message" to send the reply with Robot Message > Send instead, or reply sooner after the message arrives.',
	},
	'40035': {
		meaning: 'DingTalk refused the reply as malformed',
		action: 'Check that the text (or the Markdown and its title) is not empty.',
	},
	// Legacy media upload (errcodes). ASSUMPTION: 40005, 40006 and 43008 are the general legacy codes
	// DingTalk answers for a wrong file type, size or a body that is not multipart; its page names 40004 only.
	'40004': {
		meaning: 'DingTalk rejected the media type',
		action: 'Choose image, voice, video or file as the Media Type.',
	},
	'40005': {
		meaning: 'DingTalk rejected the file type for this media type',
		action:
			'Check the allowed formats: image jpg/gif/png/bmp, voice amr/mp3/wav, video mp4, file doc/docx/xls/xlsx/ppt/pptx/zip/pdf/rar.',
	},
	'40006': {
		meaning: 'DingTalk rejected the file size',
		action: 'Images, videos and files may be up to 20 MB, voice clips up to 2 MB.',
	},
	'43008': {
		meaning: 'DingTalk did not read the upload as multipart form data',
		action: 'Report this as a bug of the node.',
	},
	'41005': {
		meaning: 'DingTalk found no file in the upload',
		action: 'Check the Input Binary Field.',
	},
	// The legacy "no permission" code is an ASSUMPTION, noted at PERMISSION_CODES in wire.ts.
	'60011': APP_LACKS_PERMISSION,
	'90018': APP_QPS_EXCEEDED,
	'90002': API_QPS_EXCEEDED,
	'90020': MONTHLY_QUOTA_USED,
	'-1': BUSY,
	'15': {
		meaning: 'DingTalk timed out',
		action: 'Check in DingTalk whether the action happened before running it again.',
	},
	'40096': WRONG_APP_KEY_OR_SECRET,
};
