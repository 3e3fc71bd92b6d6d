// The cost of presence: 50 Claude Code sessions connected over stdio (50 `orchestrate mcp`
// processes, each an initialized MCP session acting as its own agent) keep their agents alive for
// a window of WINDOW_S seconds at the default 30 s lease. A trigger in the bench's own board file
// counts every lease renewal; the goal is at most one renewal per agent per third of its TTL.
// Prints one JSON line: {sessions, windowS, ttlS, renewals, perMinute, limitPerMinute, online}.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const dist = (path) => new URL(`../dist/${path}`, import.meta.url).pathname;
const { openDb } = await import(dist('store/open.js'));
const { Board } = await import(dist('board/board.js'));

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 50);
const WINDOW_S = Number(process.env.BENCH_PRESENCE_WINDOW_S ?? 30);
const TTL_S = 30;
const dir = mkdtempSync(join(tmpdir(), 'orchestrator-presence-'));
const file = join(dir, 'state.db');

const board = new Board(await openDb(file), { leaseTtlMs: TTL_S * 1000 });
const counter = new Database(file);
counter.pragma('busy_timeout = 10000');
counter.exec(`CREATE TABLE bench_renewals (at INTEGER NOT NULL);
  CREATE TRIGGER bench_count_renewals AFTER UPDATE OF lease_expires_at ON agents
  BEGIN INSERT INTO bench_renewals (at) VALUES (NEW.lease_expires_at); END;`);

const children = [];
const initialize = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } })}\n${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`;
for (let i = 0; i < SESSIONS; i++) {
  const child = spawn(process.execPath, [dist('cli/main.js'), 'mcp'], {
    cwd: dir,
    env: { ...process.env, ORCHESTRATOR_DB: file, ORCHESTRATOR_AGENT: `session-${i}`, ORCHESTRATOR_LEASE_TTL: String(TTL_S) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
}
// Every session answers initialize; then the agents register (as a SessionStart hook would) and
// each session takes its agent within a third of the lease. Then a whole window is counted.
await Promise.all(children.map((child) => new Promise((resolve) => {
  child.stdout.once('data', resolve);
  child.stdin.write(initialize);
})));
for (const child of children) child.stdout.resume();
for (let i = 0; i < SESSIONS; i++) await board.agents.register({ name: `session-${i}` });
await board.close();
await new Promise((resolve) => setTimeout(resolve, (TTL_S / 3 + 2) * 1000));
const before = counter.prepare('SELECT count(*) AS n FROM bench_renewals').get().n;
await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
const renewals = counter.prepare('SELECT count(*) AS n FROM bench_renewals').get().n - before;
const online = counter.prepare("SELECT count(*) AS n FROM agents WHERE status = 'online'").get().n;
for (const child of children) child.stdin.end();
await Promise.all(children.map((child) => new Promise((resolve) => child.on('exit', resolve))));
counter.close();
rmSync(dir, { recursive: true, force: true });
const perMinute = (renewals / WINDOW_S) * 60;
process.stdout.write(`${JSON.stringify({ sessions: SESSIONS, windowS: WINDOW_S, ttlS: TTL_S, renewals, perMinute, limitPerMinute: SESSIONS * (60 / (TTL_S / 3)), online })}\n`);
