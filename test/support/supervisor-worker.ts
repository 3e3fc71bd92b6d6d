// A supervisor process for the crash test: starts three command agents that run for a minute,
// prints "ready" once all three run, and waits to be killed.
import { Board } from '../../src/board/board.js';
import { commandAdapter } from '../../src/runner/adapters/command.js';
import { processIdentity } from '../../src/runner/os-process.js';
import { Supervisor } from '../../src/runner/supervisor.js';
import { openDb } from '../../src/store/open.js';

const [url, logDir] = process.argv.slice(2);
const board = new Board(await openDb(url!));
const supervisor = new Supervisor({ board, env: process.env, host: 'test-host', supervisor: processIdentity(process.pid), logDir: logDir!, concurrency: 3, idleTimeoutMs: 600_000, totalTimeoutMs: 600_000 });
for (let i = 0; i < 3; i++) {
  void supervisor.run({ adapter: commandAdapter(), options: { program: 'sh', args: ['-c', 'echo up; sleep 60', '{prompt}'], prompt: 'x' }, cwd: logDir! });
}
const timer = setInterval(async () => {
  if ((await board.processes.list({ state: 'running' })).items.filter((p) => p.pid !== null).length === 3) {
    clearInterval(timer);
    process.stdout.write('ready\n');
  }
}, 50);
