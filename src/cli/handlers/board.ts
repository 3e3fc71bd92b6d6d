import { hostname } from 'node:os';
import { maskSecrets } from '../../core/secrets.js';
import { flag, type Handler } from '../call.js';
import { registerByHand } from './agent.js';
import { details, moreHint, table } from '../format.js';
import { ATTENTION, countByAttention, readRows } from '../../views/model.js';

/** Rows of the attention list `status --json` carries (what needs you comes first). */
const ATTENTION_ITEMS = 100;

export const status: Handler = async (call) => {
  const board = await call.board();
  const status = await board.status();
  const tasks = Object.entries(status.tasks).map(([state, n]) => `${n} ${state}`).join(', ');
  const { rows } = await readRows(board.db, { host: hostname() });
  const counts = countByAttention(rows);
  const attention = ATTENTION.filter((a) => counts[a] > 0 && a !== 'done').map((a) => `${a.replace('_', ' ')} ${counts[a]}`).join(' · ');
  return {
    data: { ok: true, ...status, attention: { counts, items: rows.slice(0, ATTENTION_ITEMS) } },
    text: details([
      ['store', `${status.store.dialect} at ${status.store.location} (reachable)`],
      ['schema version', status.store.schema_version],
      ['agents', `${status.agents.online} online, ${status.agents.offline} offline`],
      ['tasks', tasks],
      ['unread messages', status.unread_messages],
      ['context keys', status.context_keys],
      ['leader', status.leader.agent_name ? `${status.leader.agent_name} (term ${status.leader.term})` : 'none'],
      ['events', status.last_event_id],
      ['attention', attention || 'nothing'],
    ]),
  };
};

export const config: Handler = async (call) => {
  const entries = Object.entries(call.settings).map(([name, setting]) => ({
    name,
    ...setting,
    value: name === 'token' && setting.value !== null ? '***' : typeof setting.value === 'string' ? maskSecrets(setting.value) : setting.value,
  }));
  return {
    data: Object.fromEntries(entries.map(({ name, ...rest }) => [name, rest])),
    text: table(['SETTING', 'VALUE', 'SOURCE', 'FROM'], entries.map((e) => [e.name, e.value === null ? 'none' : String(e.value), e.source, e.from])),
  };
};

export const leaderStatus: Handler = async (call) => {
  const leader = await (await call.board()).leader.status();
  return { data: leader, text: leader.agent_id ? `${leader.agent_name} (${leader.agent_id}) leads, term ${leader.term}, lease until ${leader.lease_expires_at}` : 'no leader' };
};

export const leaderAcquire: Handler = async (call) => {
  const leader = await (await call.board()).leader.acquire(call.agent());
  return { data: leader, text: `${leader.agent_name} leads (term ${leader.term})` };
};

/** `orchestrate leader --name Tom`: design E's leader — registered, leading; its TUI is not built yet, and this says so. */
export const leader: Handler = async (call) => {
  const board = await call.board();
  const name = flag(call, 'name');
  const agent = name === undefined ? call.agent() : (await registerByHand(call, { name, role: flag(call, 'role') ?? 'architect' })).id;
  const held = await board.leader.acquire(agent);
  const { hasTerminal, openTui } = await import('./views.js');
  if (call.values.json || call.values['no-tui'] || !hasTerminal(call)) {
    return {
      data: { leader: held, live_view: false },
      text: `${held.agent_name} leads (term ${held.term}) while its lease is renewed ('orchestrate -i ${held.agent_name} heartbeat' every minute, or from a session); in a terminal, 'orchestrate leader' opens the live view and leads while it is open`,
    };
  }
  // Design E's leader console: it leads while this view is open (this process keeps its lease), and resigns at q.
  const release = board.presence.keep(agent);
  try {
    await openTui(call);
  } finally {
    release();
    await board.leader.resign(agent).catch(() => undefined);
  }
  return { data: { leader: held, live_view: true }, text: `${held.agent_name} led (term ${held.term}) and resigned when the view closed` };
};

export const leaderResign: Handler = async (call) => {
  const leader = await (await call.board()).leader.resign(call.agent());
  return { data: leader, text: 'resigned; no leader now' };
};

export const events: Handler = async (call) => {
  const page = await (await call.board()).events.list({ subject: flag(call, 'subject'), type: flag(call, 'type'), limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  return {
    data: page,
    text: table(['ID', 'AT', 'TYPE', 'SUBJECT', 'ACTOR', 'DATA'], page.items.map((e) => [e.id, e.at, e.type, e.subject, e.actor, JSON.stringify(e.data)]), 'no events') + moreHint(page.next_cursor),
  };
};
