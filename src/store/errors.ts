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
  if (
    code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'ECONNRESET' ||
    code === 'EHOSTUNREACH' || code === '28P01' || code === '28000' || code === '3D000' || code === '57P03' ||
    code === '53300'
  ) {
    return new OrchestratorError(
      'store_unreachable',
      `cannot reach the PostgreSQL board at ${location} (${text}); check that the server runs and the URL is right`,
      { retryable: code !== '28P01' && code !== '28000' && code !== '3D000', cause: error },
    );
  }
  return error;
}

/** True when a write failed on a UNIQUE constraint or index, on either backend. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
