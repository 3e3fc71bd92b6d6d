import { z } from 'zod';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fitsArgv, lastOf, parseJsonLine, parseLineWith, withoutResult, type Adapter, type McpServer, type ProcessEnd } from '../adapter.js';
import { refusalReset, type AgentEvent, type Outcome, type Usage } from '../events.js';
import { endOfMinute, hour24, monthIndex, wallTimeToInstant } from '../wall-clock.js';

/**
 * Codex CLI, headless: `codex exec --json … -- <prompt>` (or `exec … resume <thread> -- <prompt>`).
 * Each stdout line is one JSON event: thread.started, turn.started, item.started/completed
 * (agent_message, command_execution, mcp_tool_call, file_change, reasoning, error), error, and
 * turn.completed with usage or turn.failed. MCP servers and any other setting go in as `-c`
 * overrides, so the user's own ~/.codex (and its login) stays untouched. Codex reports no cost,
 * and after a resume its usage counts the whole thread: pass `usageBefore` to get this run's share.
 */
export interface CodexOptions {
  prompt: string;
  /** The `codex` program (default: `codex` on the PATH). */
  program?: string;
  model?: string;
  /** Continue this thread (its id from thread.started). */
  resume?: string;
  /** The thread's usage before this run, when resuming. */
  usageBefore?: Usage;
  mcpServers?: Record<string, McpServer>;
  /** `workspace-write` by default; `bypass` runs without sandbox or approvals. */
  sandbox?: 'read-only' | 'workspace-write' | 'danger-full-access' | 'bypass';
  /** More `-c key=value` overrides; values are TOML. */
  config?: Record<string, string>;
  /** A CODEX_HOME of its own (config.toml, sessions, login). */
  codexHome?: string;
  /** More arguments for `codex exec`, before the prompt. */
  extraArgs?: string[];
}

const usage = z.looseObject({
  input_tokens: z.number(),
  output_tokens: z.number(),
  cached_input_tokens: z.number().nullish(),
  cache_write_input_tokens: z.number().nullish(),
});

const item = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('agent_message'), id: z.string(), text: z.string() }),
  z.looseObject({ type: z.literal('command_execution'), id: z.string(), command: z.string(), aggregated_output: z.string().nullish(), exit_code: z.number().nullish(), status: z.string() }),
  z.looseObject({
    type: z.literal('mcp_tool_call'),
    id: z.string(),
    server: z.string(),
    tool: z.string(),
    arguments: z.unknown(),
    result: z.looseObject({ content: z.array(z.unknown()).nullish() }).nullish(),
    error: z.looseObject({ message: z.string() }).nullish(),
    status: z.string(),
  }),
  z.looseObject({ type: z.literal('file_change'), id: z.string(), changes: z.array(z.looseObject({ path: z.string(), kind: z.string() })), status: z.string() }),
  z.looseObject({ type: z.literal('error'), id: z.string(), message: z.string() }),
  z.looseObject({ type: z.literal('reasoning'), id: z.string() }),
]);

const line = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() }),
  z.looseObject({ type: z.literal('turn.started') }),
  z.looseObject({ type: z.enum(['item.started', 'item.updated', 'item.completed']), item: z.looseObject({ type: z.string() }) }),
  z.looseObject({ type: z.literal('turn.completed'), usage }),
  z.looseObject({ type: z.literal('turn.failed'), error: z.looseObject({ message: z.string() }) }),
  z.looseObject({ type: z.literal('error'), message: z.string() }),
]);

function contentText(content: unknown[] | null | undefined): string {
  return (content ?? []).map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : '')).join('');
}

function itemEvents(phase: string, raw: unknown): AgentEvent[] {
  const parsed = item.safeParse(raw);
  if (!parsed.success) return phase === 'item.completed' ? [{ type: 'unknown', raw }] : [];
  const it = parsed.data;
  const done = phase === 'item.completed';
  switch (it.type) {
    case 'agent_message':
      return done ? [{ type: 'text', text: it.text }] : [];
    case 'command_execution':
      if (phase === 'item.started') return [{ type: 'tool_call', id: it.id, name: 'Bash', input: { command: it.command } }];
      return done ? [{ type: 'tool_result', id: it.id, is_error: it.status === 'failed' || (it.exit_code ?? 0) !== 0, content: it.aggregated_output ?? '' }] : [];
    case 'mcp_tool_call':
      if (phase === 'item.started') return [{ type: 'tool_call', id: it.id, name: `mcp__${it.server}__${it.tool}`, input: it.arguments }];
      return done ? [{ type: 'tool_result', id: it.id, is_error: it.status === 'failed' || Boolean(it.error), content: it.error?.message ?? contentText(it.result?.content) }] : [];
    case 'file_change':
      if (!done) return [];
      return [
        { type: 'tool_call', id: it.id, name: 'Edit', input: { path: it.changes.map((change) => change.path).join(', ') } },
        { type: 'tool_result', id: it.id, is_error: it.status === 'failed', content: it.changes.map((change) => `${change.kind} ${change.path}`).join('\n') },
      ];
    case 'error':
      return [{ type: 'error', message: it.message }];
    case 'reasoning':
      return [];
  }
}

/**
 * Patterns of limits and refusals, kept here in one place so they are easy to update. Codex 0.169
 * refuses with "You’ve hit your usage limit. … or try again at Dec 2nd, 2026 1:15 AM." (the
 * machine's time; the date only when it is not today), older versions with "try again in 2 hours".
 */
const USAGE_LIMIT = /usage limit/i;
const RESET_IN = /try again in (\d+(?:\.\d+)?)\s*(second|minute|hour|day)s?/i;
const RESET_AT = /try again at\s+(?:([A-Za-z]{3})[a-z]*\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\s+)?(\d{1,2}):(\d{2})\s*([AP]M)/i;
const RATE_LIMIT = /\b429\b|too many requests|rate limit/i;
const AUTH = /\b401\b|\b403\b|unauthorized|forbidden|invalid api key|incorrect api key|not logged in/i;
const SECONDS = { second: 1, minute: 60, hour: 3600, day: 86400 } as const;
/** Codex's windows by their length: its session file names them primary and secondary. */
const WINDOW_NAMES: Record<number, string> = { 300: 'five_hour', 10080: 'seven_day' };

/** A TOML value for a `-c` override (JSON strings and arrays are valid TOML; tables are inline). */
function toml(value: string | string[] | Record<string, string>): string {
  if (typeof value === 'string' || Array.isArray(value)) return JSON.stringify(value);
  return `{${Object.entries(value).map(([key, inner]) => `${JSON.stringify(key)}=${JSON.stringify(inner)}`).join(',')}}`;
}

function mcpOverrides(servers: Record<string, McpServer>): string[] {
  return Object.entries(servers).flatMap(([name, server]) => {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`MCP server name '${name}': use letters, digits, _ and - only`);
    const at = `mcp_servers.${name}`;
    const pairs: [string, string][] =
      'url' in server
        ? [[`${at}.url`, toml(server.url)], ...(server.headers ? [[`${at}.http_headers`, toml(server.headers)] as [string, string]] : [])]
        : [[`${at}.command`, toml(server.command)], [`${at}.args`, toml(server.args ?? [])], ...(server.env ? [[`${at}.env`, toml(server.env)] as [string, string]] : [])];
    // The servers a run is given are the orchestrator's own: without this, Codex in its sandbox
    // (approval policy "never") refuses every call of their unannotated tools.
    pairs.push([`${at}.default_tools_approval_mode`, toml('approve')]);
    // Codex gives a server 10 s to start; on a loaded machine a Node server can take longer, and a
    // run whose orchestrator tools never arrived is a wasted run.
    pairs.push([`${at}.startup_timeout_sec`, '60']);
    return pairs.flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  });
}

/** When a usage limit resets, from "try again in 2 hours" or "try again at [Dec 2nd, 2026] 6:30 PM" (this machine's time). */
export function resetTime(text: string, now: Date): string | null {
  const within = RESET_IN.exec(text);
  if (within) return new Date(now.getTime() + Number(within[1]) * SECONDS[within[2]!.toLowerCase() as keyof typeof SECONDS] * 1000).toISOString();
  const at = RESET_AT.exec(text);
  if (!at) return null;
  const dated = at[1] !== undefined ? { month: monthIndex(at[1]), day: Number(at[2]), year: Number(at[3]) } : {};
  const instant = wallTimeToInstant({ ...dated, hour: hour24(Number(at[4]), at[6]!), minute: Number(at[5]) }, null, now);
  return instant ? endOfMinute(instant).toISOString() : null;
}

/** A refusal's text as a limits event (null when it is no usage limit). */
function limitFromText(text: string): AgentEvent | null {
  if (!USAGE_LIMIT.test(text)) return null;
  const reset = resetTime(text, new Date());
  return { type: 'limits', status: 'rejected', resets_at: reset, windows: [{ name: 'usage limit', used: 1, resets_at: reset, source: 'codex error text' }], precise: false };
}

/**
 * The windows Codex wrote to its session file (stdout has none): the last token_count event of
 * `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-…-<thread>.jsonl`, written from the vendor's rate-limit
 * headers, even with an API-key provider.
 */
export function sessionFileLimits(codexHome: string, threadId: string, now = new Date()): AgentEvent | null {
  const days = [0, 1].flatMap((back) => {
    const day = new Date(now.getTime() - back * 86_400_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    return [`${day.getFullYear()}/${pad(day.getMonth() + 1)}/${pad(day.getDate())}`, `${day.getUTCFullYear()}/${pad(day.getUTCMonth() + 1)}/${pad(day.getUTCDate())}`];
  });
  for (const day of new Set(days)) {
    const folder = join(codexHome, 'sessions', day);
    if (!existsSync(folder)) continue;
    const file = readdirSync(folder).find((name) => name.startsWith('rollout-') && name.endsWith(`-${threadId}.jsonl`));
    if (!file) continue;
    const lines = readFileSync(join(folder, file), 'utf8').split('\n').filter((line) => line.includes('"rate_limits"'));
    for (const line of lines.reverse()) {
      const json = parseJsonLine(line);
      const parsed = rolloutLine.safeParse(json.ok ? json.value : null);
      const limits = parsed.success ? parsed.data.payload.rate_limits : null;
      if (!limits) continue;
      const windows = (['primary', 'secondary'] as const).flatMap((slot) => {
        const window = limits[slot];
        if (!window) return [];
        const minutes = window.window_minutes ?? null;
        return [{ name: (minutes !== null ? WINDOW_NAMES[minutes] : undefined) ?? (minutes !== null ? `${minutes}m` : slot), used: window.used_percent === null || window.used_percent === undefined ? null : window.used_percent / 100, resets_at: window.resets_at ? new Date(window.resets_at * 1000).toISOString() : null, source: 'codex session file' }];
      });
      const full = windows.filter((window) => (window.used ?? 0) >= 1 && window.resets_at !== null);
      const reset = full.map((window) => window.resets_at!).sort().pop() ?? null;
      return { type: 'limits', status: full.length > 0 || limits.rate_limit_reached_type ? 'rejected' : 'allowed', resets_at: reset, windows, precise: true };
    }
  }
  return null;
}

const rolloutWindow = z.looseObject({ used_percent: z.number().nullish(), window_minutes: z.number().nullish(), resets_at: z.number().nullish() }).nullish();
const rolloutLine = z.looseObject({
  payload: z.looseObject({
    type: z.literal('token_count'),
    rate_limits: z.looseObject({ primary: rolloutWindow, secondary: rolloutWindow, rate_limit_reached_type: z.string().nullish() }).nullish(),
  }),
});

function minus(total: Usage | null, before: Usage | undefined): Usage | null {
  if (!total || !before) return total;
  const less = (a: number | undefined, b: number | undefined) => Math.max(0, (a ?? 0) - (b ?? 0));
  return {
    input_tokens: less(total.input_tokens, before.input_tokens),
    output_tokens: less(total.output_tokens, before.output_tokens),
    cache_read_input_tokens: less(total.cache_read_input_tokens, before.cache_read_input_tokens),
    cache_creation_input_tokens: less(total.cache_creation_input_tokens, before.cache_creation_input_tokens),
  };
}

export const codex: Adapter<CodexOptions> = {
  kind: 'codex',
  testedVersions: ['0.169.0'],

  commandLine(options) {
    const args = ['exec', '--json', '--skip-git-repo-check'];
    if (options.model) args.push('--model', options.model);
    const sandbox = options.sandbox ?? 'workspace-write';
    if (sandbox === 'bypass') args.push('--dangerously-bypass-approvals-and-sandbox');
    else args.push('--sandbox', sandbox);
    if (options.mcpServers) args.push(...mcpOverrides(options.mcpServers));
    for (const [key, value] of Object.entries(options.config ?? {})) args.push('-c', `${key}=${value}`);
    args.push(...(options.extraArgs ?? []));
    if (options.resume) args.push('resume', options.resume);
    const onArgv = fitsArgv(options.prompt);
    args.push('--', onArgv ? options.prompt : '-');
    const env: Record<string, string> = options.codexHome ? { CODEX_HOME: options.codexHome } : {};
    return { program: options.program ?? 'codex', args, env, stdin: onArgv ? null : options.prompt };
  },

  parseLine(text) {
    return parseLineWith(line, text, (event): AgentEvent[] => {
      switch (event.type) {
        case 'thread.started':
          return [{ type: 'session_started', session_id: event.thread_id, model: null, tools: [], mcp_servers: [] }];
        case 'turn.started':
          return [];
        case 'item.started':
        case 'item.updated':
        case 'item.completed':
          return itemEvents(event.type, event.item);
        case 'turn.completed': {
          const used: Usage = {
            input_tokens: event.usage.input_tokens,
            output_tokens: event.usage.output_tokens,
            cache_read_input_tokens: event.usage.cached_input_tokens ?? 0,
            cache_creation_input_tokens: event.usage.cache_write_input_tokens ?? 0,
          };
          return [
            { type: 'usage', usage: used, cost_usd: null },
            { type: 'result', is_error: false, subtype: 'success', text: '', num_turns: null, cost_usd: null, usage: used, api_error_status: null },
          ];
        }
        case 'turn.failed': {
          const status = /\b([45]\d\d)\b/.exec(event.error.message);
          const limit = limitFromText(event.error.message);
          return [...(limit ? [limit] : []), { type: 'result', is_error: true, subtype: 'error', text: event.error.message, num_turns: null, cost_usd: null, usage: null, api_error_status: status ? Number(status[1]) : null }];
        }
        case 'error':
          return [{ type: 'error', message: event.message }];
      }
    });
  },

  afterExit(events, options, env) {
    const thread = lastOf(events, 'session_started')?.session_id;
    if (!thread) return [];
    const home = options.codexHome ?? env.CODEX_HOME ?? join(env.HOME ?? homedir(), '.codex');
    const limits = sessionFileLimits(home, thread);
    return limits ? [limits] : [];
  },

  outcome(events, end: ProcessEnd, options): Outcome {
    const result = lastOf(events, 'result');
    const session = lastOf(events, 'session_started');
    const base = { reset_at: null, session_id: session?.session_id ?? null, cost_usd: null, usage: minus(result?.usage ?? null, options?.resume ? options.usageBefore : undefined) };
    if (!result) return withoutResult('codex', events, end, base);
    if (!result.is_error && end.exitCode === 0) return { ...base, kind: 'ok', message: lastOf(events, 'text')?.text ?? '' };
    const text = result.text || `exit ${end.exitCode}`;
    if (USAGE_LIMIT.test(text) || result.api_error_status === 429 || RATE_LIMIT.test(text)) return { ...base, kind: 'rate_limited', message: text, reset_at: refusalReset(events) };
    if (result.api_error_status === 401 || result.api_error_status === 403 || AUTH.test(text)) return { ...base, kind: 'auth_failed', message: text };
    return { ...base, kind: 'failed', message: text };
  },
};
