import type { Board } from '../board/board.js';

/**
 * The contract of an MCP resource: one file in `resources/` default-exports one
 * `defineResource({...})`. A `uri` with `{name}` parts is a template; `read` gets the parts.
 */
export interface ResourceDefinition {
  uri: string;
  name: string;
  description: string;
  read(board: Board, parts: Record<string, string>, project: string): Promise<unknown>;
}

export function defineResource(definition: ResourceDefinition): ResourceDefinition {
  return definition;
}

/** Matches a concrete URI against a template such as `orchestrator://tasks/{id}`. */
export function matchUri(template: string, uri: string): Record<string, string> | null {
  const names: string[] = [];
  const pattern = template.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '{' || c === '}' ? c : `\\${c}`)).replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const match = new RegExp(`^${pattern}$`).exec(uri);
  if (!match) return null;
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
}
