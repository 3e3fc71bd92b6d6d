import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { OrchestratorError } from '../core/errors.js';
import { decimal } from '../core/numbers.js';
import { isPostgresUrl } from '../store/open.js';
import { readProjectConfig, type Budget, type RoleSettings } from './config-file.js';

/**
 * The resolved settings of one invocation, each with where it came from, in this order of
 * precedence: a command-line flag, an environment variable, `.orchestrator/config.yaml`, the
 * default. Interfaces pass flags and the environment in; nothing here reads process state.
 */
export type Source = 'flag' | 'env' | 'config' | 'saved' | 'default';

export interface Setting<T> {
  value: T;
  source: Source;
  /** The flag, variable or file the value came from. */
  from: string;
}

export interface Settings {
  projectRoot: Setting<string>;
  db: Setting<string>;
  leaseTtlMs: Setting<number>;
  maxRetries: Setting<number>;
  /** The calling agent's id or name, when known. */
  agent: Setting<string | null>;
  /** The bearer token `serve` requires (shown masked). */
  token: Setting<string | null>;
  /** The user's home folder (where `setup --global` writes). */
  home: Setting<string>;
  /** Per-role settings from config.yaml (`roles.<role>`): model, CLIs, allowed and denied tools. */
  roles: Record<string, RoleSettings>;
  /** Budgets for every run together (config.yaml `budgets.per_day`). */
  budgets: { per_day?: Budget };
}

export interface SettingsInput {
  cwd: string;
  env: Record<string, string | undefined>;
  flags: { db?: string; project?: string; agent?: string; token?: string; leaseTtl?: string };
}

export const STATE_DIR = '.orchestrator';

/** The project root: the nearest folder with a `.git` entry, else the current folder. */
export function findProjectRoot(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(cwd);
    dir = parent;
  }
}

export async function resolveSettings(input: SettingsInput): Promise<Settings> {
  const { env, flags } = input;
  const projectRoot: Setting<string> = flags.project
    ? { value: existingFolder(resolve(input.cwd, safePath(flags.project, '--project')), '--project'), source: 'flag', from: '--project' }
    : env.ORCHESTRATOR_PROJECT
      ? { value: existingFolder(resolve(input.cwd, safePath(env.ORCHESTRATOR_PROJECT, 'ORCHESTRATOR_PROJECT')), 'ORCHESTRATOR_PROJECT'), source: 'env', from: 'ORCHESTRATOR_PROJECT' }
      : { value: findProjectRoot(input.cwd), source: 'default', from: 'git root or current folder' };
  const root = projectRoot.value;
  const configFile = join(root, STATE_DIR, 'config.yaml');
  const config = (await readProjectConfig(configFile)) as Record<string, unknown>;

  const pick = <T>(flag: T | undefined, flagName: string, envName: string, parse: (text: string, where: string) => T, key: string, fallback: T, fallbackFrom: string): Setting<T> => {
    if (flag !== undefined) return { value: flag, source: 'flag', from: flagName };
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return { value: parse(fromEnv, envName), source: 'env', from: envName };
    if (config[key] !== undefined) return { value: parse(String(config[key]), `${configFile} (${key})`), source: 'config', from: configFile };
    return { value: fallback, source: 'default', from: fallbackFrom };
  };

  const db = pick(flags.db === undefined ? undefined : resolveDb(input.cwd, flags.db, '--db'), '--db', 'ORCHESTRATOR_DB', (text, where) => resolveDb(root, text, where), 'db',
    join(root, STATE_DIR, 'state.db'), `${STATE_DIR}/state.db under the project root`);
  const leaseTtlMs = pick<number>(flags.leaseTtl === undefined ? undefined : seconds(flags.leaseTtl, '--lease-ttl'), '--lease-ttl', 'ORCHESTRATOR_LEASE_TTL', (text, where) => seconds(text, where) , 'lease_ttl', 30_000, 'built-in (30 s)');
  const maxRetries = pick<number>(undefined, '', 'ORCHESTRATOR_MAX_RETRIES', (text, where) => wholeNumber(text, where), 'max_retries', 3, 'built-in');
  const saved = readSavedAgent(root);
  const agent: Setting<string | null> = flags.agent
    ? { value: flags.agent, source: 'flag', from: '--agent' }
    : env.ORCHESTRATOR_AGENT
      ? { value: env.ORCHESTRATOR_AGENT, source: 'env', from: 'ORCHESTRATOR_AGENT' }
      : saved
        ? { value: saved.id, source: 'saved', from: savedAgentPath(root) }
        : { value: null, source: 'default', from: 'none' };
  const token: Setting<string | null> = flags.token
    ? { value: flags.token, source: 'flag', from: '--token' }
    : env.ORCHESTRATOR_TOKEN
      ? { value: env.ORCHESTRATOR_TOKEN, source: 'env', from: 'ORCHESTRATOR_TOKEN' }
      : { value: null, source: 'default', from: 'none' };
  const home: Setting<string> = env.HOME
    ? { value: env.HOME, source: 'env', from: 'HOME' }
    : { value: homedir(), source: 'default', from: 'the operating system' };
  return { projectRoot, db, leaseTtlMs, maxRetries, agent, token, home, roles: (config.roles as Record<string, RoleSettings> | undefined) ?? {}, budgets: (config.budgets as Settings['budgets'] | undefined) ?? {} };
}

/**
 * A board named on purpose: a postgres:// URL, or a SQLite file in a folder that exists (or in a
 * project's `.orchestrator/`, made when needed) — a typo
 * in the folder must not start an empty board that looks like lost work. A folder, a device or
 * a path with a NUL character is refused.
 */
function resolveDb(base: string, location: string, where: string): string {
  if (isPostgresUrl(location)) return location;
  const file = resolve(base, safePath(location, where));
  if (existsSync(file)) {
    const stat = statSync(file);
    if (stat.isDirectory()) throw new OrchestratorError('invalid_input', `${where} ${file} is a folder; name the board's file, such as ${join(file, 'state.db')}`);
    if (!stat.isFile()) throw new OrchestratorError('invalid_input', `${where} ${file} is not a regular file; name a SQLite file or a postgres:// URL`);
  } else if (!existsSync(dirname(file)) && !(basename(dirname(file)) === STATE_DIR && existsSync(dirname(dirname(file))))) {
    throw new OrchestratorError('invalid_input', `${where}: the folder ${dirname(file)} does not exist; create it first (mkdir -p) if a new board belongs there`);
  }
  return file;
}

/** A path with a NUL character can name no file. */
function safePath(path: string, where: string): string {
  if (path.includes('\u0000')) throw new OrchestratorError('invalid_input', `${where} holds a NUL character; no file has such a name`);
  return path;
}

function existingFolder(path: string, where: string): string {
  if (!existsSync(path)) throw new OrchestratorError('invalid_input', `${where}: ${path} does not exist; pass the project folder (create it first if it is new)`);
  if (!statSync(path).isDirectory()) throw new OrchestratorError('invalid_input', `${where}: ${path} is a file; pass the project folder`);
  return path;
}

function seconds(text: string, where: string): number {
  const value = decimal(where, text);
  if (!Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new OrchestratorError('invalid_input', `${where} must be a number of seconds from 0 to 86400, not '${text}'`);
  }
  return Math.round(value * 1000);
}

function wholeNumber(text: string, where: string): number {
  const value = decimal(where, text);
  if (!Number.isInteger(value) || value < 0 || value > 100) {
    throw new OrchestratorError('invalid_input', `${where} must be a whole number from 0 to 100, not '${text}'`);
  }
  return value;
}

/** Creates `.orchestrator/` with a .gitignore, so the board never shows up in `git status`. */
export function ensureStateDir(root: string): string {
  const dir = join(root, STATE_DIR);
  mkdirSync(dir, { recursive: true });
  const ignore = join(dir, '.gitignore');
  if (!existsSync(ignore)) writeFileAtomic(ignore, '# claude-orchestrator state: local to this machine\n*\n');
  return dir;
}

export interface SavedAgent {
  id: string;
  name: string;
}

export function savedAgentPath(root: string): string {
  return join(root, STATE_DIR, 'agent.json');
}

export function readSavedAgent(root: string): SavedAgent | null {
  try {
    const value = JSON.parse(readFileSync(savedAgentPath(root), 'utf8')) as Partial<SavedAgent>;
    return typeof value.id === 'string' && typeof value.name === 'string' ? { id: value.id, name: value.name } : null;
  } catch {
    return null;
  }
}

export function saveAgent(root: string, agent: SavedAgent): void {
  ensureStateDir(root);
  writeFileAtomic(savedAgentPath(root), `${JSON.stringify(agent, null, 2)}\n`);
}

export function forgetAgent(root: string, id: string): void {
  if (readSavedAgent(root)?.id === id) rmSync(savedAgentPath(root), { force: true });
}

/** Write to a temp file, then rename: a crash leaves the old file or the new one, never half. */
export function writeFileAtomic(path: string, content: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}
