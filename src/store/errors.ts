import { OrchestratorError } from '../core/errors.js';

/**
 * Store errors are mapped here, once, for both drivers. Infrastructure failures (cannot open,
 * cannot connect, locked too long) become OrchestratorErrors that say what to do; constraint
 * violations stay raw so the board can name them in its own words (see isUniqueViolation).
 */
export function mapStoreError(error: unknown, location: string): unknown {
  if (error instanceof OrchestratorError) return error;
  const code = (error as { code?: unknown })?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT') {
    return new OrchestratorError(
      'store_locked',
      `the board at ${location} stayed locked by another process; retry, or stop the process that holds it`,
      { retryable: true, cause: error },
    );
  }
  if (
    code === 'SQLITE_CANTOPEN' || code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' ||
    code === 'SQLITE_READONLY' || code === 'SQLITE_IOERR' || code === 'SQLITE_PERM' || code === 'SQLITE_FULL' ||
    code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EISDIR' || code === 'ENOSPC'
  ) {
    return new OrchestratorError(
      'store_unreachable',
      `cannot use the board file ${location} (${text}); check the path and its permissions, or pass --db`,
      { cause: error },
    );
  }
  if (isConnectionFailure(error)) {
    const fatal = code === '28P01' || code === '28000' || code === '3D000' || code === '3F000';
    return new OrchestratorError(
      'store_unreachable',
      `cannot reach the PostgreSQL board at ${location} (${describeFailure(error)}); ${fatal ? 'check the user, password, database and schema in the URL' : 'check that the server runs and the URL is right'}`,
      { retryable: !fatal, cause: error },
    );
  }
  return error;
}

/**
 * Node network errors, pg's own connection failures (they carry no code, only a message), and
 * the server's connection-level SQLSTATEs: class 08, the shutdown family 57P0x, too many
 * connections, and the login failures (not retryable: the URL is wrong).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300', '28P01', '28000', '3D000', '3F000']);
const PG_CONNECTION_MESSAGES = /^(Connection terminated|Query read timeout|timeout expired|Client has encountered a connection error|Client was closed and is not queryable|Connection closed)/;

export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && PG_CONNECTION_MESSAGES.test(error.message);
}

/** The failure in a few words: the network code, or the driver's message (never the URL). */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message.split('\n')[0]!.replace(/\w+:\/\/[^\s]*/g, '<url>') : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** True when a write failed on a UNIQUE constraint or index, on either backend. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
