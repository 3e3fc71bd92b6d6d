import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PhaseReport } from '../board/runs.js';
import { parseMarkdown, sections, textOf, type PhaseSpec } from './plan-files.js';

/**
 * What the orchestrator checks after a phase, on top of re-running its gates (the engine does
 * that): the phase reported `done` (or `blocked`, which ends it without a retry; `failed` is retried
 * like a failed gate; a report's own account of steps and agents is kept, never counted); each required
 * agent was really invoked — a call of Claude Code's Agent (formerly Task) tool with that
 * `subagent_type` in the session's event log, whose result was not an error; the notes file
 * exists and has every required section, each with some text. Without strict compliance, agent
 * and notes problems are warnings; the gates and the report still count.
 */
export interface PhaseCheck {
  problems: string[];
  warnings: string[];
  /** The reason, when the phase reported itself blocked. */
  blocked: string | null;
}

export const DEFAULT_NOTES_SECTIONS = ['Summary', 'Key Decisions', 'Files Modified'];
const AGENT_TOOLS = new Set(['Agent', 'Task']);

export function checkPhase(input: { phase: PhaseSpec; tree: string; logPath: string | null; reports: PhaseReport[]; notesSections: string[]; strict: boolean; howToReport: string }): PhaseCheck {
  const { phase } = input;
  const last = input.reports[input.reports.length - 1];
  if (last?.status === 'blocked') return { problems: [], warnings: [], blocked: last.reason ?? 'no reason given' };
  const problems: string[] = [];
  const soft: string[] = [];
  if (!last) problems.push(`the phase did not report that it is done: when its tasks are finished, ${input.howToReport}`);
  // Failed is the worker's own word that the attempt did not work: another attempt, with its reason.
  if (last?.status === 'failed') problems.push(`the phase reported itself failed${last.reason ? `: ${last.reason}` : ''}`);
  const invoked = agentCalls(input.logPath);
  for (const name of phase.required_agents) {
    const call = invoked.get(name);
    if (!call) soft.push(`the required agent ${name} was not invoked: use the Agent tool with subagent_type "${name}" as the Process Wrapper says`);
    else if (call.error !== null) soft.push(`the required agent ${name} was invoked but failed: ${call.error.slice(0, 300)}`);
  }
  if (phase.write_notes) soft.push(...notesProblems(input.tree, phase.write_notes, input.notesSections));
  return input.strict ? { problems: [...problems, ...soft], warnings: [], blocked: null } : { problems, warnings: soft, blocked: null };
}

/** The subagents a session invoked (from its event log), each with its error when its result was one. */
export function agentCalls(logPath: string | null): Map<string, { error: string | null }> {
  const calls = new Map<string, { error: string | null }>();
  if (!logPath) return calls;
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return calls;
  }
  const byId = new Map<string, string>();
  for (const line of text.split('\n')) {
    let event: { type?: string; id?: string; name?: string; input?: { subagent_type?: unknown }; is_error?: boolean; content?: string };
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (event.type === 'tool_call' && AGENT_TOOLS.has(event.name ?? '') && typeof event.input?.subagent_type === 'string') {
      byId.set(event.id ?? '', event.input.subagent_type);
      if (!calls.has(event.input.subagent_type)) calls.set(event.input.subagent_type, { error: 'no result' });
    }
    if (event.type === 'tool_result' && byId.has(event.id ?? '')) {
      const name = byId.get(event.id ?? '')!;
      // One good call is enough; a failed one is kept only until a good one comes.
      if (calls.get(name)?.error !== null) calls.set(name, { error: event.is_error ? (event.content ?? 'error') : null });
    }
  }
  return calls;
}

/** Why the notes file does not do: missing, or a required section absent or empty. */
export function notesProblems(tree: string, file: string, required: string[]): string[] {
  let text: string;
  try {
    text = readFileSync(join(tree, file), 'utf8');
  } catch {
    return [`the notes file ${file} was not written: write it with the sections ${required.map((s) => `## ${s}`).join(', ')}`];
  }
  const found = new Map(sections(parseMarkdown(text)).map((section) => [normal(section.title), section]));
  const problems: string[] = [];
  for (const name of required) {
    const section = found.get(normal(name));
    if (!section) problems.push(`the notes file ${file} has no "## ${name.replace(/^#+\s*/, '')}" section`);
    else if (section.nodes.every((node) => textOf(node).trim() === '')) problems.push(`the section "${section.title}" of ${file} is empty`);
  }
  return problems;
}

const normal = (title: string) => title.replace(/^#+\s*/, '').trim().toLowerCase();
