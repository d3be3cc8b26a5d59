'use strict';
// Builders for the workflows the end-to-end suite, the demo and the benchmark import into n8n.
// Built-in node versions that behave the same in n8n 1.123 and 2.41 (checked by harness.test.js).
const { nodeType, credentialType } = require('./n8n');

const CREDENTIAL_ID = 'dingTalkSandbox';

const trigger = () => ({
	name: 'Start',
	type: 'n8n-nodes-base.manualTrigger',
	typeVersion: 1,
	parameters: {},
});

/** One item holding `value` (Set 3.4, raw mode). */
const jsonItem = (name, value) => ({
	name,
	type: 'n8n-nodes-base.set',
	typeVersion: 3.4,
	parameters: { mode: 'raw', jsonOutput: JSON.stringify(value), options: {} },
});

/** Turns one item's array field into one item per element. */
const splitOut = (name, field) => ({
	name,
	type: 'n8n-nodes-base.splitOut',
	typeVersion: 1,
	parameters: { fieldToSplitOut: field, include: 'noOtherFields', options: {} },
});

/** Items of the array `rows` (one per element) through Set + Split Out. */
const itemsOf = (rows) => [jsonItem('Rows', { rows }), splitOut('Items', 'rows')];

/** Binary field `data` from each item's base64 field `b64`, named by the item's `fileName` and `mimeType`. */
const toFile = (name = 'To File') => ({
	name,
	type: 'n8n-nodes-base.convertToFile',
	typeVersion: 1.1,
	parameters: {
		operation: 'toBinary',
		sourceProperty: 'b64',
		binaryPropertyName: 'data',
		options: { fileName: '={{ $json.fileName }}', mimeType: '={{ $json.mimeType }}' },
	},
});

/** SHA-256 (hex) of a binary field into json.sha256: what n8n stored, byte for byte. */
const sha256Of = (name = 'Hash', binaryPropertyName = 'data') => ({
	name,
	type: 'n8n-nodes-base.crypto',
	typeVersion: 1,
	parameters: {
		action: 'hash',
		type: 'SHA256',
		binaryData: true,
		binaryPropertyName,
		dataPropertyName: 'sha256',
		encoding: 'hex',
	},
});

/** Our node. `settings` may hold onError: 'continueRegularOutput' (Continue On Fail). */
const dingTalk = (name, parameters, { credentialId = CREDENTIAL_ID, ...settings } = {}) => ({
	name,
	type: nodeType('dingTalk'),
	typeVersion: 1,
	parameters,
	credentials: { [credentialType()]: { id: credentialId, name: credentialId } },
	...settings,
});

/** The DingTalk Robot Trigger (Stream mode). */
const robotTrigger = (name, parameters, { credentialId = CREDENTIAL_ID } = {}) => ({
	name,
	type: nodeType('dingTalkRobotTrigger'),
	typeVersion: 1,
	parameters,
	credentials: { [credentialType()]: { id: credentialId, name: credentialId } },
});

/** The DingTalk Robot Webhook Trigger; its production URL is <n8n>/webhook/<webhookId>/webhook. */
const robotWebhookTrigger = (name, parameters, { webhookId, credentialId = CREDENTIAL_ID }) => ({
	name,
	type: nodeType('dingTalkRobotWebhookTrigger'),
	typeVersion: 1,
	webhookId,
	parameters,
	credentials: { [credentialType()]: { id: credentialId, name: credentialId } },
});

/** A workflow whose nodes run one after another. */
function chain(id, name, nodes) {
	const connections = {};
	for (let i = 0; i < nodes.length - 1; i++) {
		connections[nodes[i].name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] };
	}
	return { id, name, nodes: withPositions(nodes), connections, active: false, settings: {} };
}

/** A workflow where the trigger (or the `source` node after it) feeds every branch node side by side. */
function fan(id, name, branches, source) {
	const start = trigger();
	const feeder = source ?? start;
	const connections = {
		[feeder.name]: {
			main: [branches.map((node) => ({ node: node.name, type: 'main', index: 0 }))],
		},
	};
	if (source) connections[start.name] = { main: [[{ node: source.name, type: 'main', index: 0 }]] };
	return {
		id,
		name,
		nodes: withPositions([start, ...(source ? [source] : []), ...branches]),
		connections,
		active: false,
		settings: {},
	};
}

function withPositions(nodes) {
	return nodes.map((node, index) => ({
		id: `${index}-${node.name}`,
		position: [index * 220, 0],
		...node,
	}));
}

/** Group Space > Get parameters: the sandbox team group's storage space for Alice, unless `extra` says otherwise. */
function groupSpaceLookup(extra = {}) {
	const { DEMO } = require('../sandbox/server');
	return {
		resource: 'groupSpace',
		operation: 'get',
		openConversationId: DEMO.group.openConversationId,
		operatorUnionId: DEMO.users.alice,
		...extra,
	};
}

/** File > Upload of the binary field `data` into the sandbox team group's space, on Alice's behalf. */
function uploadToGroup(name, parameters = {}, settings = {}) {
	const { DEMO } = require('../sandbox/server');
	return dingTalk(
		name,
		{
			resource: 'file',
			operation: 'upload',
			binaryPropertyName: 'data',
			destination: 'group',
			openConversationId: DEMO.group.openConversationId,
			operatorUnionId: DEMO.users.alice,
			thenSend: 'none',
			options: {},
			...parameters,
		},
		settings,
	);
}

/** A Schedule Trigger firing every day at `hour` (run by hand, it emits one item at once). */
const scheduleTrigger = (name, hour) => ({
	name,
	type: 'n8n-nodes-base.scheduleTrigger',
	typeVersion: 1.2,
	parameters: { rule: { interval: [{ field: 'days', triggerAtHour: hour }] } },
});

/** Merge 3.2 combining its inputs item by item (json and binary fields of all inputs in one item). */
const mergeByPosition = (name, numberInputs = 2) => ({
	name,
	type: 'n8n-nodes-base.merge',
	typeVersion: 3.2,
	parameters: { mode: 'combine', combineBy: 'combineByPosition', numberInputs, options: {} },
});

/** n8n's HTTP Request node (4.2, in both lines) using the DingTalk credential as a predefined credential type. */
const httpRequest = (name, parameters, credentialId = CREDENTIAL_ID) => ({
	name,
	type: 'n8n-nodes-base.httpRequest',
	typeVersion: 4.2,
	parameters: {
		authentication: 'predefinedCredentialType',
		nodeCredentialType: credentialType(),
		options: {},
		...parameters,
	},
	credentials: { [credentialType()]: { id: credentialId, name: credentialId } },
});

/**
 * A workflow of any shape: `edges` are [from, to] or [from, to, inputIndex] node names.
 */
function graph(id, name, nodes, edges) {
	const connections = {};
	for (const [from, to, index = 0] of edges) {
		connections[from] = connections[from] ?? { main: [[]] };
		connections[from].main[0].push({ node: to, type: 'main', index });
	}
	return { id, name, nodes: withPositions(nodes), connections, active: false, settings: {} };
}

/** The credential of the sandbox's internal app (or another of its apps), for `n8n import:credentials`. */
function sandboxCredential(urls, { id = CREDENTIAL_ID, data = {} } = {}) {
	const { DEMO } = require('../sandbox/server');
	return {
		id,
		name: id,
		type: credentialType(),
		data: {
			appType: 'internal',
			clientId: DEMO.app.appKey,
			clientSecret: DEMO.app.appSecret,
			region: 'custom',
			apiBaseUrl: urls.apiBaseUrl,
			legacyBaseUrl: urls.legacyBaseUrl,
			...data,
		},
	};
}

module.exports = {
	CREDENTIAL_ID,
	trigger,
	jsonItem,
	splitOut,
	itemsOf,
	toFile,
	sha256Of,
	dingTalk,
	robotTrigger,
	robotWebhookTrigger,
	chain,
	fan,
	graph,
	groupSpaceLookup,
	uploadToGroup,
	scheduleTrigger,
	mergeByPosition,
	httpRequest,
	sandboxCredential,
};
