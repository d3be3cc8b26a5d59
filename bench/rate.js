'use strict';
// Benchmark section "rate": how close the node gets to DingTalk's limit (20 accepted calls in any
// rolling second per app and API, enforced by the sandbox), side by side with n8n's HTTP Request node
// doing the same calls with the same credential, batched by hand to 20 per 1,000 ms (the best a user
// can tune it to). Times come from the sandbox's log: from the first call's arrival to the last
// accepted one's, against the floor of (calls - 1) / rate.
//   BENCH_RATE_CALLS=1000   look-ups per execution in the long cases (the figure)
const fs = require('node:fs');
const { createSandbox, DEMO, PATHS } = require('../test/sandbox/server');
const { N8nInstance } = require('../test/e2e/n8n');
const W = require('../test/e2e/workflows');

const LONG = Number(process.env.BENCH_RATE_CALLS || 1000);
const QPS_CODE = /^Forbidden\.AccessDenied\.Qps/;

// Workflow IDs are numeric: `n8n execute-batch` takes nothing else.
const ID = {
	oursLong: '9101',
	oursLongB: '9102',
	theirsLong: '9103',
	theirsLongB: '9104',
	oursShort: '9105',
	theirsShort: '9106',
	oursSends: '9107',
	theirsSends: '9108',
};

const spaceGet = W.groupSpaceLookup();

/** n8n's HTTP Request node calling the same endpoint with the DingTalk credential, 20 per 1,000 ms. */
function httpNode(urls, path, query, body) {
	return {
		name: 'HTTP Request',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: {
			method: 'POST',
			url: `${urls.apiBaseUrl}${path}`,
			authentication: 'predefinedCredentialType',
			nodeCredentialType: 'dingTalkApi',
			sendQuery: true,
			queryParameters: {
				parameters: Object.entries(query).map(([name, value]) => ({ name, value })),
			},
			sendBody: true,
			specifyBody: 'json',
			jsonBody: body,
			options: { batching: { batch: { batchSize: 20, batchInterval: 1000 } } },
		},
		credentials: { dingTalkApi: { id: W.CREDENTIAL_ID, name: W.CREDENTIAL_ID } },
		onError: 'continueRegularOutput',
	};
}

function workflowsFor(urls, users) {
	const items = (count, make = (i) => ({ i })) =>
		W.itemsOf(Array.from({ length: count }, (_, i) => make(i)));
	const ours = (count) => [
		W.trigger(),
		...items(count),
		W.dingTalk('DingTalk', spaceGet, { onError: 'continueRegularOutput' }),
	];
	const theirs = (count) => [
		W.trigger(),
		...items(count),
		httpNode(
			urls,
			PATHS.spaceQuery,
			{ unionId: DEMO.users.alice },
			JSON.stringify({ openConversationId: DEMO.group.openConversationId }),
		),
	];
	const sends = [
		W.trigger(),
		...items(users.length, (i) => ({ unionId: users[i] })),
		W.dingTalk(
			'DingTalk',
			{
				resource: 'file',
				operation: 'sendToUser',
				receiverUnionId: '={{ $json.unionId }}',
				spaceId: DEMO.group.space.spaceId,
				fileId: 'dentry-report-pdf',
			},
			{ onError: 'continueRegularOutput' },
		),
	];
	const httpSends = [
		W.trigger(),
		...items(users.length, (i) => ({ unionId: users[i] })),
		{
			...httpNode(
				urls,
				PATHS.sendToUser,
				{ unionId: '={{ $json.unionId }}' },
				JSON.stringify({ spaceId: DEMO.group.space.spaceId, dentryId: 'dentry-report-pdf' }),
			),
		},
	];
	return {
		oursLong: W.chain(ID.oursLong, `${LONG} look-ups`, ours(LONG)),
		oursLongB: W.chain(ID.oursLongB, `${LONG} look-ups (second)`, ours(LONG)),
		theirsLong: W.chain(ID.theirsLong, `${LONG} look-ups, HTTP Request`, theirs(LONG)),
		theirsLongB: W.chain(ID.theirsLongB, `${LONG} look-ups, HTTP Request (second)`, theirs(LONG)),
		oursShort: W.chain(ID.oursShort, '300 look-ups', ours(300)),
		theirsShort: W.chain(ID.theirsShort, '300 look-ups, HTTP Request', theirs(300)),
		oursSends: W.chain(ID.oursSends, '300 sends to 300 users', sends),
		theirsSends: W.chain(ID.theirsSends, '300 sends, HTTP Request', httpSends),
	};
}

/** What DingTalk saw of one case: accepted calls, refusals, and the span from first arrival to last acceptance. */
function summarize(entries, expectedCalls, floorSeconds) {
	const accepted = entries.filter((entry) => entry.status === 200);
	const refused = entries.filter(
		(entry) => QPS_CODE.test(entry.code ?? '') || entry.errcode === 90018,
	);
	const first = Math.min(...entries.map((entry) => entry.time));
	const last = Math.max(...accepted.map((entry) => entry.time));
	const seconds = accepted.length > 0 ? (last - first) / 1000 : NaN;
	return {
		seconds,
		ratio: seconds / floorSeconds,
		failed: expectedCalls - accepted.length,
		refused: refused.length,
		refusedShare: refused.length / Math.max(1, entries.length),
		perSecond: accepted.length / seconds,
	};
}

async function run({ line }) {
	const sandbox = createSandbox();
	const urls = await sandbox.start();
	const users = sandbox.addUsers(300);
	const first = new N8nInstance({ line, name: `bench-rate-a-${process.pid}` });
	const second = new N8nInstance({ line, name: `bench-rate-b-${process.pid}` });
	const workflows = workflowsFor(urls, users);
	const rows = [];
	const logOf = (path) => sandbox.requests.filter((entry) => entry.path === path);
	async function measure(name, floorSeconds, expectedCalls, path, runIt) {
		sandbox.clearLog();
		await runIt();
		rows.push({ name, floorSeconds, ...summarize(logOf(path), expectedCalls, floorSeconds) });
	}
	const floor = (calls, perSecond = 20) => (calls - 1) / perSecond;
	const executeAll = async (pairs) => {
		const results = await Promise.all(
			pairs.map(([n8n, id]) => n8n.execute(id, { timeoutMs: 30 * 60 * 1000 })),
		);
		for (const result of results) if (result.error) throw new Error(result.error.message);
	};
	try {
		for (const n8n of [first, second]) {
			await n8n.setup();
			await n8n.importCredentials([W.sandboxCredential(urls)]);
			await n8n.importWorkflow(Object.values(workflows));
		}
		// Warm: each instance has a stored token, so token fetches do not count.
		await executeAll([
			[first, ID.oursShort],
			[second, ID.oursShort],
		]);
		await executeAll([[first, ID.theirsShort]]);
		sandbox.setRateLimit({ enabled: true, perSecond: 20 });
		const space = PATHS.spaceQuery;

		await measure(`${LONG} look-ups, 0 ms round trip`, floor(LONG), LONG, space, () =>
			executeAll([[first, ID.oursLong]]),
		);
		await measure(`  HTTP Request node, 20 per 1,000 ms`, floor(LONG), LONG, space, () =>
			executeAll([[first, ID.theirsLong]]),
		);

		await measure(
			`two executions of one app in one n8n process, ${LONG} look-ups each`,
			floor(2 * LONG),
			2 * LONG,
			space,
			() => first.executeBatch([ID.oursLong, ID.oursLongB], 2),
		);
		await measure(`  HTTP Request node`, floor(2 * LONG), 2 * LONG, space, () =>
			first.executeBatch([ID.theirsLong, ID.theirsLongB], 2),
		);

		sandbox.setRoundTrip(150);
		await measure(
			'300 sends to 300 users, 150 ms round trip',
			floor(300),
			300,
			PATHS.sendToUser,
			() => executeAll([[first, ID.oursSends]]),
		);
		await measure('  HTTP Request node', floor(300), 300, PATHS.sendToUser, () =>
			executeAll([[first, ID.theirsSends]]),
		);
		await measure('300 look-ups, 150 ms round trip', floor(300), 300, space, () =>
			executeAll([[first, ID.oursShort]]),
		);
		await measure('  HTTP Request node', floor(300), 300, space, () =>
			executeAll([[first, ID.theirsShort]]),
		);
		sandbox.setRoundTrip(0);

		await measure(
			`two n8n processes using one app at once, ${LONG} look-ups each`,
			floor(2 * LONG),
			2 * LONG,
			space,
			() =>
				executeAll([
					[first, ID.oursLong],
					[second, ID.oursLong],
				]),
		);
		await measure('  HTTP Request node', floor(2 * LONG), 2 * LONG, space, () =>
			executeAll([
				[first, ID.theirsLong],
				[second, ID.theirsLong],
			]),
		);

		sandbox.setRateLimit({ enabled: true, perSecond: 10 });
		await measure(
			'DingTalk allows 10/s, the node is set to 20: 300 look-ups',
			floor(300, 10),
			300,
			space,
			() => executeAll([[first, ID.oursShort]]),
		);
		await measure('  HTTP Request node', floor(300, 10), 300, space, () =>
			executeAll([[first, ID.theirsShort]]),
		);
	} finally {
		await sandbox.stop();
		for (const n8n of [first, second]) fs.rmSync(n8n.userFolder, { recursive: true, force: true });
	}
	const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
	return [
		`n8n line ${line}; DingTalk's limit enforced by the sandbox (20 in any rolling second unless the row says otherwise)`,
		'',
		'| case | time | floor | ratio to floor | failed items | refusals | accepted calls/s |',
		'|---|---|---|---|---|---|---|',
		...rows.map(
			(row) =>
				`| ${row.name} | ${fixed(row.seconds, 1)} s | ${fixed(row.floorSeconds, 2)} s | ${fixed(row.ratio, 3)}x | ${row.failed} | ${row.refused} (${fixed(row.refusedShare * 100, 1)} %) | ${fixed(row.perSecond, 1)} |`,
		),
	];
}

module.exports = { run };
