// npm run tour: the board in action, through the real `orchestrate` CLI, in a scratch git
// repository on the embedded SQLite default, every command shown before its output; then what
// the tool is for: a master plan run end to end by agents (plain programs here, no model and no
// network) — a worktree per phase, the gates run again by the orchestrator, the merge queue, a
// phase whose gate fails and that the second attempt fixes. With a terminal, the run goes on in
// the background and the TUI shows it live (q leaves it); without one, the run's lines are printed.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tourAgent, writeTourPlan } from './tour-plan.mjs';

const main = new URL('../dist/cli/main.js', import.meta.url).pathname;
const project = mkdtempSync(join(tmpdir(), 'orchestrate-tour-'));
execFileSync('git', ['init', '-q'], { cwd: project });
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORCHESTRATOR_')));

function show(args, { as, quiet } = {}) {
  const printed = `orchestrate ${args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
  console.log(`\n$ ${as ? `ORCHESTRATOR_AGENT=${as} ` : ''}${printed}`);
  const output = execFileSync(process.execPath, [main, ...args], { cwd: project, env: as ? { ...env, ORCHESTRATOR_AGENT: as } : env, encoding: 'utf8' });
  if (!quiet) process.stdout.write(output);
  return output;
}
const json = (args, options) => {
  const value = JSON.parse(show([...args, '--json'], { ...options, quiet: true }));
  console.log(JSON.stringify({ id: value.id, status: value.status, priority: value.priority, title: value.title }));
  return value;
};

console.log(`A scratch project: ${project}`);
show(['agent', 'register', '--name', 'Tom', '--role', 'architect']);
show(['agent', 'register', '--name', 'Jerry', '--role', 'developer']);
show(['agent', 'register', '--name', 'Ann', '--role', 'tester']);

const api = json(['task', 'push', 'Design the login API', '--priority', '0', '--role', 'architect'], { as: 'Tom' });
const impl = json(['task', 'push', 'Implement POST /api/auth/login', '--priority', '1', '--role', 'developer', '--depends-on', api.id], { as: 'Tom' });
json(['task', 'push', 'E2E tests for login', '--role', 'tester', '--depends-on', impl.id], { as: 'Tom' });
show(['task', 'list']);

console.log('\n# Jerry cannot start yet: the implementation waits on the design, which is for an architect.');
show(['task', 'claim'], { as: 'Jerry' });
show(['task', 'claim'], { as: 'Tom' });
show(['task', 'complete', api.id, '--result', 'POST /api/auth/login {email, password} → JWT'], { as: 'Tom' });

console.log('\n# Two processes race for the implementation task: exactly one wins.');
const race = await Promise.all(['Jerry', 'Jerry'].map(() => new Promise((resolve) => {
  const child = spawn(process.execPath, [main, 'task', 'claim', '--json'], { cwd: project, env: { ...env, ORCHESTRATOR_AGENT: 'Jerry' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.on('exit', () => resolve(JSON.parse(out)));
})));
console.log(`claims: ${race.map((t) => (t ? t.id : 'null')).join(', ')}`);

show(['task', 'block', impl.id, '--reason', 'Waiting for the JWT signing key'], { as: 'Jerry' });
show(['msg', 'send', '--to-name', 'Tom', '--content', 'Where is the JWT signing key?'], { as: 'Jerry' });
show(['msg', 'poll'], { as: 'Tom' });
show(['ctx', 'set', 'jwt_key_ref', 'vault:auth/jwt', '--expected-version', '0'], { as: 'Tom' });
show(['task', 'unblock', impl.id], { as: 'Tom' });
show(['task', 'claim'], { as: 'Jerry' });
show(['task', 'complete', impl.id, '--result', 'PR #42'], { as: 'Jerry' });
show(['task', 'claim'], { as: 'Ann' });
show(['status']);
show(['events', '--limit', '8']);
console.log(`\nThe board is ${join(project, '.orchestrator', 'state.db')}; try more commands there with --project ${project}`);

// Part two: a master plan, run by agents.
const planned = mkdtempSync(join(tmpdir(), 'orchestrate-tour-plan-'));
const git = (...args) => execFileSync('git', args, { cwd: planned, encoding: 'utf8' });
writeTourPlan(planned);
const agent = tourAgent;
const runArgs = ['run', 'docs/master-plan.md', '--concurrency', '2', ...agent];
console.log(`\n# What it is for: a master plan (docs/master-plan.md in ${planned}), three phases, 1 and 2 at once, 3 after both.`);
console.log('# Each phase runs in its own worktree; the orchestrator runs the gates again itself and merges one phase at a time.');
console.log(`\n$ orchestrate ${runArgs.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
const live = process.stdout.isTTY && process.stdin.isTTY && !process.argv.includes('--no-tui');
const runEnv = { ...env };
delete runEnv.CI; // ink draws only a last frame when it thinks it runs in CI
const running = spawn(process.execPath, [main, ...runArgs], { cwd: planned, env: runEnv, stdio: live ? ['ignore', 'ignore', openSync(`${planned}.run.log`, 'w')] : 'inherit' });
const ended = new Promise((resolve) => running.on('exit', (code) => resolve(code)));
if (live) {
  console.log('\nThe TUI opens on the run: watch the phases move (3 Tasks, 4 Processes, Enter on a process shows its log). q leaves it.');
  await new Promise((resolve) => setTimeout(resolve, 2500));
  execFileSync(process.execPath, [main, 'tui'], { cwd: planned, env: runEnv, stdio: 'inherit' });
}
const code = await ended;
if (live) console.log(readFileSync(`${planned}.run.log`, 'utf8'));
console.log(`\nthe run exited ${code}`);
const branch = JSON.parse(execFileSync(process.execPath, [main, 'runs', '--json'], { cwd: planned, env, encoding: 'utf8' })).items.at(-1)?.branch;
if (branch) {
  console.log(`\n$ git log --oneline --graph ${branch}`);
  process.stdout.write(git('log', '--oneline', '--graph', branch));
}
console.log('\n$ orchestrate ps');
process.stdout.write(execFileSync(process.execPath, [main, 'ps'], { cwd: planned, env, encoding: 'utf8' }));
console.log(`\nThe plan's folder: ${planned} (its phase files now say Completed; try orchestrate status --run there)`);
