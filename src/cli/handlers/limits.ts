import type { AccountState } from '../../board/accounts.js';
import { accountOf } from '../../runner/accounts.js';
import { usageFrom } from '../../runner/usage.js';
import type { Handler } from '../call.js';
import { table } from '../format.js';

/**
 * `orchestrate limits`: each CLI account the board has heard of — its state (ok, limited until a
 * reset, unknown), its windows with how full each is, when each resets, where the figure came
 * from and how old it is; with a Claude login, its usage endpoint is read first. Routing
 * (`--worker claude,codex`) picks by these.
 */
export const limits: Handler = async (call) => {
  const board = await call.board();
  // With a Claude login, a fresh reading of its windows first (the endpoint Claude Code's own /usage reads).
  const reading = await usageFrom(call.env, call.settings.home.value)?.();
  if (reading) await board.accounts.observe('claude', accountOf('claude', call.env), reading.windows);
  const accounts = await board.accounts.list();
  const now = Date.now();
  const rows = accounts.flatMap((a) => {
    const head = [a.cli, a.account, stateText(a)];
    if (a.windows.length === 0) return [[...head, '', '', '', '', '']];
    return a.windows.map((w, i) => [...(i === 0 ? head : ['', '', '']), w.name, w.used === null ? '?' : `${Math.round(w.used * 100)}%`, w.resets_at === null ? '' : new Date(w.resets_at).toISOString(), w.source, ago(now - w.observed_at)]);
  });
  return {
    data: { accounts: accounts.map((a) => ({ ...a, limited_until: a.limited_until === null ? null : new Date(a.limited_until).toISOString() })) },
    text: table(['CLI', 'ACCOUNT', 'STATE', 'WINDOW', 'USED', 'RESETS', 'SOURCE', 'SEEN'], rows, 'no readings yet: the accounts appear once their CLIs run (or the usage endpoint is read)'),
  };
};

function stateText(a: AccountState): string {
  if (a.state === 'limited') return `limited${a.limited_until === null ? '' : ` until ${new Date(a.limited_until).toISOString()}`}`;
  return a.state === 'ok' ? `ok (${Math.round((1 - a.fullest!) * 100)}% headroom)` : 'unknown';
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}
