import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLE_DEFINITIONS, normalizeRole, type RoleDefinition } from '../board/roles.js';

/**
 * The prompt each role's worker gets: the built-in definition (board/roles.ts), unless the
 * project overrides it with `.orchestrator/roles/<role>.md` (the whole file is the prompt), which
 * is also how a project adds a role of its own.
 */
export interface ResolvedRole extends RoleDefinition {
  source: 'built-in' | 'project';
  file: string | null;
}

export function rolePrompt(stateDir: string, role: string): ResolvedRole {
  const name = normalizeRole(role);
  const file = join(stateDir, 'roles', `${name}.md`);
  const builtIn = ROLE_DEFINITIONS.find((definition) => definition.name === name);
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text) return { name, summary: builtIn?.summary ?? 'defined by this project', prompt: text, source: 'project', file };
  } catch {
    // no override
  }
  return { ...(builtIn ?? { name, summary: 'a custom role', prompt: `You work as the ${name} of the team.` }), source: 'built-in', file: null };
}

/** Every role: the built-in ones (with a project's overrides) and the project's own. */
export function allRoles(stateDir: string): ResolvedRole[] {
  let own: string[] = [];
  try {
    own = readdirSync(join(stateDir, 'roles')).filter((file) => file.endsWith('.md')).map((file) => file.slice(0, -3));
  } catch {
    // no roles folder
  }
  const names = [...new Set([...ROLE_DEFINITIONS.map((definition) => definition.name), ...own])];
  return names.flatMap((name) => {
    try {
      return [rolePrompt(stateDir, name)];
    } catch {
      return []; // a file whose name is not a role word
    }
  });
}
