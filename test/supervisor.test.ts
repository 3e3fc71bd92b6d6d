// The supervisor: limits under a burst, priorities, retries, records on the board, and
// recovery after the supervisor itself is killed with kill -9.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ProcessRecord } from '../src/board/processes.js';
import { commandAdapter } from '../src/runner/adapters/command.js';
import { processIdentity, processStartTime } from '../src/runner/os-process.js';
import { recoverProcesses } from '../src/runner/recovery.js';
import { maskArgv, Supervisor, type SupervisorOptions } from '../src/runner/supervisor.js';
import { cleanupBackends, newBoardUrl, openBoard, tempDir } from './support/backends.js';
import { cleanEnv, cli, newProject } from './support/cli.js';

after(cleanupBackends);

const shell = (script: string) => ({ program: 'sh', args: ['-c', script, '{prompt}'], prompt: 'x' });

/** The most processes that ran at once, from the board's records (an end before a start at a tie). */
function peak(records: ProcessRecord[]): number {
  const moments = records.flatMap((r) => [[Date.parse(r.started_at!), 1], [Date.parse(r.ended_at!), -1]] as const);
  moments.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, step] of moments) max = Math.max(max, (now += step));
  return max;
}

async function allRecords(board: Awaited<ReturnType<typeof openBoard>>): Promise<ProcessRecord[]> {
  return (await board.processes.list({ limit: 1000 })).items;
}

describe('supervisor', () => {
  const make = async (overrides: Partial<SupervisorOptions> = {}) => {
    const board = await openBoard(newBoardUrl('sqlite'));
    const logDir = join(tempDir(), 'logs');
    const supervisor = new Supervisor({ board, env: cleanEnv(), host: 'test-host', supervisor: processIdentity(process.pid), logDir, concurrency: 4, idleTimeoutMs: 10_000, totalTimeoutMs: 20_000, stopGraceMs: 200, ...overrides });
    return { board, supervisor, logDir };
  };

  test('a burst of 50 dispatches never runs more than the limits allow, and every one is recorded', async () => {
    const { board, supervisor, logDir } = await make({ concurrency: 4, perKind: { command: 3 } });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => supervisor.run({ adapter: commandAdapter(), options: shell(`echo job ${i}; sleep 0.05`), cwd: logDir })));
    assert.ok(results.every((r) => r.outcome.kind === 'ok'));
    const records = await allRecords(board);
    assert.equal(records.length, 50);
    const odd = records.filter((r) => !(r.state === 'exited' && r.outcome === 'ok' && r.pid !== null && r.pid_start !== null));
    assert.deepEqual(odd.map((r) => ({ id: r.id, state: r.state, outcome: r.outcome, pid: r.pid, pid_start: r.pid_start, message: r.outcome_message })), [], 'every one exited ok, with its pid and start time');
    assert.equal(peak(records), 3, 'the per-kind limit (3) held, and was used');
    const log = readFileSync(records[7]!.log_path!, 'utf8');
    assert.match(log, /"type":"text","text":"job \d+"/);
    assert.deepEqual(supervisor.load(), { running: 0, waiting: 0 });
    const ps = await cli(logDir, ['ps', '--db', board.db.location, '--state', 'exited', '--limit', '5']);
    assert.match(ps.stdout.split('\n')[0]!, /^ID\s+KIND\s+STATE\s+OUTCOME\s+HOST\s+PID/);
    assert.equal(ps.stdout.trim().split('\n').length, 7, 'a header, five rows and the cursor hint');
    const logs = await cli(logDir, ['logs', records[7]!.id, '--db', board.db.location]);
    assert.match(logs.stdout, new RegExp(`^${records[7]!.id} command exited → ok\n\\d\\d:\\d\\d:\\d\\d job \\d+`));
    assert.equal((await cli(logDir, ['logs', 'proc-none', '--db', board.db.location])).code, 3);
    assert.equal((await cli(logDir, ['logs', records[7]!.id, '--lines', '1', '--db', board.db.location])).stdout.trim().split('\n').length, 2);
    const badLines = await cli(logDir, ['logs', records[7]!.id, '--lines', 'abc', '--db', board.db.location]);
    assert.equal(badLines.code, 2);
    assert.match(badLines.stderr, /--lines must be a whole number from 1/);
    await board.close();
  });

  test('waiting jobs start by priority, then in order', async () => {
    const { board, supervisor, logDir } = await make({ concurrency: 1 });
    const order: string[] = [];
    const job = (name: string, priority: number) => supervisor.run({ adapter: commandAdapter(), options: shell(`echo ${name}; sleep 0.1`), cwd: logDir, priority, onEvent: () => order.push(name) });
    const first = job('first', 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all([first, job('low', 3), job('urgent', 0), job('low2', 3)]);
    assert.deepEqual(order, ['first', 'urgent', 'low', 'low2']);
    await board.close();
  });

  test('a hung attempt is retried with backoff; each attempt has its record; secrets are masked', async () => {
    const { board, supervisor, logDir } = await make({ idleTimeoutMs: 1_000, retries: { max: 2, backoffMs: 50 } });
    const marker = join(logDir, '..', 'marker');
    const result = await supervisor.run({ adapter: commandAdapter(), options: shell(`if [ -e ${marker} ]; then echo second try; else touch ${marker}; echo hanging; sleep 30; fi`), cwd: logDir });
    assert.equal(result.outcome.kind, 'ok');
    assert.equal(result.processIds.length, 2);
    const records = await allRecords(board);
    assert.deepEqual(records.map((r) => [r.attempt, r.outcome]), [[1, 'idle_timeout'], [2, 'ok']]);
    const failing = await supervisor.run({ adapter: commandAdapter(), options: shell('exit 2'), cwd: logDir });
    assert.equal(failing.processIds.length, 1, 'an ordinary failure is not retried');
    assert.deepEqual(maskArgv(['tool', '--token', 'abc', 'API_KEY=xyz', 'sk-ant-abcdefghijklmnop', 'plain']), ['tool', '--token', '***', 'API_KEY=***', '***', 'plain']);
    assert.deepEqual(maskArgv(['{"env":{"ORCHESTRATOR_DB":"postgres://me:s3cret@db:5432/board"}}']), ['{"env":{"ORCHESTRATOR_DB":"postgres://me:***@db:5432/board"}}']);
    await board.close();
  });
});

test('kill -9 of the supervisor with 3 agents running: recovery settles every process and requeues their tasks', async () => {
  const url = newBoardUrl('sqlite');
  const logDir = tempDir();
  const worker = spawn(process.execPath, ['--import', 'tsx', new URL('./support/supervisor-worker.ts', import.meta.url).pathname, url, logDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    worker.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    worker.on('exit', (code) => reject(new Error(`the supervisor exited early (${code})`)));
  });
  worker.kill('SIGKILL');
  await new Promise((resolve) => worker.on('exit', resolve));

  const board = await openBoard(url);
  const orphans = (await board.processes.list({ state: 'running' })).items;
  assert.equal(orphans.length, 3);
  const stillAlive = (pid: number) => processStartTime(pid) !== null;
  assert.ok(orphans.every((p) => stillAlive(p.pid!)), 'the agents outlived their supervisor (their own process groups)');

  // A supervisor that still runs (this test process) keeps its processes through a recovery.
  const living = new Supervisor({ board, env: cleanEnv(), host: 'test-host', supervisor: processIdentity(process.pid), logDir, concurrency: 1, idleTimeoutMs: 10_000, totalTimeoutMs: 20_000 });
  const cancel = new AbortController();
  const ours = living.run({ adapter: commandAdapter(), options: shell('echo alive; sleep 30'), cwd: tempDir(), signal: cancel.signal, onEvent: () => undefined });
  for (let i = 0; i < 100 && (await board.processes.list({ state: 'running' })).items.filter((p) => p.pid !== null).length < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const recovered = await recoverProcesses(board, 'test-host', 500);
  assert.equal(recovered.stopped.length, 3);
  const stillRunning = (await board.processes.list({ state: 'running' })).items;
  assert.equal(stillRunning.length, 1, 'only the live supervisor\'s process still runs');
  assert.equal(stillRunning[0]!.supervisor, processIdentity(process.pid));
  cancel.abort();
  assert.equal((await ours).outcome.kind, 'killed');
  assert.equal((await board.processes.list({ state: 'running' })).items.length, 0, 'nothing stuck in running');
  const settled = (await allRecords(board)).filter((p) => p.supervisor !== processIdentity(process.pid) && p.outcome !== 'ok');
  assert.equal(settled.length, 3);
  assert.ok(settled.every((p) => p.state === 'exited' && p.outcome === 'killed' && /orphaned/.test(p.outcome_message ?? '')));
  for (let i = 0; i < 50 && orphans.some((p) => stillAlive(p.pid!)); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(orphans.every((p) => !stillAlive(p.pid!)), 'the orphaned agents were stopped');
  // Their tasks went back to the queue (a retry counted); the task that finished before the crash stays completed.
  const tasks = (await board.tasks.list()).items.map((t) => [t.title, t.status, t.retry_count]).sort();
  assert.deepEqual(tasks, [['long 0', 'pending', 1], ['long 1', 'pending', 1], ['long 2', 'pending', 1], ['quick', 'completed', 0]]);
  await board.close();
});

test('orchestrate dispatch runs one agent, records it, and exits 12 when it is not ok', async () => {
  const project = newProject();
  const env = cleanEnv();
  const ok = await cli(project, ['dispatch', '--cli', 'command', '--program', 'sh', '--arg=-c', '--arg', 'echo "hi from $0"', '--arg', '{prompt}', 'the prompt', '--json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.json.outcome.kind, 'ok');
  assert.equal(ok.json.outcome.message, 'hi from the prompt');
  const ps = await cli(project, ['ps', '--json'], env);
  assert.equal(ok.json.output, 'hi from the prompt');
  assert.deepEqual(ps.json.items.map((p: { id: string; outcome: string }) => [p.id, p.outcome]), [[ok.json.dispatch_id, 'ok']]);
  assert.match((await cli(project, ['logs', ok.json.dispatch_id], env)).stdout, /hi from the prompt/);
  const failed = await cli(project, ['dispatch', '--cli', 'command', '--program', 'sh', '--arg=-c', '--arg', 'echo broken >&2; exit 4', 'x'], env);
  assert.equal(failed.code, 12);
  assert.match(failed.stdout, /^proc-\S+: failed\nexit 4: broken/);
  const unknown = await cli(project, ['dispatch', '--cli', 'robot', 'x'], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /agent 'robot' is not one of claude, codex, gemini, command/);
});
