import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { fitsArgv, lastOf, parseLineWith, withoutResult, type Adapter, type McpServer, type ProcessEnd } from '../adapter.js';
import { refusalReset, type AgentEvent, type Outcome, type Usage } from '../events.js';

/**
 * Gemini CLI, headless: `gemini --prompt=<prompt> --output-format stream-json`. Each stdout line
 * is one JSON event: init, message (the assistant's text in pieces), tool_use, tool_result, error
 * and a final result with token stats. On an API error it exits with the HTTP status mod 256.
 *
 * Gemini CLI reads MCP servers only from settings files, so with `mcpServers` the run gets a
 * Gemini home of its own in `runDir` (GEMINI_CLI_HOME): its settings.json is the user's with
 * the servers added, and every other entry of the user's ~/.gemini (login, sessions) is linked,
 * not copied; it is removed when the run ends. The user's files are never written.
 */
export interface GeminiOptions {
  prompt: string;
  /** The `gemini` program (default: `gemini` on the PATH). */
  program?: string;
  model?: string;
  /** Continue this session (its id from init). */
  resume?: string;
  /** Start a new session with this id (a UUID). */
  sessionId?: string;
  approvalMode?: 'default' | 'auto_edit' | 'yolo' | 'plan';
  /** Trust the working folder for this run (default true: an untrusted folder ignores the approval mode). */
  trust?: boolean;
  mcpServers?: Record<string, McpServer>;
  /** Where this run's Gemini home goes (required with mcpServers). */
  runDir?: string;
  /** Whose ~/.gemini the run shares (default: this user's home). */
  userHome?: string;
  /** More arguments for the CLI, after ours. */
  extraArgs?: string[];
}

const line = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('init'), session_id: z.string(), model: z.string().nullish() }),
  z.looseObject({ type: z.literal('message'), role: z.string(), content: z.string() }),
  z.looseObject({ type: z.literal('tool_use'), tool_name: z.string(), tool_id: z.string(), parameters: z.unknown() }),
  z.looseObject({ type: z.literal('tool_result'), tool_id: z.string(), status: z.string(), output: z.string().nullish(), error: z.looseObject({ message: z.string() }).nullish() }),
  z.looseObject({ type: z.literal('error'), message: z.string() }),
  z.looseObject({
    type: z.literal('result'),
    status: z.string(),
    error: z.looseObject({ message: z.string() }).nullish(),
    stats: z.looseObject({ input_tokens: z.number().nullish(), output_tokens: z.number().nullish(), cached: z.number().nullish() }).nullish(),
  }),
]);

/**
 * Patterns of limits and refusals, kept here in one place so they are easy to update. Gemini CLI
 * 0.61 ends a spent daily quota with "You have exhausted your daily quota on this model." (exit
 * 173, 429 mod 256) and names no reset: the run is rate_limited with no reset time, and whoever
 * pauses for it tries again after a bounded wait. A per-minute quota it retries by itself.
 */
const RATE_LIMIT = /\b429\b|RESOURCE_EXHAUSTED|quota exceeded|exceeded your current quota|exhausted your (?:daily )?quota|rate limit/i;
const DAILY_QUOTA = /exhausted your daily quota/i;
const RETRY_IN = /retry in (\d+(?:\.\d+)?)\s*s/i;
const AUTH = /\b401\b|\b403\b|UNAUTHENTICATED|PERMISSION_DENIED|API key not valid/i;

/** A spent quota as a limits event: the daily one is full, and no reset was given. */
function limitFromText(text: string): AgentEvent | null {
  if (DAILY_QUOTA.test(text)) return { type: 'limits', status: 'rejected', resets_at: null, windows: [{ name: 'daily', used: 1, resets_at: null, source: 'gemini quota error' }], precise: true };
  const retry = RETRY_IN.exec(text);
  if (retry) {
    const reset = new Date(Date.now() + Number(retry[1]) * 1000).toISOString();
    return { type: 'limits', status: 'rejected', resets_at: reset, windows: [{ name: 'per_minute', used: 1, resets_at: reset, source: 'gemini quota error' }], precise: true };
  }
  return null;
}

/** The HTTP status behind an error: named in the message, or the exit code (status mod 256). */
function httpStatus(message: string, exitCode: number | null): number | null {
  const named = /"code":\s*([45]\d\d)\b/.exec(message);
  if (named) return Number(named[1]);
  if (exitCode !== null && exitCode + 256 >= 400 && exitCode + 256 < 600) return exitCode + 256;
  return null;
}

/**
 * The servers a run is given are the orchestrator's own, so they are trusted: without `trust`,
 * a headless Gemini CLI (no one to confirm) leaves their tools out.
 */
function settingsFor(servers: Record<string, McpServer>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(servers).map(([name, server]) => [name, { ...('url' in server ? { httpUrl: server.url, headers: server.headers ?? {} } : { command: server.command, args: server.args ?? [], env: server.env ?? {} }), trust: true }]),
  );
}

/** Gemini CLI settings may hold line and block comments (outside strings): they are dropped before JSON.parse. */
export function withoutComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 1;
    } else out += c;
  }
  return out;
}

/** Where the JSON string starting at `start` ends (after its closing quote). */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** This run's Gemini home: the user's ~/.gemini linked entry by entry, with settings.json merged. */
function prepareHome(options: GeminiOptions & { runDir: string; mcpServers: Record<string, McpServer> }): void {
  const mine = join(options.userHome ?? homedir(), '.gemini');
  mkdirSync(join(mine, 'tmp'), { recursive: true }); // sessions are kept under tmp/: keep them in the user's home
  const home = join(options.runDir, '.gemini');
  mkdirSync(home, { recursive: true });
  for (const entry of readdirSync(mine)) {
    if (entry !== 'settings.json' && !existsSync(join(home, entry))) symlinkSync(join(mine, entry), join(home, entry));
  }
  const file = join(mine, 'settings.json');
  let settings: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      settings = JSON.parse(withoutComments(readFileSync(file, 'utf8')));
    } catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix it, or run without MCP servers`);
    }
  }
  const servers = { ...(settings.mcpServers as Record<string, unknown> | undefined), ...settingsFor(options.mcpServers) };
  writeFileSync(join(home, 'settings.json'), JSON.stringify({ ...settings, mcpServers: servers }, null, 2), { mode: 0o600 });
}

export const gemini: Adapter<GeminiOptions> = {
  kind: 'gemini',
  testedVersions: ['0.61.0'],

  commandLine(options) {
    // --prompt=… keeps a prompt that starts with '-' from reading as a flag; a long one goes on stdin.
    const onArgv = fitsArgv(options.prompt);
    const args = [...(onArgv ? [`--prompt=${options.prompt}`] : []), '--output-format', 'stream-json'];
    if (options.model) args.push('--model', options.model);
    if (options.approvalMode) args.push('--approval-mode', options.approvalMode);
    if (options.trust ?? true) args.push('--skip-trust');
    if (options.resume) args.push('--resume', options.resume);
    if (options.sessionId) args.push('--session-id', options.sessionId);
    args.push(...(options.extraArgs ?? []));
    const env: Record<string, string> = { GEMINI_CLI_NO_RELAUNCH: 'true' };
    const servers = options.mcpServers;
    const stdin = onArgv ? null : options.prompt;
    if (!servers || Object.keys(servers).length === 0) return { program: options.program ?? 'gemini', args, env, stdin };
    const runDir = options.runDir;
    if (!runDir) throw new Error('a Gemini run with MCP servers needs a runDir for its settings');
    return { program: options.program ?? 'gemini', args, env: { ...env, GEMINI_CLI_HOME: runDir }, stdin, prepare: () => prepareHome({ ...options, runDir, mcpServers: servers }), cleanup: () => rmSync(join(runDir, '.gemini'), { recursive: true, force: true }) };
  },

  parseLine(text) {
    return parseLineWith(line, text, (event): AgentEvent[] => {
      switch (event.type) {
        case 'init':
          return [{ type: 'session_started', session_id: event.session_id, model: event.model ?? null, tools: [], mcp_servers: [] }];
        case 'message':
          return event.role === 'assistant' ? [{ type: 'text', text: event.content }] : [];
        case 'tool_use':
          return [{ type: 'tool_call', id: event.tool_id, name: event.tool_name, input: event.parameters }];
        case 'tool_result':
          return [{ type: 'tool_result', id: event.tool_id, is_error: event.status !== 'success', content: event.error?.message ?? event.output ?? '' }];
        case 'error':
          return [{ type: 'error', message: event.message }];
        case 'result': {
          const stats = event.stats;
          const used: Usage | null = stats ? { input_tokens: stats.input_tokens ?? 0, output_tokens: stats.output_tokens ?? 0, cache_read_input_tokens: stats.cached ?? 0, cache_creation_input_tokens: 0 } : null;
          const failed = event.status !== 'success';
          const text = event.error?.message ?? '';
          const result: AgentEvent = { type: 'result', is_error: failed, subtype: event.status, text, num_turns: null, cost_usd: null, usage: used, api_error_status: failed ? httpStatus(text, null) : null };
          if (!failed) return used ? [{ type: 'usage', usage: used, cost_usd: null }, result] : [result];
          const limit = limitFromText(text);
          return limit ? [limit, result] : [result];
        }
      }
    });
  },

  outcome(events, end: ProcessEnd): Outcome {
    const result = lastOf(events, 'result');
    const session = lastOf(events, 'session_started');
    const base = { reset_at: null, session_id: session?.session_id ?? null, cost_usd: null, usage: result?.usage ?? null };
    if (!result) return withoutResult('gemini', events, end, base);
    if (!result.is_error && end.exitCode === 0) {
      const text = events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('');
      return { ...base, kind: 'ok', message: text };
    }
    const text = result.text || `exit ${end.exitCode}`;
    const status = httpStatus(text, end.exitCode);
    if (status === 429 || RATE_LIMIT.test(text)) {
      const reset = refusalReset(events);
      return { ...base, kind: 'rate_limited', message: reset ? text : `${text.split('\n')[0]} (no reset time given: try again after a wait)`, reset_at: reset };
    }
    if (status === 401 || status === 403 || AUTH.test(text)) return { ...base, kind: 'auth_failed', message: text };
    return { ...base, kind: 'failed', message: text };
  },
};
