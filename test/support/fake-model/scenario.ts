// What a test tells the fake model to do. A scenario matches a conversation (by prompt text,
// session id or working directory) and lists the assistant turns that answer it, in order.
// The server is stateless: the turn to play is the number of assistant replies already in the
// request after the latest real user prompt, so resumed sessions and parallel sessions just work.

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/** One request as the server received it. */
export interface Request {
  method: string;
  path: string;
  /** The path with its query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** One wire protocol: which requests it serves, how it reads a conversation, how it answers. */
export interface Protocol {
  name: string;
  handles(method: string, path: string): boolean;
  read(request: Request): Conversation;
  write(res: ServerResponse, turn: Turn, conversation: Conversation, request: Request): void;
  writeError(res: ServerResponse, error: NonNullable<Turn['error']>): void;
}

/** What the server read from one request, whatever the wire protocol. */
export interface Conversation {
  protocol: string;
  /** The latest prompt a person (or the orchestrator) wrote, without system reminders. */
  prompt: string;
  /** How many assistant turns follow that prompt: the index of the turn to play. */
  turn: number;
  sessionId: string | null;
  cwd: string | null;
  /** The text of the tool results in the latest user message, in order. */
  toolResults: string[];
  /** The tool names the client offered. */
  tools: string[];
}

export interface ToolCall {
  name: string;
  input: Record<string, unknown> | ((conversation: Conversation) => Record<string, unknown>);
}

export interface Turn {
  text?: string;
  tools?: ToolCall[];
  /** Answer with this HTTP error instead of a reply. */
  error?: { status: number; type: string; message: string; headers?: Record<string, string>; /** More fields of the error object. */ fields?: Record<string, unknown> };
  /** Wait this long before answering. */
  delayMs?: number;
  /** Played by the server in place of a turn that calls a tool the client does not offer yet (not a turn of the scenario). */
  wait?: boolean;
}

export interface Scenario {
  name: string;
  /** `tool`: the client offers this tool (tells the CLIs apart: Claude Code's Write, Codex's exec_command). */
  match: { prompt?: string | RegExp; sessionId?: string; cwd?: string; tool?: string };
  turns: Turn[];
  /** What to say once the turns are used up (default: "Done."). */
  finalText?: string;
}

export function findScenario(scenarios: Scenario[], conversation: Conversation): Scenario | undefined {
  return scenarios.find(({ match }) => {
    if (match.prompt !== undefined) {
      const hit = typeof match.prompt === 'string' ? conversation.prompt.includes(match.prompt) : match.prompt.test(conversation.prompt);
      if (!hit) return false;
    }
    if (match.sessionId !== undefined && match.sessionId !== conversation.sessionId) return false;
    if (match.cwd !== undefined && match.cwd !== conversation.cwd) return false;
    if (match.tool !== undefined && !conversation.tools.includes(match.tool)) return false;
    return true;
  });
}

/** The JSON of the latest tool result, or null (a tool result is text; MCP tools return JSON text). */
export function lastToolJson(conversation: Conversation): any {
  const text = conversation.toolResults[conversation.toolResults.length - 1];
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
