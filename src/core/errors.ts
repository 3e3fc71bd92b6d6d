/**
 * The one error type of the project. Every failure a person or a program can act on is an
 * OrchestratorError with a string code; each interface maps codes once (the CLI to an exit code
 * and one readable line). A message says what went wrong and what to do next.
 */
export type ErrorCode =
  | 'invalid_input' // bad flag, value or argument
  | 'not_found' // unknown task, agent, message or key
  | 'conflict' // a move the current state does not allow, a lost race, a version mismatch
  | 'name_taken' // another online agent has this name
  | 'cycle' // a dependency cycle
  | 'no_identity' // the command needs an agent identity and none was given
  | 'lease_expired' // the agent's lease ran out; its tasks went back to the queue
  | 'store_unreachable' // the database cannot be opened or reached
  | 'store_locked' // another process holds the database lock too long
  | 'schema_too_new' // the database was written by a newer version
  | 'install_broken' // a native module of the install does not load (another Node, a failed install)
  | 'internal'; // a bug: anything not foreseen

export class OrchestratorError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  override readonly cause: unknown;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message);
    this.name = 'OrchestratorError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.cause = options.cause;
  }
}

export function isOrchestratorError(value: unknown, code?: ErrorCode): value is OrchestratorError {
  return value instanceof OrchestratorError && (code === undefined || value.code === code);
}

/**
 * A value as an error message may quote it: at most `max` characters (input is never echoed back
 * at length), control characters written as escapes (a newline in input never splits the line).
 */
export function excerpt(value: unknown, max = 60): string {
  const text = String(value).replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
