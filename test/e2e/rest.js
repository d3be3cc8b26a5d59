'use strict';
// A logged-in client of n8n's own REST API, as the editor uses it (owner setup, node types, credentials,
// workflow activation).
/** A logged-in client of n8n's own REST API, as the editor uses it. */
function restClient(baseUrl) {
	const headers = { 'content-type': 'application/json', 'browser-id': 'dingtalk-e2e' };
	const post = async (path, body) => {
		const response = await fetch(`${baseUrl}${path}`, {
			method: 'POST',
			headers,
			body: JSON.stringify(body),
		});
		const text = await response.text();
		if (response.status !== 200) {
			const error = new Error(`POST ${path}: ${response.status} ${text.slice(0, 300)}`);
			error.status = response.status;
			error.answer = parsed(text);
			throw error;
		}
		return { json: JSON.parse(text), cookie: response.headers.get('set-cookie') };
	};
	return {
		// The REST routes come up a moment after the editor answers: retry until the owner is set up, or,
		// in an n8n started again on the same database, logged in.
		async setUpOwner() {
			const owner = {
				email: 'owner@example.com',
				firstName: 'E2E',
				lastName: 'Owner',
				password: 'DingTalk-e2e-1',
			};
			for (let attempt = 0; ; attempt++) {
				try {
					const { cookie } = await post('/rest/owner/setup', owner).catch(async (error) => {
						if (!/already setup/.test(error.answer?.message)) throw error;
						return await post('/rest/login', {
							emailOrLdapLoginId: owner.email,
							password: owner.password,
						});
					});
					headers.cookie = String(cookie).split(';')[0];
					return;
				} catch (error) {
					if (attempt >= 60) throw error;
					await new Promise((resolve) => setTimeout(resolve, 1000));
				}
			}
		},
		post: async (path, body) => (await post(path, body)).json,
		async get(path) {
			const response = await fetch(`${baseUrl}${path}`, { headers });
			if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
			return await response.json();
		},
	};
}

function parsed(text) {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

module.exports = { restClient };
