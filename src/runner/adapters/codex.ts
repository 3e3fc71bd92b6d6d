import { z } from 'zod';
import { fitsArgv, lastOf, parseLineWith, withoutResult, type Adapter, type McpServer, type ProcessEnd } from '../adapter.js';
import type { AgentEvent, Outcome, Usage } from '../events.js';

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

/** Patterns of limits and refusals: kept here, in one place, so they are easy to update. */
const USAGE_LIMIT = /usage limit/i;
const RESET_IN = /try again in (\d+(?:\.\d+)?)\s*(second|minute|hour|day)s?/i;
const RESET_AT = /try again at (\d{1,2}):(\d{2})\s*([AP]M)/i;
const RATE_LIMIT = /\b429\b|too many requests|rate limit/i;
const AUTH = /\b401\b|\b403\b|unauthorized|forbidden|invalid api key|incorrect api key|not logged in/i;
const SECONDS = { second: 1, minute: 60, hour: 3600, day: 86400 } as const;

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
    return pairs.flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  });
}

/** When a usage limit resets, from "try again in 2 hours" or "try again at 6:30 PM" (local time, the next such moment). */
export function resetTime(text: string, now: Date): string | null {
  const within = RESET_IN.exec(text);
  if (within) return new Date(now.getTime() + Number(within[1]) * SECONDS[within[2]!.toLowerCase() as keyof typeof SECONDS] * 1000).toISOString();
  const at = RESET_AT.exec(text);
  if (!at) return null;
  const reset = new Date(now);
  reset.setHours((Number(at[1]) % 12) + (at[3]!.toUpperCase() === 'PM' ? 12 : 0), Number(at[2]), 0, 0);
  if (reset.getTime() <= now.getTime()) reset.setDate(reset.getDate() + 1);
  return reset.toISOString();
}

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
          return [{ type: 'result', is_error: true, subtype: 'error', text: event.error.message, num_turns: null, cost_usd: null, usage: null, api_error_status: status ? Number(status[1]) : null }];
        }
        case 'error':
          return [{ type: 'error', message: event.message }];
      }
    });
  },

  outcome(events, end: ProcessEnd, options): Outcome {
    const result = lastOf(events, 'result');
    const session = lastOf(events, 'session_started');
    const base = { reset_at: null, session_id: session?.session_id ?? null, cost_usd: null, usage: minus(result?.usage ?? null, options?.resume ? options.usageBefore : undefined) };
    if (!result) return withoutResult('codex', events, end, base);
    if (!result.is_error && end.exitCode === 0) return { ...base, kind: 'ok', message: lastOf(events, 'text')?.text ?? '' };
    const text = result.text || `exit ${end.exitCode}`;
    if (USAGE_LIMIT.test(text)) return { ...base, kind: 'rate_limited', message: text, reset_at: resetTime(text, new Date()) };
    if (result.api_error_status === 429 || RATE_LIMIT.test(text)) return { ...base, kind: 'rate_limited', message: text };
    if (result.api_error_status === 401 || result.api_error_status === 403 || AUTH.test(text)) return { ...base, kind: 'auth_failed', message: text };
    return { ...base, kind: 'failed', message: text };
  },
};
