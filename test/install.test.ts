// Installed as users install it: `npm pack`, then the tarball installed globally into a temporary
// prefix and as a dependency of a temporary project — from a local registry on 127.0.0.1 that
// serves the pinned dependencies out of the npm cache this checkout's own install filled, with
// npm's strict script policy (npm 12's default) — and used from the installed copy: --version,
// status, task push, an MCP stdio session, setup and --undo. A native module that does not load is
// one clear message and exit 15.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cleanupBackends, tempDir } from './support/backends.js';
import { cleanEnv, newProject, runProgram } from './support/cli.js';
import { startLocalRegistry } from './support/local-registry.js';

after(async () => {
  await registry?.close();
  await cleanupBackends();
});

const ROOT = new URL('..', import.meta.url).pathname;
/** The cache `npm ci` filled (npm run sets npm_config_cache); the tests' scratch HOME has none. */
const CACHE = process.env.npm_config_cache ?? join(homedir(), '.npm');

const run = (program: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => runProgram(program, args, { cwd: options.cwd ?? ROOT, env: options.env ?? cleanEnv() });

let registry: Awaited<ReturnType<typeof startLocalRegistry>>;
const npm = (args: string[], cwd: string, env: Record<string, string>) =>
  run('npm', [...args, '--registry', `${registry.url}/`, '--cache', tempDir('orchestrator-npm-cache-'), '--strict-allow-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env });

let tarball: string;
before(async () => {
  registry = await startLocalRegistry(ROOT, CACHE);
  // Packed from a copy of the sources: `prepack` rebuilds dist/, and the other test files run the
  // CLI from this checkout's dist/ meanwhile (a module half rewritten failed one of them).
  const copy = tempDir('orchestrator-pack-src-');
  for (const entry of ['src', 'scripts', 'tsconfig.json', 'package.json', 'npm-shrinkwrap.json', 'README.md', 'LICENSE']) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const out = tempDir('orchestrator-pack-');
  const packed = await run('npm', ['pack', '--pack-destination', out, '--loglevel=error'], { cwd: copy, env: { ...process.env as Record<string, string> } });
  assert.equal(packed.code, 0, packed.stderr);
  tarball = join(out, readdirSync(out).find((name) => name.endsWith('.tgz'))!);
});

test('npm pack holds the built program, the license and the readme, and nothing of the tests', async () => {
  const listed = await run('tar', ['tzf', tarball]);
  const files = listed.stdout.split('\n');
  for (const file of ['package/dist/cli/main.js', 'package/dist/store/migrations/sqlite/006_usage_windows.sql', 'package/LICENSE', 'package/README.md', 'package/package.json']) {
    assert.ok(files.includes(file), `${file} is in the package`);
  }
  assert.ok(!files.some((file) => file.startsWith('package/test/') || file.startsWith('package/src/')), 'no tests or sources');
});

test('installed globally and as a dependency, with strict install scripts: the installed copy works', async () => {
  const prefix = tempDir('orchestrator-prefix-');
  mkdirSync(join(prefix, 'lib')); // npm installs globally into <prefix>/lib/node_modules
  const env = cleanEnv({ PATH: `${join(prefix, 'bin')}:${process.env.PATH}` });
  const global = await npm(['install', '--global', '--prefix', prefix, tarball], ROOT, env);
  assert.equal(global.code, 0, `global install: ${global.stderr}`);
  console.log(`# global install of the tarball: ${(global.ms / 1000).toFixed(1)} s`);
  const orchestrate = join(prefix, 'bin', 'orchestrate');
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  for (const flag of ['--version', '-V']) assert.equal((await run(orchestrate, [flag], { env })).stdout.trim(), version);

  const project = newProject();
  const inProject = (args: string[]) => run(orchestrate, args, { cwd: project, env });
  assert.equal((await inProject(['status', '--json'])).json.store.dialect, 'sqlite');
  const pushed = await inProject(['task', 'push', 'from the installed copy', '--json']);
  assert.equal(pushed.code, 0, pushed.stderr);

  const client = new Client({ name: 'install-test', version: '0' });
  await client.connect(new StdioClientTransport({ command: orchestrate, args: ['mcp'], cwd: project, env: { ...env, ORCHESTRATOR_AGENT: 'Installed' }, stderr: 'pipe' }));
  try {
    const listed = await client.callTool({ name: 'list_tasks', arguments: {} });
    assert.deepEqual((listed.structuredContent as { items: { title: string }[] }).items.map((task) => task.title), ['from the installed copy']);
  } finally {
    await client.close();
  }

  // Installed under a temporary folder, setup names the program on the PATH, not its path.
  const setup = await inProject(['setup', '--name', 'Installed']);
  assert.equal(setup.code, 0, setup.stderr);
  const server = JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')).mcpServers.orchestrator;
  assert.equal(server.command, 'orchestrate');
  assert.equal((await inProject(['setup', '--undo'])).code, 0);
  assert.equal(existsSync(join(project, '.mcp.json')), false, 'undo removed what setup wrote');
  // With no orchestrate on the PATH there is nothing lasting to name: setup refuses and says what to do.
  const bare = await run(process.execPath, [join(prefix, 'lib', 'node_modules', 'claude-orchestrator', 'dist', 'cli', 'main.js'), 'setup'], { cwd: project, env: cleanEnv({ PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }) });
  assert.equal(bare.code, 2, bare.stderr);
  assert.match(bare.stderr, /runs from a temporary place .*install it \(npm install -g claude-orchestrator\)/);
  assert.equal(existsSync(join(project, '.mcp.json')), false, 'a refused setup wrote nothing');

  const dependent = tempDir('orchestrator-dependent-');
  writeFileSync(join(dependent, 'package.json'), JSON.stringify({ name: 'uses-orchestrator', version: '1.0.0', private: true }));
  const local = await npm(['install', tarball], dependent, env);
  assert.equal(local.code, 0, `install as a dependency: ${local.stderr}`);
  console.log(`# install as a dependency: ${(local.ms / 1000).toFixed(1)} s`);
  assert.equal((await run(join(dependent, 'node_modules', '.bin', 'orchestrate'), ['--version'], { env })).stdout.trim(), version);

  // A native module that no longer loads (another Node, a failed install): one message, exit 15.
  const prebuild = join(prefix, 'lib', 'node_modules', 'claude-orchestrator', 'node_modules', 'better-sqlite3', 'prebuilds', `linux-${process.arch}.node`);
  assert.ok(existsSync(prebuild), `the driver ships its binary: ${prebuild}`);
  writeFileSync(prebuild, 'not a shared object');
  const broken = await inProject(['status']);
  assert.equal(broken.code, 15, broken.stderr);
  assert.equal(broken.stderr.trim().split('\n').length, 1);
  assert.match(broken.stderr, /^error: the better-sqlite3 driver does not load on Node v\d+.*; reinstall claude-orchestrator with this Node/);
  assert.doesNotMatch(broken.stderr, /this is a bug/);
});
