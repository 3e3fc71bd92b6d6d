// A PostgreSQL server on a test host: run in the host's network namespace (ip netns exec), it
// listens on the host's address only, lets the test network in with the password, prints its URL
// as one JSON line, and stops (removing its data) on SIGTERM.
import { startPostgres } from './postgres-server.mjs';

const [host, allow] = process.argv.slice(2);
const server = await startPostgres({ host, allow });
console.log(JSON.stringify({ url: server.url, version: server.version }));
const keep = setInterval(() => undefined, 60_000);
process.on('SIGTERM', async () => {
  clearInterval(keep);
  await server.stop();
  process.exit(0);
});
