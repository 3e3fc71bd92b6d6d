import { shellWord } from '../../core/shell.js';

/**
 * What a live view may do, each as the CLI command a person would type: the view runs that
 * command (the same handler, in this process) and shows it in the action log, so every action can
 * be repeated from a terminal and leaves the board's usual events.
 */
export interface Action {
  label: string;
  /** The row kind it applies to. */
  kind: 'approval' | 'task' | 'process' | 'run' | 'agent';
  /** What the text box asks for, when the action needs text. */
  text?: string;
  /** The text may be left empty. */
  optional?: boolean;
  /** Asks "are you sure?" first. */
  confirm?: boolean;
  argv(id: string, text: string): string[];
}

export const ACTIONS: Record<string, Action> = {
  'approval.allow': { label: 'Allow', kind: 'approval', argv: (id) => ['approvals', 'allow', id] },
  'approval.deny': { label: 'Deny', kind: 'approval', argv: (id, text) => ['approvals', 'deny', id, ...(text ? ['--reason', text] : [])] },
  'task.retry': { label: 'Requeue', kind: 'task', argv: (id) => ['task', 'retry', id] },
  'task.block': { label: 'Block', kind: 'task', text: 'what it waits for', argv: (id, text) => ['task', 'block', id, '--reason', text] },
  'task.unblock': { label: 'Unblock', kind: 'task', argv: (id) => ['task', 'unblock', id] },
  'task.cancel': { label: 'Cancel', kind: 'task', confirm: true, argv: (id, text) => ['task', 'cancel', id, ...(text ? ['--reason', text] : [])] },
  'process.stop': { label: 'Stop', kind: 'process', confirm: true, argv: (id) => ['stop', id] },
  'process.respond': { label: 'Reply', kind: 'process', text: 'your reply', argv: (id, text) => ['respond', id, text] },
  'task.priority': { label: 'Priority', kind: 'task', text: 'the new priority, 0 (highest) to 3', argv: (id, text) => ['task', 'priority', id, '--priority', text.trim()] },
  'agent.message': { label: 'Message', kind: 'agent', text: 'your message', argv: (id, text) => ['msg', 'send', '--to', id, '--content', text] },
  'run.stop': { label: 'Stop run', kind: 'run', confirm: true, argv: (id) => ['stop', '--run', id] },
  'run.resume': { label: 'Resume', kind: 'run', text: 'guidance for the agents (may be empty)', optional: true, argv: (id, text) => ['resume', '--run', id, '--detach', ...(text.trim() ? ['--guidance', text] : [])] },
};

/** The run states `resume` goes on from. */
export const RESUMABLE = ['paused', 'escalated', 'blocked', 'failed', 'stopped'];

export interface ActionLogEntry {
  ok: boolean;
  at: number;
  person: string;
  action: string;
  command: string;
  output: string;
}

/** Runs CLI arguments as `person` on the row `subject`; the exit code and what it printed. */
export type ActionRunner = (argv: string[], person: string, subject: string) => Promise<{ code: number; stdout: string; stderr: string }>;

/** An action's log entry: the command, who ran it, and the first line it said. */
export function logEntry(name: string, argv: string[], person: string, result: { code: number; stdout: string; stderr: string }): ActionLogEntry {
  return { ok: result.code === 0, at: Date.now(), person, action: name, command: commandLine(argv), output: (result.code === 0 ? result.stdout : result.stderr).trim().slice(0, 4000) };
}

/** The command as a person would type it. */
export function commandLine(argv: string[]): string {
  return ['orchestrate', ...argv].map(shellWord).join(' ');
}
