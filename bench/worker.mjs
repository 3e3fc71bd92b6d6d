// One side of a benchmark measurement, run as its own process by bench/run.mjs.
// Modes: {sqlite,pg}-{bare,board}-{setup,claim}, wake-measure, wake-wait. Prints JSON.
// Both sides of a claim comparison start from the same board, filled by the board itself.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pg from 'pg';

const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const { openDb } = await import(dist('store/open.js'));
const { Board } = await import(dist('board/board.js'));

const [mode, url, arg1, arg2] = process.argv.slice(2);
const clock = () => performance.timeOrigin + performance.now();
const waitUntil = async (at) => { while (Date.now() < at) await new Promise((r) => setTimeout(r, 1)); };
const out = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

// The bare loops claim from the board's own tasks table (pushed by the board, with its indexes):
// one UPDATE … RETURNING per claim, without the board's lease check, dependency and role
// filters, or event log.
const BARE_CLAIM = `UPDATE tasks SET status = 'claimed', claimed_by = ?, claimed_at = ?, updated_at = ? WHERE seq = (
  SELECT seq FROM tasks WHERE status = 'pending' ORDER BY priority, seq LIMIT 1) RETURNING *`;

function openSqlite(file) {
  const db = new Database(file);
  db.pragma('busy_timeout = 60000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

async function boardClaims(board, name) {
  await board.agents.register({ name, lease_ttl_ms: 600_000 });
  await waitUntil(Number(arg1));
  const start = clock();
  let claimed = 0;
  while (await board.tasks.claim(name)) claimed++;
  return { claimed, start, end: clock() };
}

switch (mode) {
  case 'sqlite-bare-claim': {
    const db = openSqlite(url);
    const claim = db.prepare(BARE_CLAIM.replace('FROM tasks WHERE', 'FROM tasks INDEXED BY tasks_pending WHERE')); // as the board's claim reads them
    await waitUntil(Number(arg1));
    const start = clock();
    let claimed = 0;
    while (claim.get(arg2, Date.now(), Date.now())) claimed++;
    const end = clock();
    db.close();
    out({ claimed, start, end });
    break;
  }
  case 'pg-bare-claim': {
    const target = new URL(url);
    const schema = target.searchParams.get('schema');
    target.searchParams.delete('schema');
    const client = new pg.Client({ connectionString: target.toString(), options: `-c search_path="${schema}"` });
    await client.connect();
    let n = 0;
    const claim = { name: 'claim', text: BARE_CLAIM.replace(/\?/g, () => `$${++n}`).replace('LIMIT 1)', 'LIMIT 1 FOR UPDATE SKIP LOCKED)') };
    await waitUntil(Number(arg1));
    const start = clock();
    let claimed = 0;
    while ((await client.query({ ...claim, values: [arg2, Date.now(), Date.now()] })).rowCount > 0) claimed++;
    const end = clock();
    await client.end();
    out({ claimed, start, end });
    break;
  }
  case 'sqlite-bare-setup':
  case 'sqlite-board-setup':
  case 'pg-bare-setup':
  case 'pg-board-setup': {
    const board = new Board(await openDb(url));
    const total = Number(arg1);
    for (let i = 0; i < total; i += 1000) {
      await board.tasks.pushMany(Array.from({ length: Math.min(1000, total - i) }, (_, j) => ({ title: `task ${i + j}`, priority: (i + j) % 4 })));
    }
    await board.close();
    out({ ok: true });
    break;
  }
  case 'sqlite-board-claim':
  case 'pg-board-claim': {
    const board = new Board(await openDb(url, { maxConnections: 1, busyTimeoutMs: 60_000 }));
    const result = await boardClaims(board, arg2);
    await board.close();
    out(result);
    break;
  }
  case 'wake-wait': {
    // Waits for messages in a loop and prints when each wait returned.
    const board = new Board(await openDb(url));
    await board.agents.register({ name: 'waiter', lease_ttl_ms: 600_000 });
    out({ ready: true });
    for (let received = 0; received < Number(arg1);) {
      const messages = await board.messages.wait('waiter', { timeout_ms: 10_000 });
      const at = clock();
      for (const message of messages) out({ content: message.content, at });
      received += messages.length;
    }
    await board.close();
    break;
  }
  case 'wake-measure': {
    const board = new Board(await openDb(url));
    const waiter = spawn(process.execPath, [new URL(import.meta.url).pathname, 'wake-wait', url, arg1], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: waiter.stdout })[Symbol.asyncIterator]();
    await lines.next(); // ready
    const latencies = [];
    for (let i = 0; i < Number(arg1); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5 + (i % 7))); // let the waiter go back to sleep
      // From the push's commit being acknowledged to the waiter's return (the waiter must still
      // read the message and mark it read, so it cannot return before the sender hears COMMIT).
      await board.messages.send(null, 'waiter', `m${i}`);
      const committed = clock();
      const { value } = await lines.next();
      latencies.push(JSON.parse(value).at - committed);
    }
    await board.close();
    out(latencies);
    break;
  }
  case 'mcp-roundtrip': {
    // A persistent SDK client calls list_tasks (a board of arg2 tasks) and ping (an empty tool) in turn.
    const { mkdirSync } = await import('node:fs');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    mkdirSync(url, { recursive: true });
    const setup = new Board(await openDb(`${url}/.orchestrator/state.db`));
    await setup.tasks.pushMany(Array.from({ length: Number(arg2) }, (_, i) => ({ title: `task ${i}` })));
    await setup.close();
    const client = new Client({ name: 'bench', version: '0' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [new URL('../dist/cli/main.js', import.meta.url).pathname, 'mcp'], cwd: url, stderr: 'ignore' });
    await client.connect(transport);
    const time = async (name, args) => {
      const start = performance.now();
      const result = await client.callTool({ name, arguments: args });
      if (result.isError) throw new Error(JSON.stringify(result.content));
      return performance.now() - start;
    };
    for (let i = 0; i < 100; i++) await time('list_tasks', {}), await time('ping', {});
    const list = [];
    const ping = [];
    for (let i = 0; i < Number(arg1); i++) {
      list.push(await time('list_tasks', {}));
      ping.push(await time('ping', {}));
    }
    // The session's memory after all those calls: one stdio MCP server is one connected session.
    const { readFileSync } = await import('node:fs');
    const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${transport.pid}/status`, 'utf8'))[1]) / 1024;
    await client.close();
    out({ list, ping, rssMb });
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
