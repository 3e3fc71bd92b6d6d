/** A PostgreSQL identifier, quoted (only for names the store itself chose or checked). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
