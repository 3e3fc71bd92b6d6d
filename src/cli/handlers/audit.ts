import { integerInRange } from '../../board/input.js';
import type { BoardEvent } from '../../board/events.js';
import { toolTarget } from '../../runner/events.js';
import { flag, type Handler } from '../call.js';
import { table } from '../format.js';

/** What a refused call was aimed at (its file, command, path …), from the input as the CLI logged it. */
function target(input: string | undefined): string {
  try {
    return toolTarget(JSON.parse(input ?? 'null'));
  } catch {
    return (input ?? '').slice(0, 80);
  }
}

/** The events that are permission decisions: a person's or a policy's answer, a timeout, a CLI's own refusal. */
const DECISIONS = ['approval.allowed', 'approval.denied', 'permission.denied'];

/**
 * `orchestrate audit`: every permission decision, newest last — who decided (a person, the role's
 * policy, the timeout, the CLI's own flags), what (the tool and what it was called with), for
 * which agent or process, and why.
 */
export const audit: Handler = async (call) => {
  const board = await call.board();
  const limit = integerInRange('--limit', flag(call, 'limit') ?? 100, 1, 1000);
  const events: BoardEvent[] = [];
  for (const type of DECISIONS) events.push(...(await board.events.all({ type })));
  const shown = events.sort((a, b) => a.id - b.id).slice(-limit);
  const rows = shown.map((e) => {
    const d = e.data as { by?: string; reason?: string | null; tool_name?: string; tool?: string; input?: string; agent?: string | null; process?: string; cli?: string };
    const decision = e.type === 'approval.allowed' ? 'allowed' : 'denied';
    const who = e.type === 'permission.denied' ? `${d.cli} flags` : d.by ?? '?';
    const what = e.type === 'permission.denied' ? `${d.tool}${target(d.input) ? `: ${target(d.input)}` : ''}` : d.tool_name ?? '';
    const whom = e.type === 'permission.denied' ? d.process ?? e.subject : d.agent ?? e.subject;
    return [e.at, decision, who, what, whom, (e.type === 'permission.denied' ? d.by : d.reason) ?? ''];
  });
  return { data: { items: shown }, text: table(['AT', 'DECISION', 'BY', 'TOOL', 'FOR', 'WHY'], rows, 'no permission decisions yet') };
};
