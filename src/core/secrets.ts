/**
 * Secrets never reach output, logs, errors or the files a team commits; this is the one place
 * that finds them in text: a password in a URL (`scheme://user:secret@host`), and a password,
 * token or key given as `name=value` (a query string, a connection string, a flag).
 */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"'?#]*:)[^@\s"'/]*@/gi;
const NAMED_SECRET = /(\b(?:password|passwd|pwd|sslpassword|token|secret|api[-_]?key|access[-_]?token)=)[^&\s"';]*/gi;

export function maskSecrets(text: string): string {
  return text.replace(URL_PASSWORD, '$1***@').replace(NAMED_SECRET, '$1***');
}

/**
 * A connection URL without its password, for a file a team commits (the password then comes from
 * the environment: PGPASSWORD or ~/.pgpass for PostgreSQL). Text that is not a URL is returned as is.
 */
export function withoutPassword(url: string): { url: string; removed: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, removed: false };
  }
  const secret = ['password', 'sslpassword'].find((name) => parsed.searchParams.has(name));
  if (!parsed.password && !secret) return { url, removed: false };
  parsed.password = '';
  for (const name of ['password', 'sslpassword']) parsed.searchParams.delete(name);
  return { url: parsed.toString(), removed: true };
}
