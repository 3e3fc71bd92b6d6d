import { parseJsonLine, type Adapter } from '../adapter.js';
import type { AgentEvent } from '../events.js';

/**
 * Any program as an agent. The prompt goes on the command line (replacing each `{prompt}` in
 * the arguments, or appended when there is none) or on stdin. Output is plain text (each line a
 * text event) or JSON lines (an object with a string `text` is a text event; others are kept
 * as unknown events with their raw value). Exit code 0 is ok.
 */
export interface CommandOptions {
  program: string;
  args?: string[];
  prompt: string;
  promptVia?: 'argv' | 'stdin';
  output?: 'text' | 'json';
}

export function commandAdapter(output: 'text' | 'json' = 'text'): Adapter<CommandOptions> {
  return {
    kind: 'command',
    testedVersions: [],

    commandLine(options) {
      const args = options.args ?? [];
      if (options.promptVia === 'stdin') return { program: options.program, args, env: {}, stdin: options.prompt };
      const placed = args.some((arg) => arg.includes('{prompt}'));
      return {
        program: options.program,
        args: placed ? args.map((arg) => arg.split('{prompt}').join(options.prompt)) : [...args, options.prompt],
        env: {},
        stdin: null,
      };
    },

    parseLine(line): AgentEvent[] {
      if (output === 'text') return [{ type: 'text', text: line }];
      const json = parseJsonLine(line);
      if (!json.ok) return [{ type: 'parse_error', line, error: json.error }];
      const value = json.value as { text?: unknown };
      return value && typeof value === 'object' && typeof value.text === 'string' ? [{ type: 'text', text: value.text }] : [{ type: 'unknown', raw: json.value }];
    },

    outcome(events, end) {
      const base = { reset_at: null, session_id: null, cost_usd: null, usage: null };
      if (end.exitCode === 0) return { ...base, kind: 'ok', message: events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('\n') };
      const why = end.stderr.trim().split('\n').pop() ?? '';
      return { ...base, kind: 'failed', message: `exit ${end.exitCode ?? end.signal}${why ? `: ${why}` : ''}` };
    },
  };
}
