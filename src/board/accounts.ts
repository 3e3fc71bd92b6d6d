import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import type { UsageWindow } from './processes.js';
import type { Queryable } from '../store/open.js';

/**
 * The usage windows of each CLI account (a login, an API key, a CODEX_HOME: `runner/accounts.ts`
 * names them), the latest reading of each window from whichever source saw it last: a run's
 * stream (Claude's rate_limit_event), Codex's session file, a refusal's words, the usage endpoint.
 *
 * A reading lives until its window resets (or a day, when the source named no reset): after that
 * the figure says nothing and the window is unknown again. An account is `limited` while one of
 * its live windows is full, until the last such window resets; `ok` when it has live figures, all
 * under full; `unknown` when it has none (an API key reports no windows: unknown, not zero).
 * Headroom is 1 − the fullest live window.
 */
export interface AccountWindow {
  name: string;
  used: number | null;
  /** ms since the epoch, or null when the source named no reset. */
  resets_at: number | null;
  source: string;
  observed_at: number;
}

export interface AccountState {
  cli: string;
  account: string;
  state: 'ok' | 'limited' | 'unknown';
  /** While limited: when the last full window resets (null: not said). */
  limited_until: number | null;
  /** The fullest live window's share, 0..1; null when no live window has a figure. */
  fullest: number | null;
  windows: AccountWindow[];
}

interface Row {
  cli: string;
  account: string;
  name: string;
  used: number | string | null;
  resets_at: number | string | null;
  source: string;
  observed_at: number | string;
}

/** How long a reading with no reset time is believed. */
const NO_RESET_LIFE_MS = 24 * 3600_000;
/** How long a refusal that names no reset (Gemini's daily quota) keeps the account limited. */
export const REFUSAL_WITHOUT_RESET_MS = 15 * 60_000;

export class Accounts {
  constructor(private readonly board: BoardContext) {}

  /** Records the latest figure of each window an account reported. */
  async observe(cli: string, account: string, windows: UsageWindow[]): Promise<void> {
    if (windows.length === 0) return;
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      for (const w of windows) {
        const resets = w.resets_at ? Date.parse(w.resets_at) : NaN;
        await tx.exec(
          `INSERT INTO account_windows (cli, account, name, used, resets_at, source, observed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (cli, account, name) DO UPDATE SET used = excluded.used, resets_at = excluded.resets_at, source = excluded.source, observed_at = excluded.observed_at`,
          [cli, account, w.name.slice(0, 100), w.used === null ? null : Math.max(0, Math.min(1, w.used)), Number.isFinite(resets) ? resets : null, w.source.slice(0, 200), now],
        );
      }
    });
  }

  /**
   * The account refused a run (a usage limit): limited until `resetAt`, or for a while when the CLI
   * named no reset. The windows the refusal reported are recorded first (observe); this makes sure
   * one of them is full, and writes `account.limited`.
   */
  async refused(cli: string, account: string, resetAt: string | null, message: string): Promise<AccountState> {
    const now = this.board.now();
    const before = await this.state(cli, account);
    if (before.state !== 'limited' || (resetAt && before.limited_until !== null && before.limited_until < Date.parse(resetAt))) {
      const until = resetAt ? new Date(Date.parse(resetAt)).toISOString() : new Date(now + REFUSAL_WITHOUT_RESET_MS).toISOString();
      await this.observe(cli, account, [{ name: 'refused', used: 1, resets_at: until, source: resetAt ? 'a refusal' : `a refusal that named no reset (assumed ${REFUSAL_WITHOUT_RESET_MS / 60_000} min)` }]);
    }
    const after = await this.state(cli, account);
    await this.board.db.transaction((tx) => appendEvent(tx, { type: 'account.limited', subject: `${cli}:${account}`, data: { cli, account, until: after.limited_until === null ? null : new Date(after.limited_until).toISOString(), message: message.slice(0, 300) } }, now));
    return after;
  }

  /** One account's state now. */
  async state(cli: string, account: string): Promise<AccountState> {
    const rows = await this.board.db.query<Row>('SELECT * FROM account_windows WHERE cli = ? AND account = ?', [cli, account]);
    return stateOf(cli, account, rows.map(toWindow), this.board.now());
  }

  /** Every account the board has heard of, with its state now. */
  async list(): Promise<AccountState[]> {
    return accountStates(this.board.db, this.board.now());
  }
}

/** Every account on the board with its state at `now` (`orchestrate limits`, the live views). */
export async function accountStates(db: Queryable, now: number): Promise<AccountState[]> {
  const rows = await db.query<Row>('SELECT * FROM account_windows ORDER BY cli, account, name', []);
  const groups = new Map<string, { cli: string; account: string; windows: AccountWindow[] }>();
  for (const row of rows) {
    const key = `${row.cli}\u0000${row.account}`;
    const group = groups.get(key) ?? { cli: row.cli, account: row.account, windows: [] };
    group.windows.push(toWindow(row));
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => stateOf(g.cli, g.account, g.windows, now));
}

/** The state of an account from its windows at `now` (only live readings count). */
export function stateOf(cli: string, account: string, all: AccountWindow[], now: number): AccountState {
  const windows = all.filter((w) => (w.resets_at === null ? w.observed_at > now - NO_RESET_LIFE_MS : w.resets_at > now));
  const figures = windows.filter((w) => w.used !== null).map((w) => w.used!);
  const full = windows.filter((w) => w.used !== null && w.used >= 1);
  const fullest = figures.length ? Math.max(...figures) : null;
  if (full.length > 0) {
    const ends = full.map((w) => w.resets_at);
    return { cli, account, state: 'limited', limited_until: ends.includes(null) ? null : Math.max(...(ends as number[])), fullest, windows };
  }
  return { cli, account, state: fullest === null ? 'unknown' : 'ok', limited_until: null, fullest, windows };
}

function toWindow(row: Row): AccountWindow {
  return {
    name: row.name,
    used: row.used === null ? null : Number(row.used),
    resets_at: row.resets_at === null ? null : Number(row.resets_at),
    source: row.source,
    observed_at: Number(row.observed_at),
  };
}
