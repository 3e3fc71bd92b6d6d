import { z } from 'zod';
import { fitsArgv, lastOf, parseLineWith, withoutResult, type Adapter, type ProcessEnd } from '../adapter.js';
import type { AgentEvent, Outcome, Usage } from '../events.js';

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
    type: z.literal('result'),
    subtype: z.string(),
    is_error: z.boolean(),
    result: z.string().nullish(),
    num_turns: z.number().nullish(),
    total_cost_usd: z.number().nullish(),
    usage: usage.nullish(),
    api_error_status: z.number().nullish(),
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

/** Patterns of a usage limit: kept here, in one place, so they are easy to update. */
const USAGE_LIMIT = /usage limit reached\|(\d{9,})/i;
const RATE_LIMIT = /rate_limit_error|rate limit|429/i;
const AUTH = /authentication_error|invalid api key|invalid x-api-key|unauthorized|401/i;

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
          return used ? [{ type: 'usage', usage: used, cost_usd: event.total_cost_usd ?? null }, result] : [result];
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
    const limit = USAGE_LIMIT.exec(result.text);
    if (limit) return { ...base, kind: 'rate_limited', message: 'usage limit reached', reset_at: new Date(Number(limit[1]) * 1000).toISOString() };
    if (result.api_error_status === 429 || RATE_LIMIT.test(result.text)) return { ...base, kind: 'rate_limited', message: result.text };
    if (result.api_error_status === 401 || result.api_error_status === 403 || AUTH.test(result.text)) return { ...base, kind: 'auth_failed', message: result.text };
    return { ...base, kind: 'failed', message: result.text || `exit ${end.exitCode}` };
  },
};
