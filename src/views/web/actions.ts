import { shellWord } from '../../core/shell.js';

/**
 * What a live view may do, each as the CLI command a person would type: the view runs that
 * command (the same handler, in this process) and shows it in the action log, so every action can
 * be repeated from a terminal and leaves the board's usual events.
 */
export interface Action {
  label: string;
  /** The row kind it applies to. */
  kind: 'approval' | 'task' | 'process' | 'run';
  /** What the text box asks for, when the action needs text. */
  text?: string;
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
  'run.stop': { label: 'Stop run', kind: 'run', confirm: true, argv: (id) => ['stop', '--run', id] },
};

export interface ActionLogEntry {
  ok: boolean;
  at: number;
  person: string;
  action: string;
  command: string;
  output: string;
}

/** Runs CLI arguments as `person`; the exit code and what it printed. */
export type ActionRunner = (argv: string[], person: string) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The command as a person would type it. */
export function commandLine(argv: string[]): string {
  return ['orchestrate', ...argv].map(shellWord).join(' ');
}
