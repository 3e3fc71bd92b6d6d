// npm run tour: the board in action, through the real `orchestrate` CLI, in a scratch git
// repository on the embedded SQLite default. Every command is shown before its output.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
