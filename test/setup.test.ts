// `orchestrate setup`: merges into what is there, writes only what it owns, backs up, and
// `--undo` restores byte for byte; a malformed file stops it before anything is written; it
// touches the home folder only with --global.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanupBackends, tempDir } from './support/backends.js';
import { cleanEnv, cli, MAIN, newProject } from './support/cli.js';

after(cleanupBackends);

const MCP_JSON = '{\n    "mcpServers": {\n        "other": { "command": "other-server", "args": ["--flag"] }\n    },\n    "extra": [1, 2, 3]\n}\n';
const SETTINGS = '{"permissions":{"allow":["Bash(npm test)"],"deny":["Read(.env)"]},"hooks":{"SessionStart":[{"hooks":[{"type":"command","command":"echo hello"}]}]},"model":"opus"}';

function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[path.slice(dir.length + 1)] = readFileSync(path, 'base64');
    }
  };
  if (existsSync(dir)) walk(dir);
  return files;
}

test('setup merges into existing files, setup --undo restores them byte for byte', async () => {
  const project = newProject();
  mkdirSync(join(project, '.claude'));
  writeFileSync(join(project, '.mcp.json'), MCP_JSON);
  writeFileSync(join(project, '.claude', 'settings.json'), SETTINGS);
  const home = tempDir('orchestrator-home-');
  const env = cleanEnv({ HOME: home });
  const before = snapshot(join(project, '.claude'));

  const result = await cli(project, ['setup', '--name', 'Jerry', '--role', 'developer', '--hooks', '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.json.changes.length, 5);
  const mcp = JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8'));
  assert.deepEqual(mcp.mcpServers.other, { command: 'other-server', args: ['--flag'] }, 'the other server is kept');
  assert.deepEqual(mcp.extra, [1, 2, 3]);
  assert.equal(mcp.mcpServers.orchestrator.type, 'stdio');
  assert.deepEqual(mcp.mcpServers.orchestrator.args.slice(-1), ['mcp']);
  assert.equal(mcp.mcpServers.orchestrator.env.ORCHESTRATOR_AGENT, 'Jerry');
  assert.match(readFileSync(join(project, '.mcp.json'), 'utf8'), /^\{\n {4}"mcpServers"/, 'the file keeps its 4-space indentation');
  const settings = JSON.parse(readFileSync(join(project, '.claude', 'settings.json'), 'utf8'));
  const program = [process.execPath, MAIN].join(' ');
  assert.deepEqual(settings.permissions, {
    allow: ['Bash(npm test)', 'mcp__orchestrator', 'Edit(.orchestrator/context/**)', ...['start', 'status', 'log', 'resume', 'doctor'].map((verb) => `Bash(${program} ${verb}:*)`)],
    deny: ['Read(.env)'],
  }, 'what /orchestrate runs is allowed; nothing else changes');
  assert.equal(settings.model, 'opus');
  assert.deepEqual(settings.enabledMcpjsonServers, ['orchestrator']);
  assert.equal(settings.hooks.SessionStart.length, 3, 'the existing hook stays');
  assert.match(settings.hooks.SessionStart[1].hooks[0].command, /'agent' 'register' '--name' 'Jerry' '--role' 'developer'/);
  assert.match(settings.hooks.SessionStart[2].hooks[0].command, /'reminder' 'match' '--hook'/);
  assert.match(settings.hooks.UserPromptSubmit[0].hooks[0].command, /'reminder' 'match' '--hook'/);
  assert.match(settings.hooks.SessionEnd[0].hooks[0].command, /'agent' 'unregister' '--agent' 'Jerry'/);
  assert.match(readFileSync(join(project, '.claude', 'commands', 'orchestrate.md'), 'utf8'), /\$ARGUMENTS/);
  assert.match(readFileSync(join(project, '.claude', 'skills', 'orchestrator', 'SKILL.md'), 'utf8'), /^---\nname: orchestrator\n/);
  assert.deepEqual(readdirSync(home), [], 'the home folder was not touched');
  assert.equal((await cli(project, ['status', '--json'], env)).code, 0);
  assert.doesNotMatch((await cli(project, ['config'], env)).stdout, /setup-backups/);

  const again = await cli(project, ['setup', '--name', 'Jerry', '--role', 'developer', '--hooks', '--json'], env);
  assert.deepEqual(again.json.changes, [], 'a second run changes nothing');
  assert.equal(again.json.backup, null);

  const renamed = await cli(project, ['setup', '--name', 'Jerry2', '--hooks', '--json'], env);
  const hooks = JSON.parse(readFileSync(join(project, '.claude', 'settings.json'), 'utf8')).hooks;
  assert.equal(hooks.SessionStart.length, 3, 'our hooks are replaced, not added twice');
  assert.match(hooks.SessionStart[1].hooks[0].command, /Jerry2/);
  assert.ok(renamed.json.backup);

  assert.equal((await cli(project, ['setup', '--undo'], env)).code, 0, 'undo the rename');
  const undone = await cli(project, ['setup', '--undo'], env);
  assert.equal(undone.code, 0, undone.stderr);
  assert.equal(readFileSync(join(project, '.mcp.json'), 'utf8'), MCP_JSON);
  assert.equal(readFileSync(join(project, '.claude', 'settings.json'), 'utf8'), SETTINGS);
  assert.deepEqual(snapshot(join(project, '.claude')), before, 'the command and skill are gone, nothing else changed');
  const nothing = await cli(project, ['setup', '--undo'], env);
  assert.equal(nothing.code, 3);
  assert.match(nothing.stderr, /no setup to undo/);
});

test('a new project: files are created, and undo removes them again', async () => {
  const project = newProject();
  const env = cleanEnv();
  const dry = await cli(project, ['setup', '--dry-run', '--json'], env);
  assert.equal(dry.json.changes.length, 5);
  assert.equal(existsSync(join(project, '.mcp.json')), false, '--dry-run writes nothing');
  assert.equal(existsSync(join(project, '.claude')), false);
  const http = await cli(project, ['setup', '--http', 'http://127.0.0.1:3100/mcp', '--name', 'Web'], env);
  assert.equal(http.code, 0, http.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')).mcpServers.orchestrator, {
    type: 'http', url: 'http://127.0.0.1:3100/mcp', headers: { 'X-Orchestrator-Agent': 'Web' },
  });
  assert.equal((await cli(project, ['setup', '--undo'], env)).code, 0);
  assert.equal(existsSync(join(project, '.mcp.json')), false);
  assert.equal(existsSync(join(project, '.claude')), false);
});

test('a malformed file is reported with its line and nothing is written', async () => {
  const project = newProject();
  mkdirSync(join(project, '.claude'));
  const broken = '{\n  "permissions": {\n    "allow": ["x",]\n  }\n}\n';
  writeFileSync(join(project, '.claude', 'settings.json'), broken);
  writeFileSync(join(project, '.mcp.json'), MCP_JSON);
  const env = cleanEnv();
  const result = await cli(project, ['setup'], env);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /settings\.json is not valid JSON at line 3, column \d+.*nothing was changed/);
  assert.equal(result.stderr.trim().split('\n').length, 1);
  assert.equal(readFileSync(join(project, '.claude', 'settings.json'), 'utf8'), broken);
  assert.equal(readFileSync(join(project, '.mcp.json'), 'utf8'), MCP_JSON, 'the valid file was not changed either');
  assert.equal(existsSync(join(project, '.claude', 'commands')), false);

  writeFileSync(join(project, '.claude', 'settings.json'), '{"hooks": []}');
  const wrongShape = await cli(project, ['setup', '--hooks'], env);
  assert.equal(wrongShape.code, 2);
  assert.match(wrongShape.stderr, /"hooks" is not an object/);
});

test('files setup did not write are left alone', async () => {
  const project = newProject();
  const skill = join(project, '.claude', 'skills', 'orchestrator');
  mkdirSync(skill, { recursive: true });
  writeFileSync(join(skill, 'SKILL.md'), '# my own skill\n');
  const result = await cli(project, ['setup', '--json'], cleanEnv());
  assert.equal(readFileSync(join(skill, 'SKILL.md'), 'utf8'), '# my own skill\n');
  assert.equal(result.json.skipped.length, 1);
  assert.ok(!result.json.changes.some((c: { path: string }) => c.path.endsWith('SKILL.md')));
});

test('--global writes the user config under HOME (merging) and undo restores it', async () => {
  const project = newProject();
  const home = tempDir('orchestrator-home-');
  const claudeJson = '{"numStartups":3,"projects":{"/x":{"allowedTools":[]}},"mcpServers":{"mine":{"command":"mine"}}}';
  writeFileSync(join(home, '.claude.json'), claudeJson);
  const env = cleanEnv({ HOME: home });
  const result = await cli(project, ['setup', '--global', '--name', 'Everywhere', '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  const user = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8'));
  assert.equal(user.numStartups, 3);
  assert.deepEqual(Object.keys(user.mcpServers), ['mine', 'orchestrator']);
  assert.deepEqual(JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8')).permissions.allow.slice(0, 2), ['mcp__orchestrator', 'Edit(.orchestrator/context/**)']);
  assert.equal(existsSync(join(project, '.mcp.json')), false, 'the project was not touched');
  assert.equal((await cli(project, ['setup', '--global', '--undo'], env)).code, 0);
  assert.equal(readFileSync(join(home, '.claude.json'), 'utf8'), claudeJson);
  assert.equal(existsSync(join(home, '.claude')), false);
});

test('--command names a program on the PATH; --http with a token sends ${ORCHESTRATOR_TOKEN}, never the secret', async () => {
  const project = newProject();
  const env = cleanEnv();
  assert.equal((await cli(project, ['setup', '--command', 'orchestrate', '--hooks', '--name', 'Team'], env)).code, 0);
  assert.deepEqual(JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')).mcpServers.orchestrator,
    { type: 'stdio', command: 'orchestrate', args: ['mcp'], env: { ORCHESTRATOR_AGENT: 'Team' } });
  assert.match(readFileSync(join(project, '.claude', 'settings.json'), 'utf8'), /"'orchestrate' 'agent' 'register' '--name' 'Team'/);
  assert.equal((await cli(project, ['setup', '--command', 'orc; rm -rf /'], env)).code, 2);

  const other = newProject();
  const result = await cli(other, ['setup', '--http', 'https://board.example:3100/mcp', '--token', 'sup3r-secret', '--name', 'Remote'], env);
  assert.equal(result.code, 0, result.stderr);
  const text = readFileSync(join(other, '.mcp.json'), 'utf8');
  assert.doesNotMatch(text, /sup3r-secret/);
  assert.deepEqual(JSON.parse(text).mcpServers.orchestrator.headers, { 'X-Orchestrator-Agent': 'Remote', Authorization: 'Bearer ${ORCHESTRATOR_TOKEN}' });
});
