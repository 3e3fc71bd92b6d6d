// `orchestrate tui` in a real terminal (tmux, fixed size), on SQLite and PostgreSQL: the first
// frame puts what needs you first; a task pushed from the CLI arrives live; number keys move
// between views; `a` answers the selected approval through the same command the CLI runs, and `@`
// shows it; a process's details end with its log (e: errors only); a resize refits every line; a filter that shortens the list leaves no stale
// characters; `q` exits 0 and gives the terminal back (the alternate screen ends). The first frame
// goes to test/artifacts/ as text. Then `orchestrate leader` after a master-plan run: it leads
// while its TUI is open; a task's details show its attempts and the gate that refused one; the
// merge queue, costs and problems views; `p` changes a priority and `:` runs any command, each
// through the CLI's own code; q resigns the leadership.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BACKENDS, cleanupBackends, newBoardUrl, openBoard, tempDir } from './support/backends.js';
import { cleanEnv, cli, MAIN, newProject } from './support/cli.js';
import { until } from './support/until.js';
import { tourAgent, writeTourPlan } from '../scripts/tour-plan.mjs';
import { splitKeys } from '../src/views/tui/app.js';
import { holdsUntilStopped } from '../src/cli/commands.js';

after(cleanupBackends);

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

test('a chunk of input is the keys in it: text, Enter, Backspace, Esc, arrows; one key stays as ink read it', () => {
  const keys = (input: string) => splitKeys(input, {}).map(({ input: text, key }) => text || Object.keys(key).join());
  assert.deepEqual(keys('API\r'), ['A', 'P', 'I', 'return']);
  assert.deepEqual(keys('/ab\x7fc\r\n'), ['/', 'a', 'b', 'backspace', 'c', 'return']);
  assert.deepEqual(keys('j\x1b[Bk\x1bOA\x1b[5~\x1b'), ['j', 'downArrow', 'k', 'upArrow', 'escape']);
  assert.deepEqual(keys('é✓\x01\tx'), ['é', '✓', '\t', 'x']);
  assert.deepEqual(splitKeys('', { return: true }), [{ input: '', key: { return: true } }]);
  assert.deepEqual(splitKeys('q', {}), [{ input: 'q', key: {} }]);
});

test('the command line refuses what would hold the view: servers, workers, runs without --detach, waits, follows, a register that stays', () => {
  for (const argv of [['worker'], ['web'], ['run', 'plan.md'], ['msg', 'wait'], ['logs', 'p1', '-f'], ['agent', 'register', '--work-dir', 'here'], ['register', '--name=x', '--work-dir=here']]) {
    assert.match(holdsUntilStopped(argv) ?? 'null', /^'orchestrate [a-z ]+' (runs|waits) until it ends/, argv.join(' '));
  }
  for (const argv of [['run', 'plan.md', '--detach'], ['agent', 'register', '--name', 'x'], ['task', 'list'], ['worker', 'list'], ['leader', 'status']]) assert.equal(holdsUntilStopped(argv), null, argv.join(' '));
});
const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;

for (const backend of BACKENDS) {
  describe(`orchestrate tui on ${backend}`, { skip: hasTmux ? false : 'no tmux: apt-get install tmux (.ci/run does)' }, () => {
    test('first frame, live arrival, views, an approval answered with a, resize, no stale characters, q restores the terminal', async () => {
      const dir = newProject();
      const url = newBoardUrl(backend);
      const env = cleanEnv({ ORCHESTRATOR_DB: url, USER: 'carol' });
      delete env.CI; // ink draws only a last frame when it thinks it runs in CI
      await cli(dir, ['task', 'push', 'write the parser'], env);
      const dispatched = await cli(dir, ['dispatch', '--cli', 'command', '--program', 'sh', '--arg=-c', '--arg', 'echo hello-from-the-agent; echo oops >&2; exit 0', 'say hello', '--json'], env);
      assert.equal(dispatched.code, 0, dispatched.stderr);
      const board = await openBoard(url);
      const asked = await board.approvals.request({ agent: 'worker-3', role: null, tool_name: 'Edit', input: { file_path: 'src/a.ts' }, tool_use_id: null });
      const socket = `orch-${process.pid}-${backend}`;
      const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', env });
      const screen = () => tmux('capture-pane', '-p', '-t', 'tui').stdout;
      const key = async (keys: string, then: (text: string) => boolean, what: string) => {
        tmux('send-keys', '-t', 'tui', keys);
        return until(what, async () => (then(screen()) ? screen() : null), 30_000, 100).catch((error: Error) => {
          throw new Error(`${error.message}; the screen:\n${screen()}\nits stderr: ${existsSync(errFile) ? readFileSync(errFile, 'utf8') : '(none)'}`);
        });
      };
      const exitFile = join(tempDir(), 'exit');
      const errFile = `${exitFile}.err`;
      const command = `cd ${JSON.stringify(dir)} && ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} tui 2> ${JSON.stringify(errFile)}; echo $? > ${JSON.stringify(exitFile)}; echo the shell is back; sleep 60`;
      assert.equal(tmux('new-session', '-d', '-s', 'tui', '-x', '100', '-y', '24', command).status, 0);
      try {
        const first = await until('the first frame', async () => (/needs you 1/.test(screen()) ? screen() : null), 60_000, 100);
        mkdirSync(ARTIFACTS, { recursive: true });
        writeFileSync(join(ARTIFACTS, `tui-overview-${backend}.txt`), first);
        const lines = first.split('\n');
        assert.match(lines[0]!, /^orchestrate · \S+ .*needs you 1 · queued 1/);
        assert.match(lines[3]!, new RegExp(`^NEEDS YOU ${asked.id}`), 'the approval comes first');

        await cli(dir, ['task', 'push', 'write the printer'], env);
        await until('the pushed task arrives', async () => /write the printer/.test(screen()), 30_000, 100);

        await key('3', (s) => /\[3 Tasks\]/.test(s) && !/NEEDS YOU/.test(s), 'the tasks view');
        await key('2', (s) => /\[2 Agents\]/.test(s), 'the agents view');
        await key('1', (s) => /\[1 Overview\]/.test(s) && /NEEDS YOU/.test(s), 'back to the overview');
        // Ctrl-A (a terminal habit) is not a: keys are taken in order, so the log opened after it shows nothing ran.
        tmux('send-keys', '-t', 'tui', 'C-a');
        const unanswered = await key('@', (s) => /action log/.test(s), 'the action log after Ctrl-A');
        assert.doesNotMatch(unanswered, /orchestrate approvals allow/, 'Ctrl-A allowed nothing');
        await key('@', (s) => !/action log/.test(s), 'the action log closes');
        const answered = await key('a', (s) => /✓ orchestrate approvals allow/.test(s), 'the approval is answered');
        assert.match(answered, new RegExp(`✓ orchestrate approvals allow ${asked.id}`));
        const decided = (await board.approvals.list()).items.find((a) => a.id === asked.id)!;
        assert.deepEqual([decided.state, decided.decided_by], ['allowed', 'carol (tui)']);
        await until('the inbox empties', async () => !new RegExp(`NEEDS YOU ${asked.id}`).test(screen()), 30_000, 100);
        await key('@', (s) => /action log/.test(s), 'the action log');
        assert.match(screen(), new RegExp(`carol \\(tui\\): orchestrate approvals allow ${asked.id}`));
        await key('@', (s) => !/action log/.test(s), 'the action log closes');

        // A process's details end with its log, live; e keeps the errors only.
        await key('4', (s) => /\[4 Processes\]/.test(s) && /command/.test(s), 'the processes view');
        await key('Enter', (s) => /── log, following/.test(s) && /hello-from-the-agent/.test(s), 'the log in the details');
        await key('e', (s) => /── log \(errors only\)/.test(s) && !/hello-from-the-agent/.test(s), 'errors only');
        await key('Escape', (s) => /\[4 Processes\]/.test(s) && !/── log/.test(s), 'back to the list');

        tmux('resize-window', '-t', 'tui', '-x', '60', '-y', '14');
        const small = await until('the frame refits', async () => {
          const text = screen();
          return /^orchestrate/.test(text) && text.split('\n').every((line) => line.length <= 60) ? text : null;
        }, 30_000, 100);
        assert.equal(small.replace(/\n$/, '').split('\n').length, 14, 'one line per row of the terminal');

        await key('3', (s) => /\[3 Tasks\]/.test(s) && /write the printer/.test(s), 'the tasks view again');
        // One chunk, as a paste or a busy machine delivers keys: '/', the text and Enter are each a key.
        tmux('send-keys', '-t', 'tui', '/parser', 'Enter');
        const filtered = await until('the filter applies', async () => (/1\/1 matching 'parser'/.test(screen()) && /filter: parser \(Esc clears\)/.test(screen()) ? screen() : null), 30_000, 100);
        const rows = filtered.split('\n');
        const count = rows.findIndex((line) => line.startsWith('1/1'));
        assert.ok(rows.slice(3, count).every((line) => /write the parser/.test(line)), 'only the match is listed');
        const footer = rows.findLastIndex((line) => line.trim() !== '');
        assert.ok(footer > count + 1 && rows.slice(count + 1, footer).every((line) => line.trim() === ''), `no stale characters below the list:\n${filtered}`);
        // Keys after the filter's Enter in the same chunk see the filtered list: Enter opens the row it left.
        tmux('send-keys', '-t', 'tui', '/printer', 'Enter', 'Enter');
        const opened = await until('the details open', async () => (/── attempts/.test(screen()) ? screen() : null), 30_000, 100);
        assert.match(opened, /task task-\S+: write the printer/, 'the filtered row opened, not the one selected before the filter');
        await key('Escape', (s) => /1\/1 matching 'printer'/.test(s), 'back to the filtered list');

        await key('q', () => existsSync(exitFile), 'q exits');
        assert.equal(readFileSync(exitFile, 'utf8').trim(), '0');
        const after = await until('the shell is back', async () => (/the shell is back/.test(screen()) ? screen() : null), 30_000, 100);
        assert.doesNotMatch(after, /orchestrate ·/, 'the alternate screen ended: the TUI is gone from the terminal');
      } finally {
        tmux('kill-server');
        await board.close();
      }
    });

    test('orchestrate leader leads from the TUI: a task\'s attempts and gates, merges, costs, problems, p and : act; q resigns', async () => {
      const dir = tempDir('orchestrator-tui-plan-');
      writeTourPlan(dir);
      const url = newBoardUrl(backend);
      const env = cleanEnv({ ORCHESTRATOR_DB: url, USER: 'gina' });
      delete env.CI;
      const ran = await cli(dir, ['run', 'docs/master-plan.md', '--concurrency', '2', ...tourAgent], env);
      assert.equal(ran.code, 0, ran.stderr);
      const loose = (await cli(dir, ['task', 'push', 'write the changelog', '--json'], env)).json as { id: string };
      const board = await openBoard(url);
      const socket = `orch-leader-${process.pid}-${backend}`;
      const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', env });
      const screen = () => tmux('capture-pane', '-p', '-t', 'tui').stdout;
      const exitFile = join(tempDir(), 'exit');
      const errFile = `${exitFile}.err`;
      const see = (then: (text: string) => boolean, what: string) => until(what, async () => (then(screen()) ? screen() : null), 30_000, 100).catch((error: Error) => {
        throw new Error(`${error.message}; the screen:\n${screen()}\nits stderr: ${existsSync(errFile) ? readFileSync(errFile, 'utf8') : '(none)'}`);
      });
      const key = (keys: string, then: (text: string) => boolean, what: string) => {
        tmux('send-keys', '-t', 'tui', keys);
        return see(then, what);
      };
      const type = (text: string) => tmux('send-keys', '-t', 'tui', '-l', text);
      const command = `cd ${JSON.stringify(dir)} && ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} leader --name Lead 2> ${JSON.stringify(errFile)}; echo $? > ${JSON.stringify(exitFile)}; sleep 60`;
      assert.equal(tmux('new-session', '-d', '-s', 'tui', '-x', '120', '-y', '30', command).status, 0);
      try {
        await see((s) => /\[1 Overview\]/.test(s), 'the view opens');
        assert.equal((await board.leader.status()).agent_name, 'Lead', 'it leads while the view is open');

        await key('3', (s) => /\[3 Tasks\]/.test(s), 'the tasks view');
        tmux('send-keys', '-t', 'tui', '/');
        type('API');
        await key('Enter', (s) => /1\/1 matching 'API'/.test(s) && /filter: API \(Esc clears\)/.test(s), 'the filter');
        const details = await key('Enter', (s) => /── attempts \(2\)/.test(s), 'the task\'s details');
        assert.match(details, /attempt 1: ok · gates ✗ grep -q ready api\.txt — gates failed/);
        assert.match(details, /attempt 2: ok · gates ✓ grep -q ready api\.txt — accepted/);
        assert.match(details, /needed by: run-\S+\.c1\.3 \(completed\)/);
        assert.match(details, /merged [0-9a-f]{10}/);
        await key('Escape', (s) => !/── attempts/.test(s), 'back');
        await key('Escape', (s) => !/matching 'API'/.test(s), 'the filter cleared');

        await key('5', (s) => /\[5 Runs\]/.test(s), 'the runs view');
        const run = await key('Enter', (s) => /── Both/.test(s), 'the run\'s lanes');
        assert.match(run, /completed · cycle 1 · branch orchestrate\/greetings-master-plan/);
        assert.match(run, /attempt 1: gates failed/);
        await key('Escape', (s) => /\[5 Runs\]/.test(s) && !/── Both/.test(s), 'back');

        const merges = await key('7', (s) => /merge queue of run-/.test(s), 'the merge queue');
        assert.equal(merges.match(/ merged [0-9a-f]{10}/g)?.length, 3, merges);
        await board.accounts.observe('codex', 'login:default', [{ name: 'primary', used: 0.31, resets_at: new Date(Date.now() + 3600_000).toISOString(), source: 'codex session file' }]);
        const spent = await key('8', (s) => /── by CLI/.test(s) && /── usage windows/.test(s), 'costs');
        assert.match(spent, /command +\$ +0\.0000 · +0 tokens · 4 processes/);
        assert.match(spent, /codex +login:default +ok, 69% headroom — primary 31%/);
        await key('0', (s) => /\[0 Problems\]/.test(s) && /nothing here/.test(s), 'no problem');

        await key('3', (s) => /\[3 Tasks\]/.test(s), 'the tasks again');
        tmux('send-keys', '-t', 'tui', '/');
        type('changelog');
        await key('Enter', (s) => /1\/1 matching 'changelog'/.test(s) && /filter: changelog \(Esc clears\)/.test(s), 'the loose task');
        await key('p', (s) => new RegExp(`Priority ${loose.id} — the new priority`).test(s), 'the priority prompt');
        type('0');
        await key('Enter', (s) => /✓ orchestrate task priority/.test(s), 'the priority changed');
        assert.equal((await board.tasks.get(loose.id)).priority, 0);

        await key(':', (s) => /^:▏/m.test(s), 'the command line');
        type('task push "from the command line" --priority 1');
        await key('Enter', (s) => /✓ orchestrate task push 'from the command line' --priority 1/.test(s), 'the command ran');
        assert.ok((await board.tasks.list()).items.some((t) => t.title === 'from the command line' && t.priority === 1));
        await key(':', (s) => /^:▏/m.test(s), 'the command line again');
        type('log --follow');
        await key('Enter', (s) => /✗ orchestrate log --follow — error: 'orchestrate log' waits until it ends: run it in a terminal of its own/.test(s), 'a command that would hold the view is refused');
        await key('@', (s) => /gina \(tui\): orchestrate task push/.test(s), 'the action log');

        await key('q', () => existsSync(exitFile), 'q exits');
        assert.equal(readFileSync(exitFile, 'utf8').trim(), '0');
        assert.equal((await board.leader.status()).agent_name, null, 'it resigned when the view closed');
      } finally {
        tmux('kill-server');
        await board.close();
      }
    });
  });
}
