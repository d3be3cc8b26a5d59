// n8n loads the package through the "n8n" field of package.json; this file only re-exports the built
// classes for anyone who requires the package directly. Relative paths only (the scanner checks it).
module.exports = {
	DingTalk: require('./dist/nodes/DingTalk/DingTalk.node.js').DingTalk,
	DingTalkRobotTrigger: require('./dist/nodes/DingTalkRobotTrigger/DingTalkRobotTrigger.node.js')
		.DingTalkRobotTrigger,
	DingTalkRobotWebhookTrigger:
		require('./dist/nodes/DingTalkRobotWebhookTrigger/DingTalkRobotWebhookTrigger.node.js')
			.DingTalkRobotWebhookTrigger,
	DingTalkApi: require('./dist/credentials/DingTalkApi.credentials.js').DingTalkApi,
};
