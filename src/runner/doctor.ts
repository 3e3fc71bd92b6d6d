import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Adapter } from './adapter.js';
import { claude } from './adapters/claude.js';
import { codex } from './adapters/codex.js';
import { gemini } from './adapters/gemini.js';
import type { OutcomeKind } from './events.js';
import { onPath } from './exec.js';
import { runAgent } from './run-agent.js';

/**
 * `orchestrate doctor` for the agent CLIs: for each of claude, codex and gemini found on the
 * PATH (or named by $ORCHESTRATOR_CLAUDE/_CODEX/_GEMINI), the facts a user needs — where it is,
 * its version against the versions the adapter was tested with, whether a login or key is
 * present, the permission mode the runner uses — and a real smoke run: a tiny prompt through
 * the adapter, its result parsed, its exit code. Nothing is hidden: every check is reported.
 */
export interface AgentCheck {
  agent: 'claude' | 'codex' | 'gemini';
  program: string | null;
  version: string | null;
  tested_versions: string[];
  /** Set when the version is not one the adapter was tested with. */
  version_warning: string | null;
  auth: string;
  permission_mode: string;
  smoke: { outcome: OutcomeKind; message: string; exit_code: number | null; seconds: number } | null;
}

const SMOKE_PROMPT = 'Reply with the single word OK.';

interface Spec {
  agent: AgentCheck['agent'];
  env: string;
  adapter: Adapter<any>;
  options: (program: string) => unknown;
  auth: (env: Record<string, string | undefined>, home: string) => string;
  permission: string;
}

const has = (path: string) => existsSync(path);

const SPECS: Spec[] = [
  {
    agent: 'claude',
    env: 'ORCHESTRATOR_CLAUDE',
    adapter: claude,
    options: (program) => ({ program, prompt: SMOKE_PROMPT, maxTurns: 1 }),
    auth: (env, home) =>
      env.ANTHROPIC_API_KEY ? 'ANTHROPIC_API_KEY is set' : env.CLAUDE_CODE_OAUTH_TOKEN ? 'CLAUDE_CODE_OAUTH_TOKEN is set' : has(join(env.CLAUDE_CONFIG_DIR ?? join(home, '.claude'), '.credentials.json')) ? 'logged in (~/.claude/.credentials.json)' : 'no API key or login found: run `claude` once to log in, or set ANTHROPIC_API_KEY',
    permission: 'default: tools need --allowed-tools, or approvals through the board (dispatch with approvals)',
  },
  {
    agent: 'codex',
    env: 'ORCHESTRATOR_CODEX',
    adapter: codex,
    options: (program) => ({ program, prompt: SMOKE_PROMPT, sandbox: 'read-only' }),
    auth: (env, home) => (env.OPENAI_API_KEY ? 'OPENAI_API_KEY is set' : has(join(env.CODEX_HOME ?? join(home, '.codex'), 'auth.json')) ? 'logged in (~/.codex/auth.json)' : 'no OPENAI_API_KEY or login found (a custom provider in config.toml may still work): run `codex login`'),
    permission: 'sandbox workspace-write (bypass only when asked)',
  },
  {
    agent: 'gemini',
    env: 'ORCHESTRATOR_GEMINI',
    adapter: gemini,
    options: (program) => ({ program, prompt: SMOKE_PROMPT }),
    auth: (env, home) => (env.GEMINI_API_KEY ? 'GEMINI_API_KEY is set' : env.GOOGLE_API_KEY ? 'GOOGLE_API_KEY is set' : has(join(home, '.gemini', 'oauth_creds.json')) ? 'logged in (~/.gemini/oauth_creds.json)' : 'no GEMINI_API_KEY or login found: run `gemini` once to log in'),
    permission: 'approval mode default (yolo only when asked)',
  },
];

function version(program: string, env: Record<string, string | undefined>): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(program, ['--version'], { env: { ...env, GEMINI_CLI_NO_RELAUNCH: 'true' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', () => resolve(null));
    child.on('close', () => {
      clearTimeout(timer);
      resolve(/\d+\.\d+\.\d+(?:-[\w.]+)?/.exec(out)?.[0] ?? null);
    });
  });
}

export async function checkAgents(env: Record<string, string | undefined>, options: { smoke: boolean; cwd: string; timeoutMs?: number }): Promise<AgentCheck[]> {
  const home = env.HOME ?? homedir();
  return Promise.all(
    SPECS.map(async (spec): Promise<AgentCheck> => {
      const program = env[spec.env] ?? onPath(spec.agent, env.PATH);
      const base = { agent: spec.agent, program, tested_versions: spec.adapter.testedVersions, auth: spec.auth(env, home), permission_mode: spec.permission };
      if (!program) return { ...base, version: null, version_warning: null, smoke: null };
      const found = await version(program, env);
      const warning = found === null ? 'its version could not be read' : spec.adapter.testedVersions.includes(found) ? null : `${found} is not a version this adapter was tested with (${spec.adapter.testedVersions.join(', ')}); watch for changed flags or output`;
      if (!options.smoke) return { ...base, version: found, version_warning: warning, smoke: null };
      const limit = options.timeoutMs ?? 120_000;
      const run = await runAgent(spec.adapter, spec.options(program), { cwd: options.cwd, env, idleTimeoutMs: limit, totalTimeoutMs: limit, stopGraceMs: 1000 });
      return {
        ...base,
        version: found,
        version_warning: warning,
        smoke: { outcome: run.outcome.kind, message: run.outcome.message.slice(0, 300), exit_code: run.exitCode, seconds: Math.round(run.durationMs / 100) / 10 },
      };
    }),
  );
}

/**
 * Why an agent CLI cannot be started, or null when it can: its program (the ORCHESTRATOR_* override
 * or the PATH) exists and answers --version. Checked before a run creates anything.
 */
export async function agentProblem(agent: AgentCheck['agent'], env: Record<string, string | undefined>): Promise<string | null> {
  const spec = SPECS.find((candidate) => candidate.agent === agent)!;
  const program = env[spec.env] || onPath(agent, env.PATH);
  if (!program) return `${agent} is not on the PATH (install it, or set ${spec.env} to its program)`;
  if ((await version(program, env)) === null) return `${program} --version did not answer with a version (is it the ${agent} CLI, and does it start?)`;
  return null;
}
