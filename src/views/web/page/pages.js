// The pages behind the rows of `orchestrate web`: a task, an agent, the task graph and kanban, a
// run's timeline, the merge queue, costs, messages. Each is drawn from one JSON read of the board
// (/api/page?name=…), taken again when the stream says something changed. Everything an agent
// wrote is put on the page as text, never as HTML.

const SVG = 'http://www.w3.org/2000/svg';

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children.flat(Infinity)) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

const clock = (ms) => new Date(ms).toLocaleTimeString();
const money = (usd) => (usd === null || usd === undefined ? '' : `$${Number(usd).toFixed(4)}`);
const seconds = (ms) => (ms < 90_000 ? `${Math.round(ms / 1000)} s` : ms < 5_400_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`);
const STATUS_CLASS = { pending: 'queued', claimed: 'working', in_progress: 'working', blocked: 'needs_you', completed: 'done', failed: 'failed', cancelled: 'done' };

/** A link to another page of the view (handled by the page's router, kept in the URL). */
function link(text, params, go) {
  const query = new URLSearchParams(params);
  return el('a', { href: `?${query}`, onclick: (event) => { event.preventDefault(); go(params); } }, text);
}

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function attemptRows(attempts, go, now) {
  if (attempts.length === 0) return el('p', { class: 'more' }, 'no agent process yet');
  return el('table', {}, el('tbody', {}, attempts.map((a) => el('tr', {},
    el('td', {}, el('code', {}, a.process_id)),
    el('td', {}, a.cli),
    el('td', {}, el('span', { class: `chip ${a.state !== 'exited' ? 'working' : a.outcome === 'ok' ? 'done' : 'failed'}` }, a.state === 'exited' ? a.outcome ?? 'ended' : a.state)),
    el('td', {}, a.started_at ? seconds((a.ended_at ?? now) - a.started_at) : 'queued'),
    el('td', {}, money(a.cost_usd)),
    el('td', {}, a.tokens === null ? '' : `${a.tokens.toLocaleString()} tokens`),
    el('td', {}, a.host),
    el('td', {}, a.log ? link('log', { view: 'log', id: a.process_id }, go) : ''),
    el('td', { class: 'why' }, a.outcome !== 'ok' ? a.message ?? '' : ''),
  ))));
}

function gateChips(gates) {
  return (gates ?? []).map((g) => el('span', { class: `chip ${g.passed ? 'done' : 'failed'}`, title: `exit ${g.exit_code}${g.timed_out ? ', timed out' : ''} · ${g.seconds} s` }, `${g.passed ? '✓' : '✗'} ${g.command}`));
}

function mergeWords(m) {
  switch (m.type) {
    case 'merge.queued': return 'waits in the merge queue';
    case 'merge.done': return `merged ${String(m.data.sha ?? '').slice(0, 10)}${m.data.diff_stat ? ` · ${m.data.diff_stat}` : ''}`;
    case 'merge.conflict': return `conflicts in ${(m.data.files ?? []).join(', ')}`;
    case 'merge.gates_failed': return 'undone: the integration gates failed';
    case 'merge.empty': return 'nothing to merge';
    default: return m.type;
  }
}

function taskLinks(list, go) {
  return list.length === 0 ? 'nothing' : list.map((t, i) => [i ? ', ' : '', link(t.id, { view: 'task', id: t.id }, go), ` (${t.status})`]);
}

export function taskPage(d, { go, actions, now }) {
  const t = d.task;
  return [
    el('h2', {}, el('code', {}, t.id), ' ', t.title, ' ', el('span', { class: `chip ${STATUS_CLASS[t.status] ?? ''}` }, t.status)),
    el('p', {}, actions),
    facts([
      ['priority', String(t.priority)], ['role', t.role], ['held by', t.claimed_by ? link(t.claimed_by_name ?? t.claimed_by, { view: 'agent', id: t.claimed_by }, go) : null],
      ['run', t.run_id ? link(t.run_id, { view: 'run', id: t.run_id }, go) : null], ['retries', `${t.retry_count} of ${t.max_retries}`],
      ['reason', t.reason], ['result', t.result], ['created', t.created_at ? new Date(Number(t.created_at)).toLocaleString() : null],
    ]),
    t.description ? el('pre', {}, t.description) : '',
    el('h3', {}, 'Dependencies'),
    el('p', {}, 'depends on: ', taskLinks(d.depends_on, go)),
    el('p', {}, 'needed by: ', taskLinks(d.dependents, go)),
    el('h3', {}, `Attempts (${d.attempts.length})`),
    attemptRows(d.attempts, go, now),
    d.checks.length ? el('table', { class: 'checks' }, el('tbody', {}, d.checks.map((c) => el('tr', {},
      el('td', {}, `attempt ${c.data.attempt}`), el('td', {}, c.data.outcome), el('td', {}, gateChips(c.data.gates)),
      el('td', { class: 'why' }, c.data.problem ?? 'accepted'))))) : '',
    d.merges.length ? [el('h3', {}, 'Merge queue'), el('ul', {}, d.merges.map((m) => el('li', {}, `${clock(m.at)} ${mergeWords(m)} `, gateChips(m.data.gates))))] : '',
    el('h3', {}, `Events (${d.events.length})`),
    eventTable(d.events.slice().reverse()),
  ];
}

export function agentPage(d, { go, actions, now }) {
  const a = d.agent;
  const lease = Number(a.lease_expires_at) - now;
  return [
    el('h2', {}, a.name, ' ', el('code', {}, a.id)),
    el('p', {}, actions),
    facts([
      ['cli', a.kind], ['role', a.role], ['status', `${a.status}${a.offline_reason ? ` (${a.offline_reason})` : ''}`],
      ['lease', lease >= 0 ? `${Math.round(lease / 1000)} s left of ${Math.round(Number(a.lease_ttl_ms) / 1000)} s` : `ran out ${seconds(-lease)} ago`],
      ['current task', a.current_task ? link(a.current_task, { view: 'task', id: a.current_task }, go) : null], ['work dir', a.work_dir],
      ...Object.entries(a.metadata ?? {}).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]) => [k, String(v)]),
    ]),
    el('h3', {}, `Tasks (${d.tasks.length})`),
    el('p', {}, taskLinks(d.tasks, go)),
    el('h3', {}, `Processes (${d.processes.length})`),
    attemptRows(d.processes, go, now),
    el('h3', {}, `Messages (${d.messages.length})`),
    messageList(d.messages),
    el('h3', {}, 'Events'),
    eventTable(d.events.slice().reverse()),
  ];
}

function messageList(messages) {
  if (messages.length === 0) return el('p', { class: 'more' }, 'no message');
  return el('ul', { class: 'messages' }, messages.slice().reverse().map((m) => el('li', {}, el('span', { class: 'muted' }, `${clock(m.at)} ${m.from ?? 'a person'} → ${m.to ?? m.kind}: `), m.content)));
}

function eventTable(events) {
  return el('table', {}, el('tbody', {}, events.map((e) => el('tr', {}, el('td', {}, clock(e.at)), el('td', {}, e.type), el('td', {}, el('code', {}, e.subject ?? '')), el('td', {}, e.actor ?? ''), el('td', { class: 'why' }, summary(e.data))))));
}

function summary(data) {
  if (!data || typeof data !== 'object') return '';
  return Object.entries(data).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]) => `${k}=${v}`).join(' ').slice(0, 300);
}

/** The task graph: dagre lays it out; colours say the state; the critical path is drawn thick. */
export function graphPage(g, { go }) {
  const head = el('p', {}, g.run_id ? ['tasks of ', link(g.run_id, { view: 'run', id: g.run_id }, go)] : 'the newest tasks', ` · ${g.nodes.length} tasks, ${g.edges.length} dependencies`,
    g.critical_path.length ? ` · critical path ${g.critical_path.length} tasks, ${seconds(g.critical_ms)}` : '', g.truncated ? ' · the first ones only' : '');
  if (g.nodes.length === 0) return [head, el('p', { class: 'more' }, 'no task')];
  if (!window.dagre) return [head, el('p', {}, 'the graph library did not load')];
  const graph = new window.dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 40, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) graph.setNode(n.id, { width: 170, height: 38 });
  for (const [from, to] of g.edges) graph.setEdge(from, to);
  window.dagre.layout(graph);
  const { width, height } = graph.graph();
  const critical = new Set(g.critical_path);
  const edges = g.edges.map(([from, to]) => {
    const points = graph.edge(from, to).points;
    const onPath = critical.has(from) && critical.has(to) && g.critical_path.indexOf(to) === g.critical_path.indexOf(from) + 1;
    return svg('polyline', { points: points.map((p) => `${p.x},${p.y}`).join(' '), class: onPath ? 'edge critical' : 'edge', 'marker-end': 'url(#arrow)' });
  });
  const nodes = g.nodes.map((n) => {
    const box = graph.node(n.id);
    const group = svg('g', { class: `node ${STATUS_CLASS[n.status] ?? ''}${n.critical ? ' critical' : ''}`, transform: `translate(${box.x - box.width / 2},${box.y - box.height / 2})`, 'data-id': n.id },
      svg('title', {}, `${n.id}: ${n.title} (${n.status}, ${seconds(n.ms)})`),
      svg('rect', { width: box.width, height: box.height, rx: 5 }),
      svg('text', { x: 6, y: 15 }, n.title.length > 24 ? `${n.title.slice(0, 23)}…` : n.title),
      svg('text', { x: 6, y: 30, class: 'small' }, `${n.status} · ${seconds(n.ms)}`));
    group.addEventListener('click', () => go({ view: 'task', id: n.id }));
    return group;
  });
  const arrow = svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, svg('path', { d: 'M0,0 L10,5 L0,10 z' })));
  return [head, el('div', { class: 'scroll' }, svg('svg', { class: 'graph', width, height, viewBox: `0 0 ${width} ${height}` }, arrow, edges, nodes))];
}

/** The tasks as a board of columns by state (the newest 200 per column). */
export function kanbanPage(rows, { go }) {
  const columns = [['pending', 'Queued'], ['claimed', 'Claimed'], ['in_progress', 'In progress'], ['blocked', 'Blocked'], ['failed', 'Failed'], ['completed', 'Done'], ['cancelled', 'Cancelled']];
  return el('div', { class: 'kanban' }, columns.map(([status, title]) => {
    const cards = rows.filter((r) => r.extra.status === status);
    return el('section', { class: 'column', 'data-status': status }, el('h3', {}, `${title} (${cards.length})`), cards.slice(0, 200).map((r) =>
      el('div', { class: `card ${r.attention}` }, link(r.title, { view: 'task', id: r.id }, go), el('div', { class: 'muted' }, `P${r.extra.priority}${r.detail ? ` · ${r.detail}` : ''} · ${r.why}`))));
  }));
}

/** A run: its facts, and a timeline of its agent processes per task, with gates, merges and pauses on it. */
export function runPage(t, { go, actions, now }) {
  if (!t.run) return [el('p', { class: 'more' }, 'no run on this board yet')];
  const run = t.run;
  const processes = t.lanes.flatMap((l) => l.processes);
  const start = Math.min(Number(run.created_at), ...processes.map((p) => p.started_at ?? now));
  const end = Math.max(Number(run.ended_at ?? now), ...processes.map((p) => p.ended_at ?? now), start + 1000);
  const laneHeight = 22;
  const left = 200;
  const width = 900;
  const x = (ms) => left + ((ms - start) / (end - start)) * (width - left - 10);
  const laneOf = new Map(t.lanes.map((l, i) => [l.id, i]));
  const height = t.lanes.length * laneHeight + 30;
  const items = [];
  t.lanes.forEach((lane, i) => {
    const y = i * laneHeight + 4;
    const label = svg('text', { x: 4, y: y + 14, class: 'lane' }, lane.title.length > 28 ? `${lane.title.slice(0, 27)}…` : lane.title);
    if (lane.id !== run.id) label.addEventListener('click', () => go({ view: 'task', id: lane.id }));
    items.push(label);
    for (const p of lane.processes) {
      if (p.started_at === null) continue;
      const bar = svg('rect', { x: x(p.started_at), y: y + 3, width: Math.max(2, x(p.ended_at ?? now) - x(p.started_at)), height: laneHeight - 8, rx: 3, class: `bar ${p.state !== 'exited' ? 'working' : p.outcome === 'ok' ? 'done' : 'failed'}` },
        svg('title', {}, `${p.process_id} ${p.cli} ${p.outcome ?? p.state} · ${seconds((p.ended_at ?? now) - p.started_at)} ${money(p.cost_usd)}`));
      bar.addEventListener('click', () => go({ view: 'log', id: p.process_id }));
      items.push(bar);
    }
  });
  for (const m of t.marks) {
    if (m.type === 'run.updated') {
      if (m.data.status === 'paused') items.push(svg('line', { x1: x(m.at), x2: x(m.at), y1: 0, y2: height - 26, class: 'pause' }, svg('title', {}, `paused ${clock(m.at)}`)));
      continue;
    }
    const lane = laneOf.get(m.subject);
    if (lane === undefined) continue;
    const y = lane * laneHeight + 4 + laneHeight / 2;
    const passed = m.type === 'merge.done' || (m.type === 'task.attempt' && !m.data.problem);
    // Gates above the lane's middle, merges below it: the two come moments apart.
    const shape = m.type.startsWith('merge.') ? svg('rect', { x: x(m.at) - 4, y: y - 1, width: 8, height: 8, class: `mark ${passed ? 'ok' : m.type === 'merge.queued' ? 'wait' : 'bad'}` }) : svg('circle', { cx: x(m.at), cy: y - 4, r: 4, class: `mark ${passed ? 'ok' : 'bad'}` });
    shape.append(svg('title', {}, `${clock(m.at)} ${m.type === 'task.attempt' ? `gates of attempt ${m.data.attempt}: ${(m.data.gates ?? []).map((g) => `${g.passed ? '✓' : '✗'} ${g.command}`).join(', ') || 'none'}${m.data.problem ? ` — ${m.data.problem}` : ''}` : mergeWords(m)}`));
    items.push(shape);
  }
  items.push(svg('text', { x: left, y: height - 8, class: 'small' }, clock(start)), svg('text', { x: width - 10, y: height - 8, class: 'small', 'text-anchor': 'end' }, clock(end)));
  return [
    el('h2', {}, `${run.kind}: ${run.title} `, el('span', { class: 'chip' }, run.status)),
    el('p', {}, actions),
    facts([['id', run.id], ['phase', run.phase], ['cycle', String(run.cycle)], ['branch', run.branch], ['cost', `${money(run.cost_usd)}${run.options?.budget_usd ? ` of $${run.options.budget_usd}` : ''}`]]),
    el('p', {}, link('task graph', { view: 'graph', run: run.id }, go), ' · ', link('merge queue', { view: 'merges', run: run.id }, go)),
    el('h3', {}, 'Timeline'),
    el('p', { class: 'muted' }, 'bars: agent processes (click: its log) · circles: an attempt\'s gates · squares: merges · dashed: a pause'),
    el('div', { class: 'scroll' }, svg('svg', { class: 'timeline', width, height, viewBox: `0 0 ${width} ${height}` }, items)),
  ];
}

export function mergesPage(q, { go, now }) {
  if (!q.run_id) return [el('p', { class: 'more' }, 'no run on this board yet: the merge queue belongs to a run')];
  return [
    el('p', {}, 'merge queue of ', link(q.run_id, { view: 'run', id: q.run_id }, go)),
    el('h3', {}, `Waiting (${q.waiting.length})`),
    q.waiting.length === 0 ? el('p', { class: 'more' }, 'nothing waits') : el('ol', {}, q.waiting.map((m, i) => el('li', {}, link(m.subject, { view: 'task', id: m.subject }, go), ` ${i === 0 ? 'merging' : 'waits'} · ${seconds(now - m.at)}`))),
    el('h3', {}, `Merged and refused (${q.done.length})`),
    el('table', {}, el('tbody', {}, q.done.map((m) => el('tr', {}, el('td', {}, clock(m.at)), el('td', {}, link(m.subject, { view: 'task', id: m.subject }, go)),
      el('td', {}, el('span', { class: `chip ${m.type === 'merge.done' || m.type === 'merge.empty' ? 'done' : 'failed'}` }, m.type.slice(6))), el('td', {}, mergeWords(m)), el('td', {}, gateChips(m.data.gates)))))),
  ];
}

function accountState(a) {
  if (a.state === 'limited') return a.limited_until ? `limited until ${new Date(a.limited_until).toLocaleTimeString()}` : 'limited';
  return a.state === 'ok' ? `ok · ${Math.round((1 - a.fullest) * 100)}% headroom` : 'unknown';
}

function budgetBar(spent, budget) {
  const share = budget ? spent / budget : 0;
  return el('span', { class: 'budget', title: `${Math.round(share * 100)}% of the budget` }, el('span', { class: share >= 1 ? 'over' : share >= 0.8 ? 'near' : '' }));
}

/** Spending over time (uPlot: dollars and tokens), pauses marked, per CLI, runs against their budgets. */
export function costsPage(c, { go }) {
  const last = c.points.at(-1);
  const chart = el('div', { class: 'chart' });
  const byCli = Object.entries(c.by_cli);
  const parts = [
    el('p', {}, `spent ${money(last?.total_usd ?? 0)} · ${(last?.total_tokens ?? 0).toLocaleString()} tokens over ${c.points.length} processes${c.truncated ? ' (the newest)' : ''} · dollars are the CLIs' list-price estimates`),
    chart,
    el('h3', {}, 'By CLI'),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'cli'), el('th', {}, 'dollars'), el('th', {}, 'tokens'), el('th', {}, 'processes'))),
      el('tbody', {}, byCli.map(([cli, v]) => el('tr', {}, el('td', {}, cli), el('td', {}, money(v.cost_usd)), el('td', {}, v.tokens.toLocaleString()), el('td', {}, String(v.processes)))))),
    el('h3', {}, 'Runs'),
    el('table', {}, el('tbody', {}, c.runs.map((r) => {
      const bar = r.budget_usd ? budgetBar(r.cost_usd, r.budget_usd) : '';
      const row = el('tr', {}, el('td', {}, link(r.id, { view: 'run', id: r.id }, go)), el('td', {}, r.status), el('td', {}, `${money(r.cost_usd)}${r.budget_usd ? ` of $${r.budget_usd}` : ''}`), el('td', {}, bar), el('td', {}, r.title));
      if (bar) bar.firstChild.style.width = `${Math.min(100, (r.cost_usd / r.budget_usd) * 100)}%`;
      return row;
    }))),
    c.accounts.length ? [el('h3', {}, 'Usage windows'), el('table', { class: 'accounts' }, el('thead', {}, el('tr', {}, el('th', {}, 'cli'), el('th', {}, 'account'), el('th', {}, 'state'), el('th', {}, 'windows'))),
      el('tbody', {}, c.accounts.map((a) => el('tr', {}, el('td', {}, a.cli), el('td', {}, a.account), el('td', {}, el('span', { class: `chip ${a.state === 'limited' ? 'failed' : a.state === 'ok' ? 'done' : ''}` }, accountState(a))),
        el('td', {}, a.windows.map((w) => `${w.name} ${w.used === null ? '?' : `${Math.round(w.used * 100)}%`}${w.resets_at ? ` (resets ${new Date(w.resets_at).toLocaleTimeString()})` : ''}`).join(' · ')))))) ] : '',
    c.pauses.length ? [el('h3', {}, 'Paused by a limit'), el('ul', {}, c.pauses.map((p) => el('li', {}, `${p.cli}: ${new Date(p.from).toLocaleString()} until ${p.to ? new Date(p.to).toLocaleString() : 'unknown'}`)))] : '',
  ];
  requestAnimationFrame(() => drawSpending(chart, c));
  return parts;
}

function drawSpending(target, c) {
  if (!window.uPlot || c.points.length === 0) {
    target.textContent = c.points.length === 0 ? 'nothing spent yet' : 'the chart library did not load';
    return;
  }
  // From zero, a moment before the first spend: one point alone still has an axis that makes sense.
  const points = [{ at: c.points[0].at - 60_000, total_usd: 0, total_tokens: 0 }, ...c.points];
  const xs = points.map((p) => p.at / 1000);
  const pauses = c.pauses;
  const shade = (u) => {
    const { ctx } = u;
    ctx.save();
    ctx.fillStyle = 'rgba(250, 176, 5, 0.18)';
    for (const p of pauses) {
      const from = u.valToPos(p.from / 1000, 'x', true);
      const to = u.valToPos((p.to ?? Date.now()) / 1000, 'x', true);
      ctx.fillRect(from, u.bbox.top, Math.max(2, to - from), u.bbox.height);
    }
    ctx.restore();
  };
  const width = Math.max(300, Math.min(target.clientWidth || 800, 1100));
  new window.uPlot({
    width,
    height: 240,
    series: [{}, { label: 'dollars', stroke: '#1c7ed6', scale: 'usd', value: (u, v) => (v === null ? '' : `$${v.toFixed(4)}`) }, { label: 'tokens', stroke: '#37b24d', scale: 'tokens' }],
    axes: [{}, { scale: 'usd', values: (u, vals) => vals.map((v) => `$${v}`) }, { scale: 'tokens', side: 1, grid: { show: false } }],
    hooks: { drawClear: [shade] },
  }, [xs, points.map((p) => p.total_usd), points.map((p) => p.total_tokens)], target);
}

export function messagesPage(m) {
  return [
    el('h3', {}, `Messages (${m.messages.length})`),
    messageList(m.messages),
    el('h3', {}, `Shared context (${m.context.length})`),
    m.context.length === 0 ? el('p', { class: 'more' }, 'no shared context') : el('table', {}, el('tbody', {}, m.context.map((c) => el('tr', {}, el('td', {}, el('code', {}, c.key)), el('td', {}, `v${c.version}`), el('td', {}, c.updated_by ?? ''), el('td', {}, clock(c.updated_at)), el('td', {}, el('pre', {}, c.value)))))),
  ];
}
