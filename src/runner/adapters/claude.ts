import { z } from 'zod';
import { fitsArgv, lastOf, parseLineWith, withoutResult, type Adapter, type ProcessEnd } from '../adapter.js';
import { refusalReset, type AgentEvent, type Outcome, type Usage } from '../events.js';
import { endOfMinute, hour24, monthIndex, wallTimeToInstant } from '../wall-clock.js';

/**
 * Claude Code, headless: `claude -p <prompt> --output-format stream-json --verbose`. Each stdout
 * line is one JSON event: system/init, assistant (one per content block), user (tool results),
 * system/api_retry, and a final result with cost and usage. Facts: shared/notes/agent-clis.md.
 */
export interface ClaudeOptions {
  prompt: string;
  /** The `claude` program (default: `claude` on the PATH). */
  program?: string;
  model?: string;
  /** A file path or inline JSON: `{"mcpServers":{…}}`. */
  mcpConfig?: string;
  strictMcpConfig?: boolean;
  allowedTools?: string[];
  /** Tools it may never use (`--disallowedTools`). */
  disallowedTools?: string[];
  permissionMode?: 'default' | 'acceptEdits' | 'plan' | 'bypassPermissions';
  /** An MCP tool that answers permission requests (`mcp__orchestrator__approve_permission`). */
  permissionPromptTool?: string;
  appendSystemPrompt?: string;
  /** Continue this session (keeps its id). */
  resume?: string;
  /** Start a new session with this id (a UUID). */
  sessionId?: string;
  maxTurns?: number;
  /** Keep the session open: prompts go in as stream-json lines on stdin, one after each result. */
  interactive?: boolean;
  /** More arguments for the CLI, after ours. */
  extraArgs?: string[];
}

const usage = z.looseObject({
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_input_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
});

const block = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text'), text: z.string() }),
  z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  z.looseObject({ type: z.literal('tool_result'), tool_use_id: z.string(), content: z.unknown(), is_error: z.boolean().nullish() }),
  z.looseObject({ type: z.literal('thinking') }),
]);

const line = z.union([
  z.looseObject({
    type: z.literal('system'),
    subtype: z.literal('init'),
    session_id: z.string(),
    model: z.string().nullish(),
    tools: z.array(z.string()).nullish(),
    mcp_servers: z.array(z.looseObject({ name: z.string(), status: z.string() })).nullish(),
  }),
  z.looseObject({ type: z.literal('system'), subtype: z.literal('api_retry'), attempt: z.number().nullish(), error: z.unknown(), retry_delay_ms: z.number().nullish() }),
  z.looseObject({ type: z.literal('assistant'), message: z.looseObject({ content: z.array(z.unknown()), usage: usage.nullish() }) }),
  z.looseObject({ type: z.literal('user'), message: z.looseObject({ content: z.union([z.string(), z.array(z.unknown())]) }) }),
  z.looseObject({
    type: z.literal('rate_limit_event'),
    rate_limit_info: z.looseObject({
      status: z.string().nullish(),
      resetsAt: z.number().nullish(),
      rateLimitType: z.string().nullish(),
      utilization: z.number().nullish(),
      unifiedWindows: z.record(z.string(), z.looseObject({ utilization: z.number().nullish(), resetsAt: z.number().nullish(), status: z.string().nullish() })).nullish(),
    }),
  }),
  z.looseObject({
    type: z.literal('result'),
    subtype: z.string(),
    is_error: z.boolean(),
    result: z.string().nullish(),
    num_turns: z.number().nullish(),
    total_cost_usd: z.number().nullish(),
    usage: usage.nullish(),
    api_error_status: z.number().nullish(),
    permission_denials: z.array(z.looseObject({ tool_name: z.string(), tool_input: z.unknown() })).nullish(),
    session_id: z.string().nullish(),
  }),
]);

function toUsage(value: z.infer<typeof usage> | null | undefined): Usage | null {
  if (!value) return null;
  return {
    input_tokens: value.input_tokens,
    output_tokens: value.output_tokens,
    cache_read_input_tokens: value.cache_read_input_tokens ?? 0,
    cache_creation_input_tokens: value.cache_creation_input_tokens ?? 0,
  };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : '')).join('');
  return '';
}

function blocks(content: unknown[]): AgentEvent[] {
  return content.flatMap((raw): AgentEvent[] => {
    const parsed = block.safeParse(raw);
    if (!parsed.success) return [{ type: 'unknown', raw }];
    const item = parsed.data;
    switch (item.type) {
      case 'text':
        return [{ type: 'text', text: item.text }];
      case 'tool_use':
        return [{ type: 'tool_call', id: item.id, name: item.name, input: item.input }];
      case 'tool_result':
        return [{ type: 'tool_result', id: item.tool_use_id, is_error: item.is_error ?? false, content: contentText(item.content) }];
      default:
        return [];
    }
  });
}

/**
 * Patterns of limits and refusals, kept here in one place so they are easy to update. Claude Code
 * 2.1.330 ends a refused run with "You've hit your 5-hour limit · resets 9:25pm (UTC)" (beyond a
 * day: "resets Dec 3, 9am (UTC)"; the zone is the machine's); versions before it with
 * "Claude AI usage limit reached|<reset epoch>".
 */
const HIT_LIMIT = /you['’]ve hit your ([\w -]+?limit)/i;
const RESETS = /resets\s+(?:([A-Za-z]{3})\s+(\d{1,2}),\s+(?:(\d{4}),\s+)?)?(\d{1,2})(?::(\d{2}))?\s*([ap]m)(?:\s*\(([^)]+)\))?/i;
const USAGE_LIMIT = /usage limit reached\|(\d{9,})/i;
const RATE_LIMIT = /rate_limit_error|rate limit|429/i;
const AUTH = /authentication_error|invalid api key|invalid x-api-key|unauthorized|401/i;
/** The limits Claude Code names in words, by the window names its rate_limit_event uses. */
const WINDOW_NAMES: Record<string, string> = { '5-hour limit': 'five_hour', 'session limit': 'five_hour', 'weekly limit': 'seven_day', 'opus limit': 'seven_day_opus', 'sonnet limit': 'seven_day_sonnet' };

const epochIso = (seconds: number | null | undefined) => (typeof seconds === 'number' && seconds > 0 ? new Date(seconds * 1000).toISOString() : null);

/** The limit a refused run's text names, as a limits event (the reset read in the zone it names). */
export function limitFromText(text: string, now = new Date()): AgentEvent | null {
  const old = USAGE_LIMIT.exec(text);
  if (old) return { type: 'limits', status: 'rejected', resets_at: epochIso(Number(old[1])), windows: [{ name: 'usage limit', used: 1, resets_at: epochIso(Number(old[1])), source: 'claude result text' }], precise: true };
  const hit = HIT_LIMIT.exec(text);
  if (!hit) return null;
  const when = RESETS.exec(text);
  const month = when?.[1] === undefined ? undefined : monthIndex(when[1]);
  const instant = when
    ? wallTimeToInstant({ month, day: when[2] === undefined ? undefined : Number(when[2]), year: when[3] === undefined ? undefined : Number(when[3]), hour: hour24(Number(when[4]), when[6]!), minute: Number(when[5] ?? 0) }, when[7] ?? null, now)
    : null;
  const reset = instant ? endOfMinute(instant).toISOString() : null;
  const name = WINDOW_NAMES[hit[1]!.toLowerCase()] ?? hit[1]!.toLowerCase();
  return { type: 'limits', status: 'rejected', resets_at: reset, windows: [{ name, used: 1, resets_at: reset, source: 'claude result text' }], precise: false };
}

/** A refusal with neither a limit event nor a reset in its text (an API-key 429): after the delay the CLI last said it would wait. */
function retryDelayReset(events: AgentEvent[]): string | null {
  const retry = lastOf(events, 'retry');
  return retry?.delay_ms ? new Date(Date.now() + retry.delay_ms).toISOString() : null;
}

/** A prompt as the stream-json line Claude Code reads with --input-format stream-json. */
function userLine(text: string): string {
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: text } })}\n`;
}

export const claude: Adapter<ClaudeOptions> = {
  kind: 'claude',
  testedVersions: ['2.1.330'],

  commandLine(options) {
    const onArgv = fitsArgv(options.prompt);
    const args = options.interactive ? ['-p', '--input-format', 'stream-json'] : onArgv ? ['-p', options.prompt] : ['-p'];
    args.push('--output-format', 'stream-json', '--verbose');
    if (options.model) args.push('--model', options.model);
    if (options.mcpConfig) args.push('--mcp-config', options.mcpConfig);
    if (options.strictMcpConfig) args.push('--strict-mcp-config');
    if (options.allowedTools?.length) args.push('--allowedTools', options.allowedTools.join(','));
    if (options.disallowedTools?.length) args.push('--disallowedTools', options.disallowedTools.join(','));
    if (options.permissionMode) args.push('--permission-mode', options.permissionMode);
    if (options.permissionPromptTool) args.push('--permission-prompt-tool', options.permissionPromptTool);
    if (options.appendSystemPrompt) args.push('--append-system-prompt', options.appendSystemPrompt);
    if (options.resume) args.push('--resume', options.resume);
    if (options.sessionId) args.push('--session-id', options.sessionId);
    if (options.maxTurns !== undefined) args.push('--max-turns', String(options.maxTurns));
    args.push(...(options.extraArgs ?? []));
    if (options.interactive) return { program: options.program ?? 'claude', args, env: {}, stdin: userLine(options.prompt), interactive: true };
    return { program: options.program ?? 'claude', args, env: {}, stdin: onArgv ? null : options.prompt };
  },

  inputLine: userLine,

  parseLine(text) {
    return parseLineWith(line, text, (event): AgentEvent[] => {
      switch (event.type) {
        case 'system':
          if (event.subtype === 'init') {
            return [{ type: 'session_started', session_id: event.session_id, model: event.model ?? null, tools: event.tools ?? [], mcp_servers: event.mcp_servers ?? [] }];
          }
          return [{ type: 'retry', attempt: event.attempt ?? 0, error: typeof event.error === 'string' ? event.error : JSON.stringify(event.error ?? ''), delay_ms: event.retry_delay_ms ?? null }];
        case 'assistant':
          return blocks(event.message.content);
        case 'user':
          return typeof event.message.content === 'string' ? [] : blocks(event.message.content);
        case 'rate_limit_event': {
          const info = event.rate_limit_info;
          const windows = Object.entries(info.unifiedWindows ?? {}).map(([name, window]) => ({ name, used: window.utilization ?? null, resets_at: epochIso(window.resetsAt), source: 'claude rate_limit_event' }));
          if (windows.length === 0 && info.rateLimitType) windows.push({ name: info.rateLimitType, used: info.utilization ?? null, resets_at: epochIso(info.resetsAt), source: 'claude rate_limit_event' });
          return [{ type: 'limits', status: info.status ?? null, resets_at: epochIso(info.resetsAt), windows, precise: true }];
        }
        case 'result': {
          const used = toUsage(event.usage);
          const result: AgentEvent = {
            type: 'result',
            is_error: event.is_error,
            subtype: event.subtype,
            text: event.result ?? '',
            num_turns: event.num_turns ?? null,
            cost_usd: event.total_cost_usd ?? null,
            usage: used,
            api_error_status: event.api_error_status ?? null,
          };
          const limit = event.is_error ? limitFromText(event.result ?? '') : null;
          const denied = (event.permission_denials ?? []).map((d): AgentEvent => ({ type: 'denied', tool: d.tool_name, input: JSON.stringify(d.tool_input ?? null).slice(0, 500) }));
          return [...(used ? [{ type: 'usage', usage: used, cost_usd: event.total_cost_usd ?? null } as const] : []), ...(limit ? [limit] : []), ...denied, result];
        }
      }
    });
  },

  outcome(events, end: ProcessEnd): Outcome {
    const result = lastOf(events, 'result');
    const session = lastOf(events, 'session_started');
    const base = { reset_at: null, session_id: session?.session_id ?? null, cost_usd: result?.cost_usd ?? null, usage: result?.usage ?? null };
    if (!result) return withoutResult('claude', events, end, base);
    if (!result.is_error && end.exitCode === 0) return { ...base, kind: 'ok', message: result.text };
    if (result.subtype === 'error_max_turns') return { ...base, kind: 'max_turns', message: 'stopped at the turn limit' };
    // A result event handed in without its line's limits event (or from a version that printed none) is read here too.
    const fromText = events.some((e) => e.type === 'limits' && e.status === 'rejected') ? null : limitFromText(result.text);
    const refused = fromText !== null || events.some((e) => e.type === 'limits' && e.status === 'rejected');
    if (refused || result.api_error_status === 429 || RATE_LIMIT.test(result.text)) {
      const reset = refusalReset(fromText ? [...events, fromText] : events) ?? retryDelayReset(events);
      return { ...base, kind: 'rate_limited', message: USAGE_LIMIT.test(result.text) ? 'usage limit reached' : result.text, reset_at: reset };
    }
    if (result.api_error_status === 401 || result.api_error_status === 403 || AUTH.test(result.text)) return { ...base, kind: 'auth_failed', message: result.text };
    return { ...base, kind: 'failed', message: result.text || `exit ${end.exitCode}` };
  },
};
