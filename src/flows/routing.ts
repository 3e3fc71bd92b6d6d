import type { AccountState } from '../board/accounts.js';
import type { Board } from '../board/board.js';
import type { DispatchSpec } from '../board/processes.js';
import { accountOf } from '../runner/accounts.js';
import type { AgentRunResult, AgentRuns, DispatchExtras } from '../runner/dispatcher.js';

/** The share of a window past which a CLI takes no new work while another has room (a run's --usage-threshold otherwise). */
export const ROUTING_THRESHOLD = 0.8;

/**
 * Routing across CLIs by headroom. A task that may run on several CLIs (`--worker claude,codex`)
 * goes to the allowed CLI whose account has the most room: not limited, its fullest window under
 * the threshold. Accounts with live figures come first, by headroom (1 − the fullest window);
 * accounts nobody has figures for yet come after them; ties keep the order given. When a CLI
 * refuses the run (a usage limit), the supervisor has marked its account limited until the reset;
 * the same attempt goes to the next CLI — no retry is counted. When none is left, the outcome is
 * the refusal with the earliest reset among them, and the run pauses until then.
 */
export interface Choice {
  cli: string | null;
  /** Why, in a line: each CLI with its figure ("codex: 31% used; claude: 86%, over the threshold 80%"). */
  reason: string;
  /** With no CLI to take it: the earliest time one may (a reset), or null when none said. */
  until: number | null;
}

/** Picks the allowed CLI with the most headroom (see above); `env` names the accounts. */
export async function chooseCli(board: Board, allowed: readonly string[], threshold: number, env: Record<string, string | undefined>): Promise<Choice> {
  return pickCli(await Promise.all(allowed.map((cli) => board.accounts.state(cli, accountOf(cli, env)))), threshold);
}

/** The choice among accounts' states, in the order allowed (pure: the simulated night uses it too). */
export function pickCli(states: AccountState[], threshold: number): Choice {
  const usable = states.filter((s) => s.state !== 'limited' && (s.fullest === null || s.fullest < threshold));
  const rank = (s: AccountState) => (s.fullest === null ? -1 : 1 - s.fullest); // unknown after every known one
  const best = usable.reduce<AccountState | null>((top, s) => (top === null || rank(s) > rank(top) ? s : top), null);
  const reason = states.map((s) => `${s.cli}: ${describe(s, threshold)}`).join('; ');
  if (best) return { cli: best.cli, reason, until: null };
  const ends = states.map((s) => s.limited_until ?? fullestReset(s)).filter((t): t is number => t !== null);
  return { cli: null, reason, until: ends.length ? Math.min(...ends) : null };
}

/**
 * Runs an attempt on the CLI routing picks, and on the next one when that CLI refuses with a usage
 * limit (no retry counted); `build` makes the spec for a CLI. Each choice is an event (`route.chosen`).
 * With one CLI allowed there is nothing to choose: it runs there, as any attempt does.
 */
export async function runRouted(input: {
  board: Board;
  runs: AgentRuns;
  env: Record<string, string | undefined>;
  allowed: readonly string[];
  threshold: number;
  build: (cli: string) => DispatchSpec;
  createdBy: string | null;
  extras: DispatchExtras;
  subject: string;
  onProgress?: (line: string) => void;
}): Promise<AgentRunResult> {
  const { board } = input;
  if (input.allowed.length === 1) return input.runs.run(input.build(input.allowed[0]!), input.createdBy, input.extras);
  let left = [...input.allowed];
  let rounds = 1;
  const processIds: string[] = [];
  let refusal: AgentRunResult | null = null;
  for (;;) {
    let choice = await chooseCli(board, left, input.threshold, input.env);
    if (!choice.cli && left.length < input.allowed.length) {
      // Each allowed CLI was asked: what they all say now (one may have reset meanwhile: one more round, then pause).
      choice = await chooseCli(board, input.allowed, input.threshold, input.env);
      if (choice.cli && rounds++ < 2) left = [...input.allowed];
      else if (choice.cli) choice = { cli: null, reason: choice.reason, until: Date.now() + 60_000 };
    }
    await board.events.note({ type: 'route.chosen', subject: input.subject, actor: input.createdBy, data: { cli: choice.cli, reason: choice.reason, allowed: input.allowed } });
    if (!choice.cli) {
      const until = choice.until === null ? null : new Date(choice.until).toISOString();
      input.onProgress?.(`[${input.subject}] no allowed CLI has room (${choice.reason})${until ? `: until ${until}` : ''}`);
      const base = refusal?.outcome ?? { kind: 'rate_limited' as const, message: '', reset_at: null, session_id: null, cost_usd: null, usage: null };
      return { outcome: { ...base, kind: 'rate_limited', message: `no allowed CLI has room: ${choice.reason}`, reset_at: until ?? base.reset_at }, processIds };
    }
    input.onProgress?.(`[${input.subject}] ${choice.cli} (${choice.reason})`);
    const result = await input.runs.run(input.build(choice.cli), input.createdBy, input.extras);
    processIds.push(...result.processIds);
    if (result.outcome.kind !== 'rate_limited') return { ...result, processIds };
    input.onProgress?.(`[${input.subject}] ${choice.cli} refused: ${result.outcome.message.split('\n')[0]}; the next allowed CLI takes it`);
    refusal = result;
    left.splice(left.indexOf(choice.cli), 1);
  }
}

function describe(s: AccountState, threshold: number): string {
  if (s.state === 'limited') return `limited${s.limited_until ? ` until ${new Date(s.limited_until).toISOString()}` : ''}`;
  if (s.fullest === null) return 'no figures yet';
  const used = `${Math.round(s.fullest * 100)}% used`;
  return s.fullest >= threshold ? `${used}, over the threshold ${Math.round(threshold * 100)}%` : used;
}

/** When the fullest live window resets (an account over the threshold has room again then). */
function fullestReset(s: AccountState): number | null {
  const fullest = s.windows.filter((w) => w.used !== null && w.used === s.fullest);
  return fullest.map((w) => w.resets_at).find((t) => t !== null) ?? null;
}
