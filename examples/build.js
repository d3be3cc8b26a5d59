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
				W.jsonItem('Report', {
					fileName: 'Q3 report.pdf',
					mimeType: 'application/pdf',
					b64: DEMO.files.reportPdf.bytes.toString('base64'),
				}),
				W.toFile('To file'),
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
	};
}

const serialize = (workflow) => `${JSON.stringify(workflow, null, '\t')}\n`;

module.exports = { exampleWorkflows, serialize, KEPT_FILES_FOLDER };
