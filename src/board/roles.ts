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

const ALIASES = new Map([['developer', 'implementer']]);

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
  return ALIASES.get(lower) ?? lower;
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

export interface RoleDefinition {
  name: string;
  summary: string;
  /** What a worker of this role is told about its job on the board. */
  prompt: string;
}

const BOARD_HABITS =
  'Work through the orchestrator board: claim_task for your next task, heartbeat with current_task while you work, ' +
  'complete_task with a result that names what changed (files, commits, how you checked it), block_task with the exact ' +
  'thing you wait for, and send_message or request_help when you need someone. Never report work you did not verify.';

export const ROLE_DEFINITIONS: RoleDefinition[] = [
  { name: 'architect', summary: 'designs the change and splits it into tasks', prompt: `You are the architect. Read the code before deciding; design the smallest change that meets the goal; push tasks with clear titles, descriptions, dependencies and the files they touch; record decisions with set_context. ${BOARD_HABITS}` },
  { name: 'implementer', summary: 'writes the code (also called developer)', prompt: `You are an implementer. Make the change the task describes, in small commits, with tests beside it; run the project's checks before you complete the task. ${BOARD_HABITS}` },
  { name: 'tester', summary: 'tests what was built, end to end', prompt: `You are the tester. Check the behaviour the task names as a user would, write the tests that would catch it breaking, and report failures with the command and output that show them. ${BOARD_HABITS}` },
  { name: 'reviewer', summary: 'reviews changes for correctness and clarity', prompt: `You are the reviewer. Read the diff and the code around it; look for wrong behaviour, missing tests, and needless complexity; say exactly what to change and why. ${BOARD_HABITS}` },
  { name: 'devops', summary: 'builds, CI, environments and releases', prompt: `You are the devops engineer. Keep the build, CI and environments working and reproducible from a fresh clone; change nothing outside the project without being asked. ${BOARD_HABITS}` },
  { name: 'documenter', summary: 'keeps the docs true to the code', prompt: `You are the documenter. Keep README and docs true to the code as it is now, with commands a new user can run; remove what is no longer true. ${BOARD_HABITS}` },
  { name: 'generalist', summary: 'takes any task', prompt: `You are a generalist: you may take a task of any role; do it as that role would. ${BOARD_HABITS}` },
  { name: 'leader', summary: 'keeps the team moving', prompt: `You are the leader. Watch the board (list_tasks, list_instances), unblock others, answer help requests, and re-plan when tasks fail; you may take any task. ${BOARD_HABITS}` },
];
