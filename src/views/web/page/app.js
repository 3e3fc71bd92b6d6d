// The page of `orchestrate web`: a snapshot, then the server's event stream (one per browser:
// the tab holding a Web Lock reads it and shares each message with the other tabs). Everything
// an agent wrote is put on the page as text (textContent), never as HTML.

import { agentPage, costsPage, el, graphPage, kanbanPage, mergesPage, messagesPage, runPage, taskPage } from './pages.js';

const PROBLEMS = ['needs_you', 'setup_error', 'dead', 'stalled', 'gate_failed', 'failed'];
const VIEWS = [
  ['inbox', 'Inbox', (r) => ['needs_you', 'setup_error', 'dead', 'stalled', 'gate_failed', 'paused'].includes(r.attention)],
  ['problems', 'Problems', (r) => PROBLEMS.includes(r.attention)],
  ['agents', 'Agents', (r) => r.kind === 'agent'],
  ['tasks', 'Tasks', (r) => r.kind === 'task'],
  ['processes', 'Processes', (r) => r.kind === 'process'],
  ['runs', 'Runs', (r) => r.kind === 'run'],
  ['approvals', 'Approvals', (r) => r.kind === 'approval'],
  ['merges', 'Merge queue', null],
  ['costs', 'Costs', null],
  ['messages', 'Messages', null],
  ['events', 'Events', null],
  ['actions', 'Action log', null],
];
/** The pages read from the board on demand: the view, the page it asks for, how it is drawn. */
const PAGES = {
  task: ['task', taskPage],
  agent: ['agent', agentPage],
  run: ['timeline', runPage],
  graph: ['graph', graphPage],
  merges: ['merges', mergesPage],
  costs: ['costs', costsPage],
  messages: ['messages', messagesPage],
};
const RESUMABLE = ['paused', 'escalated', 'blocked', 'failed', 'stopped'];
const SHOWN = 300;
const LABELS = { needs_you: 'needs you', setup_error: 'setup error', gate_failed: 'gate failed' };

const state = { rows: new Map(), eventId: 0, events: [], counts: {}, actions: {}, readOnly: false, now: Date.now(), skew: 0 };
const $ = (id) => document.getElementById(id);

function params() {
  return new URLSearchParams(location.search);
}

function go(changes) {
  const next = params();
  for (const [key, value] of Object.entries(changes)) value ? next.set(key, value) : next.delete(key);
  history.replaceState(null, '', `?${next}`);
  render();
}

/** To another page (Back comes back): only these parameters. */
function navigate(to) {
  history.pushState(null, '', `?${new URLSearchParams(Object.entries(to).filter(([, v]) => v))}`);
  render();
}

async function snapshot() {
  const response = await fetch('/api/snapshot');
  if (!response.ok) return showError((await response.json()).error);
  const snap = await response.json();
  state.rows = new Map(snap.rows.map((row) => [row.key, row]));
  state.eventId = snap.event_id;
  state.events = snap.events;
  state.counts = snap.counts;
  state.actions = snap.actions;
  state.readOnly = snap.read_only;
  state.skew = snap.now - Date.now();
  $('board').textContent = `${snap.board.dialect} · ${snap.board.location}`;
  render();
}

function apply(kind, data) {
  if (kind === 'reset') return snapshot();
  for (const row of data.rows) {
    if (row.kind === 'approval' && row.attention === 'needs_you' && !state.rows.has(row.key)) notify(row);
    state.rows.set(row.key, row);
  }
  for (const key of data.removed) state.rows.delete(key);
  state.events.push(...data.events);
  if (state.events.length > 500) state.events.splice(0, state.events.length - 500);
  state.eventId = data.event_id;
  state.counts = data.counts;
  pageStale = true;
  render();
}

// Desktop notifications of new approvals, when the person asks for them (the browser asks its permission once).
const notifyBox = $('notify');
notifyBox.checked = localStorage.getItem('orchestrate-notify') === 'on' && window.Notification?.permission === 'granted';
notifyBox.addEventListener('change', async () => {
  if (notifyBox.checked && window.Notification && Notification.permission !== 'granted') notifyBox.checked = (await Notification.requestPermission()) === 'granted';
  localStorage.setItem('orchestrate-notify', notifyBox.checked ? 'on' : 'off');
});
function notify(row) {
  if (!notifyBox.checked || !window.Notification || Notification.permission !== 'granted' || !document.hidden) return;
  const note = new Notification('orchestrate: an approval waits for you', { body: row.title, tag: row.key });
  note.addEventListener('click', () => {
    window.focus();
    navigate({ view: 'approvals' });
  });
}

// One stream per browser: the tab with the lock reads it and passes each message on.
const channel = 'BroadcastChannel' in window ? new BroadcastChannel(`orchestrate-${location.port}`) : null;
channel?.addEventListener('message', (message) => apply(message.data.kind, message.data.data));

function follow() {
  const source = new EventSource(`/api/stream?last=${state.eventId}`);
  for (const kind of ['change', 'reset']) {
    source.addEventListener(kind, (event) => {
      const data = JSON.parse(event.data);
      channel?.postMessage({ kind, data });
      apply(kind, data);
    });
  }
  source.addEventListener('open', () => ($('link').textContent = 'live'));
  source.addEventListener('error', () => ($('link').textContent = 'reconnecting…'));
  return new Promise(() => {}); // held while this tab lives
}

function header() {
  const order = ['needs_you', 'stalled', 'dead', 'setup_error', 'gate_failed', 'paused', 'working', 'queued'];
  $('counts').replaceChildren(...order.filter((a) => state.counts[a]).map((a) => el('span', { class: `chip ${a}` }, `${LABELS[a] ?? a} ${state.counts[a]}`)));
  let spend = 0;
  let tokens = 0;
  for (const row of state.rows.values()) {
    if (row.kind === 'process') { spend += row.cost_usd ?? 0; tokens += row.tokens ?? 0; }
  }
  $('spend').textContent = `$${spend.toFixed(4)} · ${tokens.toLocaleString()} tokens`;
  const needs = state.counts.needs_you ?? 0;
  document.title = needs ? `(${needs}) orchestrate` : 'orchestrate';
  $('favicon').href = `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="${needs ? '#f76707' : '#40c057'}"/>${needs ? `<text x="8" y="12" font-size="10" text-anchor="middle" fill="#fff">${Math.min(needs, 9)}</text>` : ''}</svg>`)}`;
}

function ago(ms) {
  if (ms === null || ms === undefined) return '';
  const s = Math.max(0, Math.round((Date.now() + state.skew - ms) / 1000));
  return s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

function matches(row, filter) {
  if (!filter) return true;
  return filter.split(/\s+/).every((word) => {
    const [key, value] = word.includes(':') ? word.split(':', 2) : [null, word];
    if (key === 'class') return row.attention.startsWith(value);
    return `${row.id} ${row.title} ${row.why} ${row.detail}`.toLowerCase().includes(word.toLowerCase());
  });
}

function actionsFor(row) {
  if (state.readOnly || !row) return [];
  return Object.entries(state.actions).filter(([name, action]) => {
    if (action.kind !== row.kind) return false;
    if (row.kind === 'approval') return row.extra.state === 'pending';
    if (row.kind === 'task') {
      const status = row.extra.status;
      if (name === 'task.retry') return status === 'failed' || status === 'blocked';
      if (name === 'task.unblock') return status === 'blocked';
      if (name === 'task.block') return status === 'pending' || status === 'claimed' || status === 'in_progress';
      return status !== 'completed' && status !== 'cancelled';
    }
    if (row.kind === 'process') return row.extra.state !== 'exited' && (name !== 'process.respond' || row.attention === 'needs_you');
    if (row.kind === 'run') return name === 'run.resume' ? RESUMABLE.includes(row.extra.status) : !['completed', 'stopped', 'failed'].includes(row.extra.status);
    if (row.kind === 'agent') return row.attention !== 'dead' && row.attention !== 'done';
    return false;
  }).map(([name, action]) => el('button', { 'data-action': name, onclick: () => act(name, action, row) }, action.label));
}

async function act(name, action, row) {
  let text = '';
  if (action.text) {
    const given = prompt(`${action.label} ${row.id}: ${action.text}`);
    if (given === null || (!given.trim() && !action.optional)) return;
    text = given;
  }
  if (action.confirm && !confirm(`${action.label} ${row.id} (${row.title})?`)) return;
  const response = await fetch('/api/action', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: name, id: row.id, text }) });
  const result = await response.json();
  toast(`${result.ok ? '✓' : '✗'} ${result.command || result.action || ''}\n${result.output ?? result.error ?? ''}`.trim());
}

function toast(text) {
  const note = el('div', {}, text);
  $('toast').append(note);
  setTimeout(() => note.remove(), 6000);
}

function showError(text) {
  $('view').replaceChildren(el('p', {}, text));
}

function table(rows, columns) {
  const filter = params().get('q') ?? '';
  const shown = rows.filter((row) => matches(row, filter));
  const body = shown.slice(0, SHOWN).map((row) => el('tr', { 'data-key': row.key },
    el('td', {}, el('span', { class: `chip ${row.attention}` }, LABELS[row.attention] ?? row.attention)),
    el('td', {}, ['task', 'agent', 'run'].includes(row.kind) ? el('a', { href: `?view=${row.kind}&id=${encodeURIComponent(row.id)}`, onclick: (event) => { event.preventDefault(); navigate({ view: row.kind, id: row.id }); } }, el('code', {}, row.id)) : el('code', {}, row.id), ' ', row.title,
      row.kind === 'process' && row.extra.log ? [' ', el('a', { href: `?view=log&id=${encodeURIComponent(row.id)}`, class: 'log', onclick: (event) => { event.preventDefault(); navigate({ view: 'log', id: row.id }); } }, 'log')] : '',
      row.kind === 'approval' && row.extra.state === 'pending' ? el('pre', {}, prettyInput(row.extra.input)) : ''),
    el('td', { class: 'why' }, row.why),
    ...columns.map((column) => el('td', { class: 'hide-small' }, column.value(row))),
    el('td', { class: 'hide-small' }, ago(row.since)),
    el('td', { class: 'hide-small' }, ago(row.last_activity)),
    el('td', {}, actionsFor(row)),
  ));
  const head = el('tr', {}, el('th', {}, 'state'), el('th', {}, 'what'), el('th', {}, 'why'), ...columns.map((c) => el('th', { class: 'hide-small' }, c.title)), el('th', { class: 'hide-small' }, 'for'), el('th', { class: 'hide-small' }, 'last activity'), el('th', {}, ''));
  const more = shown.length > SHOWN ? el('p', { class: 'more' }, `${shown.length - SHOWN} more — filter to narrow`) : shown.length === 0 ? el('p', { class: 'more' }, 'nothing here') : '';
  return [el('table', {}, el('thead', {}, head), el('tbody', {}, body)), more];
}

function prettyInput(input) {
  try {
    return JSON.stringify(JSON.parse(input), null, 2);
  } catch {
    return String(input);
  }
}

const COLUMNS = {
  agents: [{ title: 'task', value: (r) => r.detail }, { title: 'cli', value: (r) => r.extra.cli ?? '' }],
  tasks: [{ title: 'holder', value: (r) => r.detail }, { title: 'priority', value: (r) => r.extra.priority }],
  processes: [{ title: 'cost', value: (r) => (r.cost_usd === null ? '' : `$${r.cost_usd.toFixed(4)}`) }, { title: 'tokens', value: (r) => r.tokens ?? '' }, { title: 'host', value: (r) => r.extra.host ?? '' }],
  runs: [{ title: 'cost', value: (r) => `$${(r.cost_usd ?? 0).toFixed(4)}${r.extra.budget_usd ? ` of $${r.extra.budget_usd}` : ''}` }],
};

function render() {
  header();
  const current = params().get('view') ?? 'inbox';
  const tab = ['task', 'graph'].includes(current) ? 'tasks' : current === 'agent' ? 'agents' : current === 'run' ? 'runs' : current;
  $('nav').replaceChildren(...VIEWS.map(([id, label]) => el('a', { href: `?view=${id}`, class: id === tab ? 'on' : '', onclick: (event) => { event.preventDefault(); navigate({ view: id }); } }, label)));
  const filter = $('filter');
  if (document.activeElement !== filter) filter.value = params().get('q') ?? '';
  if (current !== 'log' && logSource) {
    logSource.close();
    logSource = null;
    logKey = '';
  }
  if (PAGES[current]) return showPage(current);
  shownPage = '';
  const view = VIEWS.find(([id]) => id === current) ?? VIEWS[0];
  if (current === 'events') {
    // Paused, the list stays as it was (the stream goes on underneath); the filter matches type, subject and actor.
    const paused = params().get('paused') === '1';
    if (!paused || frozenAt === 0) {
      frozenEvents = state.events.slice();
      frozenAt = state.eventId;
    }
    const words = (params().get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const shown = frozenEvents.filter((e) => words.every((w) => `${e.type} ${e.subject ?? ''} ${e.actor ?? ''}`.toLowerCase().includes(w))).reverse();
    const pause = el('button', { 'data-pause': '', onclick: () => go({ paused: paused ? '' : '1' }) }, paused ? (state.eventId > frozenAt ? 'go on (newer events wait)' : 'go on') : 'pause');
    $('view').replaceChildren(el('p', {}, pause, ` ${shown.length} events`), el('table', {}, el('tbody', {}, shown.map((e) => el('tr', {}, el('td', {}, new Date(e.at).toLocaleTimeString()), el('td', {}, e.type), el('td', {}, el('code', {}, e.subject ?? '')), el('td', {}, e.actor ?? ''))))));
    return;
  }
  if (current === 'log') return showLog();
  if (current === 'actions') {
    fetch('/api/actions').then((r) => r.json()).then((log) => {
      $('view').replaceChildren(el('table', {}, el('tbody', {}, log.items.slice().reverse().map((a) => el('tr', {}, el('td', {}, new Date(a.at).toLocaleTimeString()), el('td', {}, a.person), el('td', {}, el('code', {}, a.command)), el('td', {}, a.ok ? 'ok' : a.output))))));
    });
    return;
  }
  const rows = [...state.rows.values()].filter(view[2]);
  if (current === 'tasks') {
    const mode = params().get('mode') ?? 'table';
    const modes = el('p', { class: 'modes' }, ...['table', 'kanban', 'graph'].map((m) => el('button', { 'data-mode': m, onclick: () => (m === 'graph' ? navigate({ view: 'graph' }) : go({ mode: m === 'table' ? '' : m })), ...(m === mode ? { disabled: '' } : {}) }, m)));
    const filtered = rows.filter((row) => matches(row, params().get('q') ?? ''));
    if (mode === 'kanban') return $('view').replaceChildren(modes, kanbanPage(filtered, { go: navigate }));
    return $('view').replaceChildren(modes, ...table(rows, COLUMNS.tasks));
  }
  $('view').replaceChildren(...table(rows, COLUMNS[current] ?? []));
}

let frozenEvents = [];
let frozenAt = 0;

// A page read from the board (/api/page): again when the stream says something changed, at most twice a second.
let shownPage = '';
let pageStale = false;
let pageLoading = false;
let pageReadAt = 0;
async function showPage(view) {
  const p = params();
  const key = `${view}|${p.get('id') ?? ''}|${p.get('run') ?? ''}`;
  if (key === shownPage && (!pageStale || pageLoading)) return;
  if (key === shownPage && Date.now() - pageReadAt < 500) {
    setTimeout(() => pageStale && showPage(view), 500 - (Date.now() - pageReadAt));
    return;
  }
  if (key !== shownPage) $('view').replaceChildren(el('p', { class: 'more' }, 'reading…'));
  shownPage = key;
  pageStale = false;
  pageLoading = true;
  pageReadAt = Date.now();
  const [name, draw] = PAGES[view];
  const query = new URLSearchParams({ name, ...(p.get('id') ? { id: p.get('id') } : {}), ...(p.get('run') ? { run: p.get('run') } : {}) });
  try {
    const response = await fetch(`/api/page?${query}`);
    const data = await response.json();
    if (shownPage !== key) return;
    if (!response.ok) return $('view').replaceChildren(el('p', {}, data.error));
    const row = state.rows.get(`${view === 'run' ? 'run' : view}:${p.get('id') ?? data.run?.id ?? ''}`);
    const keep = window.scrollY;
    $('view').replaceChildren(...[draw(data, { go: navigate, actions: actionsFor(row), now: Date.now() + state.skew })].flat(Infinity));
    window.scrollTo(0, keep);
  } catch (error) {
    if (shownPage === key) $('view').replaceChildren(el('p', {}, `cannot read the page now: ${error.message}`));
  } finally {
    pageLoading = false;
    if (pageStale && shownPage === key) showPage(view);
  }
}

// A process's log: the tail, live (the server watches the file), errors or tool calls only, a search.
let logSource = null;
let logKey = '';
function showLog() {
  const p = params();
  const key = `${p.get('id')}|${p.get('only') ?? ''}|${p.get('q') ?? ''}`;
  const only = p.get('only') ?? 'all';
  const pre = document.getElementById('log-lines') ?? el('pre', { id: 'log-lines' });
  const choices = el('p', {}, `log of ${p.get('id')} · `, ...['all', 'errors', 'tools'].map((o) => el('button', { 'data-only': o, onclick: () => go({ only: o === 'all' ? '' : o }), ...(o === only ? { disabled: '' } : {}) }, o)));
  $('view').replaceChildren(choices, pre);
  if (key === logKey && logSource) return;
  logSource?.close();
  logKey = key;
  pre.textContent = 'reading…';
  const query = new URLSearchParams({ id: p.get('id') ?? '', ...(p.get('only') ? { only: p.get('only') } : {}), ...(p.get('q') ? { q: p.get('q') } : {}) });
  logSource = new EventSource(`/api/log/stream?${query}`);
  logSource.addEventListener('log', (event) => {
    const tail = JSON.parse(event.data);
    const target = document.getElementById('log-lines');
    if (target) target.textContent = tail.error ?? (tail.lines.length ? tail.lines.join('\n') : 'no line matches');
  });
  logSource.addEventListener('error', () => {
    if (logSource?.readyState === EventSource.CLOSED) logSource = null;
  });
}
window.addEventListener('popstate', render);

$('filter').addEventListener('input', (event) => go({ q: event.target.value }));
await snapshot();
if (navigator.locks) navigator.locks.request(`orchestrate-stream-${location.port}`, follow);
else follow();
