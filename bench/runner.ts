// Runner benchmarks, one mode per call (run by bench/run.mjs with tsx; prints one JSON line):
//   spawn   dispatch → first byte of a command agent through the Supervisor, against a bare
//           child_process.spawn of the same program, alternating, in ms
//   claude  wall time of a supervised Claude Code run against the bare `claude -p` command line,
//           both against the fake model server, alternating, in ms
//   rss     the supervisor's resident memory while 50 command agents run at once, in MB
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Board } from '../dist/board/board.js';
import { claude } from '../dist/runner/adapters/claude.js';
import { commandAdapter } from '../dist/runner/adapters/command.js';
import { processIdentity } from '../dist/runner/os-process.js';
import { Supervisor } from '../dist/runner/supervisor.js';
import { openDb } from '../dist/store/open.js';
import { startFakeModel } from '../test/support/fake-model/server.js';

const [mode, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-runner-'));
const board = new Board(await openDb(join(dir, 'state.db')));
const supervisor = (concurrency: number) =>
  new Supervisor({ board, env: process.env, host: 'bench', supervisor: processIdentity(process.pid), logDir: join(dir, 'logs'), concurrency, idleTimeoutMs: 60_000, totalTimeoutMs: 120_000 });

function bareFirstByte(program: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(program, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let first = 0;
    child.stdout.once('data', () => (first = performance.now() - start));
    child.on('error', reject);
    child.on('close', () => resolve(first));
  });
}

function bareWall(program: string, args: string[], env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(program, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`${program} exited ${code}`))));
  });
}

if (mode === 'spawn') {
  const runner = supervisor(4);
  const program = '/bin/echo';
  const bare: number[] = [];
  const supervised: number[] = [];
  for (let i = 0; i < rounds; i++) {
    bare.push(await bareFirstByte(program, ['hi']));
    const start = performance.now();
    let first = 0;
    await runner.run({ adapter: commandAdapter(), options: { program, args: [], prompt: 'hi' }, cwd: dir, onFirstByte: () => (first = performance.now() - start) });
    supervised.push(first);
  }
  process.stdout.write(JSON.stringify({ bare, supervised }));
} else if (mode === 'claude') {
  const model = await startFakeModel([{ name: 'any', match: {}, turns: [{ tools: [{ name: 'Bash', input: { command: 'echo hi' } }] }, { text: 'done' }] }]);
  const home = join(dir, 'home');
  mkdirSync(join(home, 'tmp'), { recursive: true });
  writeFileSync(join(home, '.claude.json'), '{}');
  const env = { ...process.env, HOME: home, ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'bench', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_TMPDIR: join(home, 'tmp') };
  const program = new URL('../node_modules/.bin/claude', import.meta.url).pathname;
  const options = { program, prompt: 'run echo', allowedTools: ['Bash'] };
  const line = claude.commandLine(options);
  const runner = new Supervisor({ board, env, host: 'bench', supervisor: processIdentity(process.pid), logDir: join(dir, 'logs'), concurrency: 1, idleTimeoutMs: 60_000, totalTimeoutMs: 120_000 });
  await bareWall(line.program, line.args, env); // warm the file cache
  const bare: number[] = [];
  const supervised: number[] = [];
  for (let i = 0; i < rounds; i++) {
    bare.push(await bareWall(line.program, line.args, env));
    const start = performance.now();
    const result = await runner.run({ adapter: claude, options, cwd: dir });
    if (result.outcome.kind !== 'ok') throw new Error(`supervised claude: ${result.outcome.kind} ${result.outcome.message}`);
    supervised.push(performance.now() - start);
  }
  await model.close();
  process.stdout.write(JSON.stringify({ bare, supervised }));
} else if (mode === 'rss') {
  const runner = supervisor(50);
  let peak = 0;
  let running = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const jobs = Array.from({ length: 50 }, () =>
    runner.run({ adapter: commandAdapter(), options: { program: 'sh', args: ['-c', 'echo up; sleep 3'], prompt: 'x' }, cwd: dir, onEvent: () => (running = Math.max(running, runner.load().running)) }),
  );
  await Promise.all(jobs);
  clearInterval(sampler);
  process.stdout.write(JSON.stringify({ peakMb: peak / 1024 / 1024, concurrent: running }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
await board.close();
