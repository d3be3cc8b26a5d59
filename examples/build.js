'use strict';
// The example workflows, built with the same node builders as the end-to-end suite so they cannot
// drift from what the tests prove. `npx gulp examples` writes them to examples/*.json.
const W = require('../test/e2e/workflows');
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

function exampleWorkflows() {
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
	};
}

const serialize = (workflow) => `${JSON.stringify(workflow, null, '\t')}\n`;

module.exports = { exampleWorkflows, serialize, KEPT_FILES_FOLDER };
