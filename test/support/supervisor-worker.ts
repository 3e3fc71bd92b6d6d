// A supervisor process for the crash test: submits three tasks whose command agents run for a
// minute and one that finishes at once, prints "ready" once the three run and the fourth task
// is completed, and waits to be killed.
import { Board } from '../../src/board/board.js';
import { Dispatcher } from '../../src/runner/dispatcher.js';
import { processIdentity } from '../../src/runner/os-process.js';
import { openDb } from '../../src/store/open.js';

const [url, stateDir] = process.argv.slice(2);
const board = new Board(await openDb(url!));
const dispatcher = new Dispatcher({ board, env: process.env, host: 'test-host', supervisor: processIdentity(process.pid), stateDir: stateDir!, baseDir: stateDir! });
for (let i = 0; i < 3; i++) await dispatcher.submitTask({ prompt: `long ${i}`, agent: 'command', argv: ['sh', '-c', 'echo up; sleep 60', '{prompt}'] }, null);
const quick = await dispatcher.submitTask({ prompt: 'quick', agent: 'command', argv: ['sh', '-c', 'echo done'] }, null);
const timer = setInterval(async () => {
  const running = (await board.processes.list({ state: 'running' })).items.filter((p) => p.pid !== null).length;
  if (running === 3 && (await board.tasks.get(quick.task.id)).status === 'completed') {
    clearInterval(timer);
    process.stdout.write('ready\n');
  }
}, 50);
