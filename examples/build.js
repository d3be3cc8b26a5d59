'use strict';
// The example workflows, built with the same node builders as the end-to-end suite so they cannot
// drift from what the tests prove. `npx gulp examples` writes them to examples/*.json.
const W = require('../test/e2e/workflows');
const { nodeType } = require('../test/e2e/n8n');
const { DEMO } = require('../test/sandbox/server');

const groupChat = (extra) =>
	W.jsonItem('Group chat', {
		openConversationId: DEMO.group.openConversationId,
		operatorUnionId: DEMO.users.alice,
		...extra,
	});
const getSpace = () =>
	W.dingTalk('Get group space', {
		resource: 'groupSpace',
		operation: 'get',
		openConversationId: '={{ $json.openConversationId }}',
		operatorUnionId: '={{ $json.operatorUnionId }}',
	});
// Where the robot example keeps files; n8n 2.x writes only into folders N8N_RESTRICT_FILE_ACCESS_TO allows
// (`npm run dev` allows this one).
const KEPT_FILES_FOLDER = '/tmp/dingtalk-robot-files';
const fromChat = (field) => `={{ $('Group chat').item.json.${field} }}`;
/** The sandbox's PDF report as binary field "data", under `fileName`. */
const report = (fileName) => [
	W.jsonItem('Report', {
		fileName,
		mimeType: 'application/pdf',
		b64: DEMO.files.reportPdf.bytes.toString('base64'),
	}),
	W.toFile('To file'),
];

/** A Filter (2.2): keeps the items that meet every condition ([left, operator, right]), any case. */
const filter = (name, conditions, settings = {}) => ({
	name,
	type: 'n8n-nodes-base.filter',
	typeVersion: 2.2,
	parameters: { conditions: conditionsOf(conditions), options: { ignoreCase: true } },
	...settings,
});
/** An If (2.2): its first output gets the items that meet every condition, its second the others. */
const ifNode = (name, conditions) => ({
	name,
	type: 'n8n-nodes-base.if',
	typeVersion: 2.2,
	parameters: { conditions: conditionsOf(conditions), options: { ignoreCase: true } },
});
const conditionsOf = (conditions) => ({
	options: { caseSensitive: false, leftValue: '', typeValidation: 'strict', version: 2 },
	conditions: conditions.map(([leftValue, operator, rightValue = ''], index) => ({
		id: `condition-${index + 1}`,
		leftValue,
		rightValue,
		operator,
	})),
	combinator: 'and',
});
const STRING = (operation) => ({ type: 'string', operation });
/** `workflow` with the output `output` (1: an If's false branch) of `from` going to `to`. */
function connectOutput(workflow, from, output, to) {
	const main = workflow.connections[from]?.main ?? [[]];
	while (main.length <= output) main.push([]);
	main[output].push({ node: to, type: 'main', index: 0 });
	workflow.connections[from] = { main };
	return workflow;
}

// Ask the robot for a file: a group message "file <words>" starts it.
const ASKING = 'When asked for a file';
const asked = (field) => `$('${ASKING}').first().json.${field}`;
// The words after "file", as the message says them.
const ASKED_WORDS = `${asked('text')}.replace(/^file\\s+/i, '').trim()`;
/**
 * A reply to the message that asked, through its own reply address (its sessionWebhook). The trigger's
 * item keeps DingTalk's message under `raw`, and the reply comes after other nodes: its fields name them.
 */
const replyToAsker = (name, replyText) =>
	W.dingTalk(name, {
		resource: 'robotMessage',
		operation: 'reply',
		sessionWebhook: `={{ ${asked('raw.sessionWebhook')} }}`,
		sessionWebhookExpiredTime: `={{ ${asked('raw.sessionWebhookExpiredTime')} }}`,
		senderStaffId: `={{ ${asked('sender.staffId')} }}`,
		replyKind: 'text',
		replyText,
	});
// Robot file messages take these types only (DingTalk's sampleFile).
const ROBOT_FILE_NAME = '/\\.(docx?|xlsx?|pptx?|pdf|zip|rar)$/i';
// Who gets the week's documents: Alice, by her staff ID (DEMO.directory).
const MANAGER_STAFF_ID = 'manager4220';

/**
 * What `npm run demo` (and the end-to-end suite) sends the robot to start each robot-triggered example,
 * one execution per message; the others get one file message in a one-to-one chat.
 */
const DEMO_ROBOT_MESSAGES = {
	'robot-ask-for-file.json': [
		{ type: 'text', chat: 'group', text: 'file budget' },
		{ type: 'text', chat: 'group', text: 'file holiday photos' },
	],
};

// The DingTalk node's ID fields that are pickers (resource locators), and where Upload keeps its folder.
const PICKER_FIELDS = [
	'fileId',
	'folderId',
	'openConversationId',
	'operatorUnionId',
	'parentFolderId',
	'receiverUnionId',
	'spaceId',
	'staffId',
	'unionId',
];

/** A picker's value as the editor saves an ID typed (or an expression given) in its By ID mode. */
const typedId = (value) => ({ __rl: true, mode: 'id', value });

/** The workflow as n8n's editor would save it: the DingTalk nodes' ID fields in their pickers' form. */
function asSavedByTheEditor(workflow) {
	const wrap = (parameters) => {
		const wrapped = { ...parameters };
		for (const field of PICKER_FIELDS)
			if (typeof wrapped[field] === 'string') wrapped[field] = typedId(wrapped[field]);
		return wrapped;
	};
	return {
		...workflow,
		nodes: workflow.nodes.map((node) => {
			if (node.type !== nodeType('dingTalk')) return node;
			const parameters = wrap(node.parameters);
			if (parameters.options && typeof parameters.options === 'object')
				parameters.options = wrap(parameters.options);
			return { ...node, parameters };
		}),
	};
}

function exampleWorkflows() {
	return Object.fromEntries(
		Object.entries(examplesAsBuilt()).map(([file, workflow]) => [
			file,
			asSavedByTheEditor(workflow),
		]),
	);
}

function examplesAsBuilt() {
	return {
		'group-space-lookup.json': W.chain(
			'exampleGroupSpace',
			"DingTalk: look up a group chat's storage space",
			[W.trigger(), groupChat({}), getSpace()],
		),
		'send-stored-file.json': W.chain(
			'exampleSendFile',
			'DingTalk: send a stored file to a user and post its link in the group',
			[
				W.trigger(),
				groupChat({ fileId: 'dentry-report-pdf', receiverUnionId: DEMO.users.bob }),
				getSpace(),
				W.dingTalk('Send to user', {
					resource: 'file',
					operation: 'sendToUser',
					receiverUnionId: fromChat('receiverUnionId'),
					spaceId: '={{ $json.spaceId }}',
					fileId: fromChat('fileId'),
				}),
				W.dingTalk('Send link to group', {
					resource: 'file',
					operation: 'sendLinkToGroup',
					openConversationId: fromChat('openConversationId'),
					operatorUnionId: fromChat('operatorUnionId'),
					spaceId: '={{ $json.spaceId }}',
					fileId: fromChat('fileId'),
				}),
			],
		),
		'upload-media.json': W.chain(
			'exampleUploadMedia',
			'DingTalk: upload a report as media and get its media ID',
			[
				W.trigger(),
				...report('Q3 report.pdf'),
				W.dingTalk('Upload media', {
					resource: 'media',
					operation: 'upload',
					binaryPropertyName: 'data',
					mediaType: 'auto',
				}),
			],
		),
		'download-robot-file.json': W.chain(
			'exampleRobotFile',
			'DingTalk: download a file a user sent to the robot',
			[
				W.trigger(),
				W.jsonItem('Robot message', {
					msgtype: 'file',
					conversationType: '1',
					senderStaffId: 'manager4220',
					robotCode: DEMO.app.robotCode,
					content: { downloadCode: 'dlcode-report-pdf', fileName: 'Q3 report.pdf' },
				}),
				W.dingTalk('Download file', {
					resource: 'robotFile',
					operation: 'download',
					downloadCode: '={{ $json.content.downloadCode }}',
					fileName: '={{ $json.content.fileName }}',
					downloadContent: true,
					binaryPropertyName: 'data',
				}),
			],
		),
		'robot-keep-file.json': W.chain(
			'exampleRobotKeepFile',
			'DingTalk: when someone sends the robot a file, keep the file',
			[
				W.robotTrigger('When the robot gets a file', {
					messageTypes: ['file'],
					downloadAttachment: true,
					binaryPropertyName: 'data',
				}),
				{
					name: 'Keep the file',
					type: 'n8n-nodes-base.readWriteFile',
					typeVersion: 1,
					parameters: {
						operation: 'write',
						fileName: `={{ "${KEPT_FILES_FOLDER}/" + $json.fileName }}`,
						dataPropertyName: 'data',
						options: {},
					},
				},
			],
		),
		// Files people send the robot in one-to-one chats end up where the whole team sees them.
		'robot-file-to-group.json': W.chain(
			'exampleRobotFileToGroup',
			'DingTalk: when someone sends the robot a file, store it in the team group and post it there',
			[
				W.robotTrigger('When the robot gets a file', {
					messageTypes: ['file'],
					downloadAttachment: true,
					binaryPropertyName: 'data',
				}),
				W.uploadToGroup('Store in team group and post', {
					thenSend: 'file',
					options: { fileName: '={{ $json.fileName }}' },
				}),
			],
		),
		// The schedule runs it every morning once the workflow is published; the manual trigger beside it
		// lets you (and `npm run demo`) run it now.
		'daily-report-to-group.json': W.graph(
			'exampleDailyReport',
			'DingTalk: every morning, upload the report to the team group',
			[
				W.scheduleTrigger('Every morning', 8),
				{ ...W.trigger(), position: [0, 200] },
				...report('Daily report.pdf'),
				W.uploadToGroup('Upload to team group', {
					thenSend: 'file',
					options: { fileName: "=Daily report {{ $now.toFormat('yyyy-MM-dd') }}.pdf" },
				}),
			],
			[
				['Every morning', 'Report'],
				['Start', 'Report'],
				['Report', 'To file'],
				['To file', 'Upload to team group'],
			],
		),
		'robot-posts-report.json': W.chain(
			'exampleRobotMessage',
			'DingTalk: the robot posts a report file in the team group',
			[
				W.trigger(),
				...report('Q3 report.pdf'),
				W.dingTalk('Robot sends the file', {
					resource: 'robotMessage',
					operation: 'send',
					sendTo: 'group',
					openConversationId: DEMO.group.openConversationId,
					messageKind: 'file',
					mediaSource: 'binary',
					binaryPropertyName: 'data',
				}),
			],
		),
		// Someone in the team group asks the robot for a file by a word of its name: the robot posts the
		// newest file whose name has the words, and answers the message (also when none has them).
		'robot-ask-for-file.json': connectOutput(
			W.graph(
				'exampleRobotAskFile',
				'DingTalk: ask the robot for a file in a group chat, and it posts the file there',
				[
					W.robotTrigger(ASKING, { messageTypes: ['text'], chatType: 'group' }),
					filter('Asks for a file', [['={{ $json.text }}', STRING('regex'), '/^file\\s+\\S/i']]),
					W.dingTalk('Get group space', {
						resource: 'groupSpace',
						operation: 'get',
						openConversationId: '={{ $json.conversation.id }}',
						operatorUnionId: DEMO.users.alice,
					}),
					W.dingTalk('List the whole space', {
						resource: 'file',
						operation: 'list',
						spaceId: '={{ $json.spaceId }}',
						operatorUnionId: DEMO.users.alice,
						scope: 'space',
						returnAll: true,
						order: 'DESC',
					}),
					filter(
						'Names with those words',
						[
							['={{ $json.type }}', STRING('equals'), 'FILE'],
							['={{ $json.name }}', STRING('contains'), `={{ ${ASKED_WORDS} }}`],
						],
						// An empty item when nothing matches, so the workflow still answers.
						{ alwaysOutputData: true },
					),
					{
						name: 'Newest match',
						type: 'n8n-nodes-base.limit',
						typeVersion: 1,
						parameters: { maxItems: 1 },
					},
					ifNode('Found one?', [['={{ $json.id }}', { ...STRING('exists'), singleValue: true }]]),
					W.dingTalk('Post the file in the group', {
						resource: 'file',
						operation: 'sendToGroup',
						openConversationId: `={{ ${asked('conversation.id')} }}`,
						operatorUnionId: DEMO.users.alice,
						spaceId: '={{ $json.spaceId }}',
						fileId: '={{ $json.id }}',
					}),
					replyToAsker(
						'Reply with its name',
						`=Here is "{{ $('Newest match').first().json.name }}".`,
					),
					{
						...replyToAsker('Reply that none matches', `=No file matches "{{ ${ASKED_WORDS} }}".`),
						position: [1540, 200],
					},
				],
				[
					[ASKING, 'Asks for a file'],
					['Asks for a file', 'Get group space'],
					['Get group space', 'List the whole space'],
					['List the whole space', 'Names with those words'],
					['Names with those words', 'Newest match'],
					['Newest match', 'Found one?'],
					['Found one?', 'Post the file in the group'],
					['Post the file in the group', 'Reply with its name'],
				],
			),
			'Found one?',
			1,
			'Reply that none matches',
		),
		// Every night, the documents changed in the team group's space in the last 7 days go to a
		// manager as robot file messages. Robot file messages take doc(x), xls(x), ppt(x), pdf, zip and rar
		// only, so the filter keeps those; to send files of every type, use File > Send to User (a stored
		// file by its ID, no download) instead of the download and the robot message.
		'nightly-week-uploads.json': W.graph(
			'exampleNightlyUploads',
			"DingTalk: every night, the robot sends a manager the week's new documents",
			[
				W.scheduleTrigger('Every night', 22),
				{ ...W.trigger(), position: [0, 200] },
				groupChat({}),
				getSpace(),
				W.dingTalk('List the whole space', {
					resource: 'file',
					operation: 'list',
					spaceId: '={{ $json.spaceId }}',
					operatorUnionId: fromChat('operatorUnionId'),
					scope: 'space',
					returnAll: true,
					order: 'DESC',
				}),
				filter(
					"This week's documents",
					[
						['={{ $json.type }}', STRING('equals'), 'FILE'],
						[
							'={{ $json.modifiedTime }}',
							{ type: 'dateTime', operation: 'after' },
							'={{ $now.minus({ days: 7 }) }}',
						],
						['={{ $json.name }}', STRING('regex'), ROBOT_FILE_NAME],
					],
					{
						notes:
							'Robot file messages take doc(x), xls(x), ppt(x), pdf, zip and rar only. For files of every type, use File > Send to User instead of the download and the robot message.',
						notesInFlow: true,
					},
				),
				W.dingTalk('Download', {
					resource: 'file',
					operation: 'download',
					spaceId: '={{ $json.spaceId }}',
					operatorUnionId: fromChat('operatorUnionId'),
					fileId: '={{ $json.id }}',
					binaryPropertyName: 'data',
					// DingTalk media are at most 20 MB.
					maxFileSizeMb: 20,
				}),
				W.dingTalk('Robot sends it to the manager', {
					resource: 'robotMessage',
					operation: 'send',
					sendTo: 'users',
					userIds: MANAGER_STAFF_ID,
					messageKind: 'file',
					mediaSource: 'binary',
					binaryPropertyName: 'data',
				}),
			],
			[
				['Every night', 'Group chat'],
				['Start', 'Group chat'],
				['Group chat', 'Get group space'],
				['Get group space', 'List the whole space'],
				['List the whole space', "This week's documents"],
				["This week's documents", 'Download'],
				['Download', 'Robot sends it to the manager'],
			],
		),
	};
}

const serialize = (workflow) => `${JSON.stringify(workflow, null, '\t')}\n`;

module.exports = { exampleWorkflows, serialize, KEPT_FILES_FOLDER, DEMO_ROBOT_MESSAGES };
