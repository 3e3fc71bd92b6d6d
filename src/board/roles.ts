import { OrchestratorError } from '../core/errors.js';

/**
 * Agent roles. The built-in ones come from the earlier designs; any other lower-case word is a
 * custom role. `developer` is another name for `implementer` and is stored as `implementer`.
 * Generalists (and leaders) may claim a task of any role; others claim tasks of their own role
 * and tasks without one.
 */
export const BUILT_IN_ROLES = [
  'architect',
  'implementer',
  'tester',
  'reviewer',
  'devops',
  'documenter',
  'generalist',
  'leader',
] as const;

const ALIASES: Record<string, string> = { developer: 'implementer' };

/** Roles whose holders may claim tasks of any role. */
export const ANY_ROLE: ReadonlySet<string> = new Set(['generalist', 'leader']);

export function normalizeRole(role: string): string {
  const lower = role.trim().toLowerCase();
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(lower)) {
    throw new OrchestratorError(
      'invalid_input',
      `role '${role}' is not a word of letters, digits, - or _; use one of ${BUILT_IN_ROLES.join(', ')} or a custom word`,
    );
  }
  return ALIASES[lower] ?? lower;
}

export const AGENT_KINDS = ['claude', 'codex', 'gemini', 'human', 'command'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export function parseAgentKind(kind: string): AgentKind {
  const lower = kind.trim().toLowerCase();
  if (!(AGENT_KINDS as readonly string[]).includes(lower)) {
    throw new OrchestratorError('invalid_input', `agent kind '${kind}' is unknown; use one of ${AGENT_KINDS.join(', ')}`);
  }
  return lower as AgentKind;
}
