import { z } from 'zod';
import { excerpt, OrchestratorError } from '../core/errors.js';
import { maskSecrets } from '../core/secrets.js';
import type { Board } from '../board/board.js';
import type { Dispatcher } from '../runner/dispatcher.js';
import { join } from 'node:path';
import { STATE_DIR } from '../config/settings.js';

/**
 * The contract of an MCP tool: one file in `tools/` default-exports one `defineTool({...})`,
 * and the registry finds it; adding a tool is adding a file. A tool is thin: its zod shape is
 * both the input check and the published JSON schema, and `run` calls the board — the same
 * services the CLI uses — and returns plain data.
 */
export interface ToolContext {
  board: Board;
  /** The project root the server serves (its .orchestrator/ holds templates, roles, skills' backups). */
  project: string;
  /** The calling agent (id or name), or a no_identity error that says how to get one. */
  agent(): string;
  maybeAgent(): string | null;
  /** The agent this session was configured as (HTTP header, or ORCHESTRATOR_AGENT), registered or not. */
  configuredAgent(): string | null;
  /** Remembers the agent this session registered as (register_instance). */
  setAgent(agent: string | null): void;
  /** Fires when the client cancels the call. */
  signal: AbortSignal;
  /** The runner of this server: dispatches run in this process. */
  dispatcher(): Dispatcher;
}

export interface ToolDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  description: string;
  input: Shape;
  /** Send the full schema up front instead of behind Claude Code's tool search (workers need these). */
  alwaysLoad?: boolean;
  /** Answer with the JSON text alone, no structured content (Claude Code's permission prompt tool wants exactly that). */
  textOnly?: boolean;
  /** Arguments as an earlier design named them (design A), rewritten to this tool's before the schema check. */
  accept?: (args: Record<string, unknown>) => Record<string, unknown>;
  run(args: z.infer<z.ZodObject<Shape>>, context: ToolContext): Promise<unknown>;
}

export function defineTool<Shape extends z.ZodRawShape>(definition: ToolDefinition<Shape>): ToolDefinition<Shape> {
  return definition;
}

/** Shared pieces of tool inputs. */
export const page = {
  limit: z.number().int().min(1).max(1000).optional().describe('at most this many items (default 50)'),
  cursor: z.string().optional().describe('continue after the previous page: its next_cursor'),
};
export const taskId = z.string().min(1).describe('the task id');
export const timeoutSeconds = z.number().min(0).max(300).optional().describe('seconds to wait, at most 300 (default 30)');

export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** Data as a result: JSON text for every client, and the same as structured content (unless textOnly). */
export function toResult(data: unknown, textOnly = false): ToolResult {
  if (textOnly) return { content: [{ type: 'text', text: JSON.stringify(data) }] };
  const structured = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : { result: data };
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: structured };
}

/** Any failure as an isError result: the error code, what went wrong, and what to do next. */
export function toErrorResult(error: unknown): ToolResult {
  const known = error instanceof OrchestratorError
    ? error
    : new OrchestratorError('internal', `${error instanceof Error ? error.message : String(error)} (a bug in the orchestrator; the server keeps running)`);
  const message = maskSecrets(known.message);
  return {
    content: [{ type: 'text', text: `${known.code}: ${message}` }],
    structuredContent: { error: { code: known.code, message, retryable: known.retryable } },
    isError: true,
  };
}

/** A zod failure in words a caller can act on. */
export function invalidArguments(tool: string, error: z.ZodError): OrchestratorError {
  const problems = error.issues.slice(0, 5).map((issue) => excerpt(`${issue.path.length > 0 ? issue.path.join('.') : 'arguments'}: ${issue.message}`, 200));
  const more = error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '';
  return new OrchestratorError('invalid_input', `${problems.join('; ')}${more} — fix the arguments of ${tool} (its input schema lists them)`);
}

/** The project's `.orchestrator` folder, for the tools that read templates or keep backups there. */
export const stateDir = (context: Pick<ToolContext, 'project'>) => join(context.project, STATE_DIR);

/**
 * The session scope of context: this project, and the session's name — given, else the calling
 * agent's name (stable across restarts, unlike a connection), else "default".
 */
export async function sessionScope(context: Pick<ToolContext, 'project' | 'board' | 'maybeAgent'>, session?: string): Promise<{ project: string; session: string }> {
  return { project: context.project, session: session ?? (await context.board.sessionContext.sessionName(context.maybeAgent())) };
}
