import type { UsageWindow } from '../board/processes.js';

export type { UsageWindow };

/**
 * What every agent CLI's output becomes: one normalised event union, whatever the CLI, and one
 * classified outcome per run. Adapters (adapters/) turn validated output lines into these.
 */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export type AgentEvent =
  | { type: 'session_started'; session_id: string; model: string | null; tools: string[]; mcp_servers: { name: string; status: string }[] }
  | { type: 'text'; text: string }
  | { type: 'tool_call'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; id: string; is_error: boolean; content: string }
  | { type: 'usage'; usage: Usage; cost_usd: number | null }
  | { type: 'retry'; attempt: number; error: string; delay_ms: number | null }
  /** An error the CLI reported on the way (the run may still go on). */
  | { type: 'error'; message: string }
  /**
   * What the CLI said about its usage limits: the state (allowed, allowed_warning, rejected), when a
   * refusal ends, and the windows. `precise` is false for figures read from a message printed for
   * people (a reset to the minute, read as the end of that minute).
   */
  | { type: 'limits'; status: string | null; resets_at: string | null; windows: UsageWindow[]; precise: boolean }
  /** A tool call the CLI refused by its permission settings (Claude Code's permission_denials). */
  | { type: 'denied'; tool: string; input: string }
  | { type: 'result'; is_error: boolean; subtype: string; text: string; num_turns: number | null; cost_usd: number | null; usage: Usage | null; api_error_status: number | null }
  | { type: 'unknown'; raw: unknown }
  | { type: 'parse_error'; line: string; error: string };

export type OutcomeKind =
  | 'ok'
  | 'failed'
  | 'rate_limited'
  | 'auth_failed'
  | 'max_turns'
  | 'idle_timeout'
  | 'total_timeout'
  | 'killed'
  | 'spawn_failed'
  | 'stream_parse_error';

export interface Outcome {
  kind: OutcomeKind;
  message: string;
  /** For rate_limited: when the limit resets, if the CLI said. */
  reset_at: string | null;
  session_id: string | null;
  cost_usd: number | null;
  usage: Usage | null;
}

const MAX_SHOWN = 160;

function short(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_SHOWN ? `${line.slice(0, MAX_SHOWN - 1)}…` : line;
}

/** What a tool call touches, for people: the file, the command, the pattern. */
export function toolTarget(input: unknown): string {
  if (input === null || typeof input !== 'object') return '';
  const fields = input as Record<string, unknown>;
  for (const key of ['file_path', 'path', 'command', 'cmd', 'pattern', 'url', 'query', 'description']) {
    if (typeof fields[key] === 'string') return short(fields[key] as string);
  }
  return '';
}

/** One readable line per event, for logs and --verbose (null: nothing worth a line). */
export function renderEvent(event: AgentEvent): string | null {
  switch (event.type) {
    case 'session_started':
      return `[session ${event.session_id}${event.model ? ` · ${event.model}` : ''}]`;
    case 'text':
      return event.text.trim() === '' ? null : short(event.text);
    case 'tool_call': {
      // Claude Code and Codex name MCP tools mcp__server__tool, Gemini CLI mcp_server_tool.
      const mcp = /^mcp__([^_]+(?:_[^_]+)*)__(.+)$/.exec(event.name) ?? /^mcp_([^_]+)_(.+)$/.exec(event.name);
      if (mcp) return `[mcp ${mcp[1]}.${mcp[2]}]`;
      const target = toolTarget(event.input);
      return `[${event.name}${target ? `: ${target}` : ''}]`;
    }
    case 'tool_result':
      return event.is_error ? `[ERROR: ${short(event.content)}]` : null;
    case 'usage':
      return null;
    case 'denied':
      return `[DENIED ${event.tool}: ${short(event.input)}]`;
    case 'limits':
      return event.status === 'rejected' ? `[limit reached${event.resets_at ? `; resets ${event.resets_at}` : '; no reset time given'}]` : null;
    case 'retry':
      return `[retry ${event.attempt}: ${short(event.error)}]`;
    case 'error':
      return `[ERROR: ${short(event.message)}]`;
    case 'result':
      return event.is_error ? `[ERROR: ${short(event.text)}]` : `[done${event.num_turns === null ? '' : ` in ${event.num_turns} turns`}${event.cost_usd === null ? '' : `, $${event.cost_usd.toFixed(4)}`}]`;
    case 'unknown':
      return null;
    case 'parse_error':
      return `[ERROR: unreadable output line: ${short(event.line)}]`;
  }
}

/** The windows the run reported, the latest figure of each (by name); figures in data outrank those read from words. */
export function windowsOf(events: AgentEvent[]): UsageWindow[] {
  const latest = new Map<string, UsageWindow>();
  const limits = events.filter((e): e is Extract<AgentEvent, { type: 'limits' }> => e.type === 'limits');
  for (const event of [...limits.filter((e) => !e.precise), ...limits.filter((e) => e.precise)]) {
    for (const window of event.windows) latest.set(window.name, window);
  }
  return [...latest.values()];
}

/**
 * When a refused run may try again: the reset of the last refusal the CLI reported in data, else
 * the one it printed in words; null when it named none.
 */
export function refusalReset(events: AgentEvent[]): string | null {
  const refusals = events.filter((e): e is Extract<AgentEvent, { type: 'limits' }> => e.type === 'limits' && e.status === 'rejected' && e.resets_at !== null);
  const best = refusals.filter((e) => e.precise).pop() ?? refusals.pop();
  return best?.resets_at ?? null;
}
