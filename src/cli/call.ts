import { OrchestratorError } from '../core/errors.js';
import { decimal } from '../core/numbers.js';
import type { Board } from '../board/board.js';
import type { Settings } from '../config/settings.js';
import type { Io } from './run.js';

/** What a command handler gets: its parsed flags and arguments, the settings, and the board. */
export interface Call {
  values: Record<string, string | boolean | string[] | undefined>;
  /** The environment the program was started with (agents inherit it). */
  env: Record<string, string | undefined>;
  positionals: string[];
  /** The command line as given, from the command's name on (to run the same command again elsewhere). */
  argv: string[];
  settings: Settings;
  cwd: string;
  /** The board, opened on first use. */
  board(): Promise<Board>;
  /** The caller's agent id or name; a no_identity error that says how to get one when unknown. */
  agent(): string;
  /** The caller's agent id or name, or null for an operator acting without one. */
  maybeAgent(): string | null;
  /** A progress line for people, on stderr (stdout stays for the result). */
  progress(text: string): void;
  io: Io;
}

/** What a handler returns: data for `--json`, and text for people. */
export interface Reply {
  data: unknown;
  /** null: print nothing (a server whose stdout was the protocol channel). */
  text: string | null;
  /** Exit with this code although the command worked (an agent run that did not succeed). */
  exitCode?: number;
}

export type Handler = (call: Call) => Promise<Reply>;

export function flag(call: Call, name: string): string | undefined {
  const value = call.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A value given as `--name` or as the next positional argument. */
export function flagOrArg(call: Call, name: string, position = 0): string | undefined {
  return flag(call, name) ?? call.positionals[position];
}

export function required(value: string | undefined, what: string, how: string): string {
  if (value === undefined || value.trim() === '') {
    throw new OrchestratorError('invalid_input', `${what} is missing: pass ${how}`);
  }
  return value;
}

export function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((item) => item.trim()).filter(Boolean);
}

export function json(value: string | undefined, name: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new OrchestratorError('invalid_input', `--${name} must be a JSON object such as '{"key":"value"}'`);
}

/** A number of seconds from a flag, as milliseconds. */
export function seconds(value: string | undefined, name: string, fallbackSeconds: number): number {
  if (value === undefined) return fallbackSeconds * 1000;
  const number = decimal(`--${name}`, value);
  if (!Number.isFinite(number) || number < 0 || number > 3600) {
    throw new OrchestratorError('invalid_input', `--${name} must be a number of seconds from 0 to 3600, not '${value}'`);
  }
  return Math.round(number * 1000);
}

/** --program and its --arg values, for a command agent: the argv, or null when no program was given. */
export function commandArgv(call: Call): string[] | null {
  const program = flag(call, 'program');
  return program ? [program, ...((call.values.arg as string[] | undefined) ?? [])] : null;
}
