'use strict';
// npm run bench: measures the package inside a real n8n against the DingTalk sandbox and prints the
// figures, section by section. Run it on an idle machine.
//   BENCH_ONLY=rate,memory   only these sections (default: all, in the order below)
//   BENCH_N8N_LINE=1               n8n 1.123.81 on Node 20 instead of 2.41.1 on Node 24
const SECTIONS = {
	rate: require('./rate'),
	throughput: require('./throughput'),
	memory: require('./memory'),
	triggers: require('./triggers'),
};

async function main() {
	const line = Number(process.env.BENCH_N8N_LINE || 2);
	const only = (process.env.BENCH_ONLY || Object.keys(SECTIONS).join(',')).split(',');
	for (const name of only) {
		const section = SECTIONS[name.trim()];
		if (!section)
			throw new Error(`unknown benchmark section "${name}" (${Object.keys(SECTIONS).join(', ')})`);
		process.stdout.write(`\n## ${name}\n\n`);
		const lines = await section.run({ line });
		process.stdout.write(`${lines.join('\n')}\n`);
	}
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error}\n`);
	process.exitCode = 1;
});
