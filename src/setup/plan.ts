import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FileChange } from '../config/backup.js';
import { OrchestratorError } from '../core/errors.js';
import { arrayAt, formatLike, objectAt, parseJsonFile, sameJson, type JsonObject } from './json-merge.js';
import { shellWord } from '../core/shell.js';
import { BOARD_COMMAND, featureCommand, featureCommandRules, MARKER, SKILL } from './content.js';

/**
 * `orchestrate setup`, as data: the file changes that make a project (or, with --global, the
 * user's Claude Code) ready for sessions to join the board. Planning reads and checks every
 * file first, so a malformed file stops setup before anything is written.
 */
export interface SetupOptions {
  /** The project root, or the home folder with --global. */
  root: string;
  global: boolean;
  name: string | null;
  role: string | null;
  /** Connect over HTTP to this URL instead of spawning `orchestrate mcp`. */
  http: string | null;
  hooks: boolean;
  /** How to run `orchestrate` (an absolute program and its leading arguments). */
  orchestrate: string[];
  /** A --db the server and the hooks must use too (so they register on the board the server serves); never with a password. */
  db: string | null;
  /** The HTTP server needs a bearer token: send the one in the session's ORCHESTRATOR_TOKEN. */
  token: boolean;
}

export type { FileChange };

export const SERVER_NAME = 'orchestrator';

export function agentName(options: Pick<SetupOptions, 'name' | 'root'>): string {
  const name = options.name ?? `claude-${basename(options.root).replace(/[^A-Za-z0-9._-]/g, '-')}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new OrchestratorError('invalid_input', `--name '${name}' may hold only letters, digits, '.', '_' and '-'`);
  }
  return name;
}

export function planSetup(options: SetupOptions): FileChange[] {
  const name = agentName(options);
  const claudeDir = join(options.root, '.claude');
  const changes = [
    mcpConfig(options, name),
    settings(options, name, join(claudeDir, 'settings.json')),
    ownFile(join(claudeDir, 'commands', 'orchestrate.md'), featureCommand(program(options)), 'the /orchestrate slash command (a feature run, design C)'),
    ownFile(join(claudeDir, 'commands', 'board.md'), BOARD_COMMAND, 'the /board slash command'),
    ownFile(join(claudeDir, 'skills', 'orchestrator', 'SKILL.md'), SKILL, 'the orchestrator skill'),
  ];
  return changes.filter((change): change is FileChange => change !== null && change.after !== change.before);
}

/** How a session runs orchestrate on this board, as shell words. */
function program(options: SetupOptions): string {
  return [...options.orchestrate, ...(options.db ? ['--db', options.db] : [])].map(shellWord).join(' ');
}

function read(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** The MCP server entry: project `.mcp.json`, or the user's `~/.claude.json` with --global. */
function mcpConfig(options: SetupOptions, name: string): FileChange | null {
  const path = options.global ? join(options.root, '.claude.json') : join(options.root, '.mcp.json');
  const before = read(path);
  const config = before === null ? {} : parseJsonFile(path, before);
  const servers = objectAt(config, 'mcpServers', path);
  // Claude Code expands ${VAR} in .mcp.json, so the secret itself is never written.
  const auth = options.token ? { Authorization: 'Bearer ${ORCHESTRATOR_TOKEN}' } : {};
  const entry = options.http
    ? { type: 'http', url: options.http, headers: { 'X-Orchestrator-Agent': name, ...auth } }
    : { type: 'stdio', command: options.orchestrate[0]!, args: [...options.orchestrate.slice(1), 'mcp'], env: { ORCHESTRATOR_AGENT: name, ...(options.db === null ? {} : { ORCHESTRATOR_DB: options.db }) } };
  if (sameJson(servers[SERVER_NAME], entry)) return null;
  const verb = servers[SERVER_NAME] === undefined ? 'added' : 'updated';
  servers[SERVER_NAME] = entry;
  return { path, before, after: formatLike(config, before), summary: `${verb} mcpServers.${SERVER_NAME} (${options.http ? `HTTP ${options.http}` : 'stdio'}, as agent ${name})` };
}

/** Claude Code settings: allow the server's tools, approve the project server, and the hooks. */
function settings(options: SetupOptions, name: string, path: string): FileChange | null {
  const before = read(path);
  const config: JsonObject = before === null ? {} : parseJsonFile(path, before);
  const notes: string[] = [];
  const addTo = (list: unknown[], value: string, note: string) => {
    if (!list.includes(value)) {
      list.push(value);
      notes.push(note);
    }
  };
  const allow = arrayAt(objectAt(config, 'permissions', path), 'allow', path);
  addTo(allow, `mcp__${SERVER_NAME}`, `allowed mcp__${SERVER_NAME}`);
  const rules = featureCommandRules(program(options)).filter((rule) => !allow.includes(rule));
  for (const rule of rules) allow.push(rule);
  if (rules.length > 0) notes.push(`allowed what /orchestrate runs (${rules.length} rules)`);
  if (!options.global) addTo(arrayAt(config, 'enabledMcpjsonServers', path), SERVER_NAME, `approved the ${SERVER_NAME} server of .mcp.json`);
  if (options.hooks) {
    const hooks = objectAt(config, 'hooks', path);
    const db = options.db === null ? [] : ['--db', options.db];
    const role = options.role ?? 'generalist';
    setHook(hooks, 'SessionStart', 'agent', command([...options.orchestrate, 'agent', 'register', '--name', name, '--role', role, '--kind', 'claude', ...db]), path, notes);
    setHook(hooks, 'SessionEnd', 'agent', command([...options.orchestrate, 'agent', 'unregister', '--agent', name, ...db]), path, notes);
    // Reminders come back as context: keyword ones on each prompt, `always` and session-start ones at the start.
    const reminders = command([...options.orchestrate, 'reminder', 'match', '--hook', ...db]);
    setHook(hooks, 'SessionStart', 'reminder', reminders, path, notes);
    setHook(hooks, 'UserPromptSubmit', 'reminder', reminders, path, notes);
  }
  if (notes.length === 0) return null;
  return { path, before, after: formatLike(config, before), summary: notes.join(', ') };
}

/** Adds our hook (`noun`: which of ours), or replaces the one an earlier setup wrote; other hooks stay as they are. */
function setHook(hooks: JsonObject, event: string, noun: 'agent' | 'reminder', commandLine: string, path: string, notes: string[]): void {
  const groups = arrayAt(hooks, event, path) as { hooks?: { type?: string; command?: string }[] }[];
  const ours = (text: unknown) => typeof text === 'string' && text.includes(` '${noun}' `) && text.includes(ORCHESTRATE_TAG);
  const existing = groups.find((group) => group.hooks?.some((hook) => ours(hook.command)));
  const wanted = { hooks: [{ type: 'command', command: commandLine }] };
  if (existing && sameJson(existing, wanted)) return;
  if (existing) groups.splice(groups.indexOf(existing), 1, wanted);
  else groups.push(wanted);
  notes.push(`${existing ? 'updated' : 'added'} the ${event} ${noun} hook`);
}

/** Marks our hook commands (a shell comment at the end). */
const ORCHESTRATE_TAG = '# claude-orchestrator';

/** A shell command line from words, each single-quoted (hooks run through a shell). */
function command(words: string[]): string {
  return `${words.map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ')} ${ORCHESTRATE_TAG}`;
}

/** A file setup writes whole; one that exists without our marker is not ours and is left alone. */
function ownFile(path: string, content: string, what: string): FileChange | null {
  const before = read(path);
  if (before !== null && !before.includes(MARKER)) return null;
  return { path, before, after: content, summary: `${before === null ? 'wrote' : 'updated'} ${what}` };
}

/** Files setup would not touch because someone else wrote them, for the report. */
export function skippedOwnFiles(root: string): string[] {
  return [join(root, '.claude', 'commands', 'orchestrate.md'), join(root, '.claude', 'skills', 'orchestrator', 'SKILL.md')]
    .filter((path) => existsSync(path) && !readFileSync(path, 'utf8').includes(MARKER));
}
