import { renderEvent, type AgentEvent } from '../runner/events.js';
import type { Call } from './call.js';
/** Text for people: aligned tables and `field: value` blocks. */

export function table(headers: string[], rows: (string | number | null | undefined)[][], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = [headers, ...rows.map((row) => row.map((cell) => oneLine(cell)))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : (cell ?? '').padEnd(widths[column]!))).join('  ').trimEnd())
    .join('\n');
}

export function details(fields: [string, unknown][]): string {
  const shown = fields.filter(([, value]) => value !== null && value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0));
  const width = Math.max(...shown.map(([name]) => name.length));
  return shown
    .map(([name, value]) => `${`${name}:`.padEnd(width + 1)} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');
}

export function moreHint(nextCursor: string | null): string {
  return nextCursor ? `\n(more: --cursor ${nextCursor})` : '';
}

function oneLine(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const text = String(value).replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Agents' readable lines on stderr, each prefixed by its source (`[phase 2]`), when `show`. */
export function agentLines(call: Pick<Call, 'progress'>, show: boolean): ((source: string, event: AgentEvent) => void) | undefined {
  if (!show) return undefined;
  return (source, event) => {
    const line = renderEvent(event);
    if (line) call.progress(`[${source}] ${line}`);
  };
}
