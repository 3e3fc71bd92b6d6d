import type { z } from 'zod';
import type { AgentEvent, Outcome } from './events.js';

/**
 * The contract of an agent CLI adapter: typed options in, a command line out; each stdout line
 * in, validated events out (a line that does not parse becomes a parse_error event, never an
 * exception); and, at the end, the run's outcome from the events and how the process ended.
 */
export interface CommandLine {
  program: string;
  args: string[];
  /** Added to the orchestrator's own environment (never logged or stored). */
  env: Record<string, string>;
  /** Written to stdin, which is then closed; stdin is closed at once when absent. */
  stdin: string | null;
  /** Files the run needs before it starts (per-run settings); runAgent calls it just before spawning. */
  prepare?: () => void;
  /** Removes what `prepare` made, once the process has ended. */
  cleanup?: () => void;
  /** A long-lived session: stdin stays open after the first prompt, for follow-ups (see Adapter.inputLine). */
  interactive?: boolean;
}

/** An MCP server an agent should reach (the orchestrator's own, usually): a program or a URL. */
export type McpServer = { command: string; args?: string[]; env?: Record<string, string> } | { url: string; headers?: Record<string, string> };

export interface ProcessEnd {
  exitCode: number | null;
  signal: string | null;
  stderr: string;
}

export interface Adapter<Options> {
  kind: string;
  /** The CLI versions this adapter was tested with. */
  testedVersions: string[];
  commandLine(options: Options): CommandLine;
  parseLine(line: string): AgentEvent[];
  outcome(events: AgentEvent[], end: ProcessEnd, options?: Options): Outcome;
  /**
   * What the CLI left outside its output, read once the process has ended (Codex: the usage
   * windows in its session file). `env` is the environment the process ran with.
   */
  afterExit?(events: AgentEvent[], options: Options, env: Record<string, string | undefined>): AgentEvent[];
  /** A follow-up prompt as the stdin line an interactive session reads. */
  inputLine?(text: string): string;
}

/**
 * Linux refuses one argument longer than 128 KiB (MAX_ARG_STRLEN): a longer prompt goes on stdin,
 * which all three agent CLIs read when the prompt is not on the command line.
 */
export function fitsArgv(prompt: string): boolean {
  return new TextEncoder().encode(prompt).length <= 100_000;
}

/** The last event of a type, with its type narrowed. */
export function lastOf<T extends AgentEvent['type']>(events: AgentEvent[], type: T): Extract<AgentEvent, { type: T }> | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i]!.type === type) return events[i] as Extract<AgentEvent, { type: T }>;
  }
  return undefined;
}

export function parseJsonLine(line: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** One output line through a schema: broken JSON is a parse_error event, an unknown shape an unknown event. */
export function parseLineWith<T>(schema: z.ZodType<T>, text: string, toEvents: (value: T) => AgentEvent[]): AgentEvent[] {
  const json = parseJsonLine(text);
  if (!json.ok) return [{ type: 'parse_error', line: text, error: json.error }];
  const parsed = schema.safeParse(json.value);
  return parsed.success ? toEvents(parsed.data) : [{ type: 'unknown', raw: json.value }];
}

/** The outcome of a run that never produced its result event: unreadable output, or how it ended. */
export function withoutResult(cli: string, events: AgentEvent[], end: ProcessEnd, base: Omit<Outcome, 'kind' | 'message'>): Outcome {
  if (events.some((e) => e.type === 'parse_error')) return { ...base, kind: 'stream_parse_error', message: 'the output could not be read and no result came' };
  const why = end.stderr.trim().split('\n').pop();
  return { ...base, kind: 'failed', message: `${cli} ended (exit ${end.exitCode ?? end.signal}) without a result${why ? `: ${why}` : ''}` };
}
