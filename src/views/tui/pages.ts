import type { AgentDetail, Attempt, Costs, EventFact, MergeQueue, TaskDetail, Timeline } from '../details.js';

/**
 * The TUI's pages behind a row, as lines of text: a task (its dependencies both ways, each
 * attempt with its outcome, cost and gates, its way through the merge queue, its events), an
 * agent (lease, tasks, messages, processes), the merge queue and spending. The web page draws the
 * same facts (details.ts) its own way.
 */

export function taskLines(d: TaskDetail, now: number): string[] {
  const t = d.task;
  const lines = [
    `priority ${String(t.priority)} · role ${String(t.role ?? '-')} · retries ${String(t.retry_count)} of ${String(t.max_retries)}${t.run_id ? ` · run ${String(t.run_id)}` : ''}`,
    ...(t.claimed_by ? [`held by ${String(t.claimed_by_name ?? t.claimed_by)}`] : []),
    ...(t.reason ? [`reason: ${firstLine(t.reason)}`] : []),
    ...(t.result ? [`result: ${firstLine(t.result)}`] : []),
    ...(t.description ? ['', ...String(t.description).split('\n').slice(0, 6).map((l) => `  ${l}`)] : []),
    '',
    `depends on: ${d.depends_on.map((x) => `${x.id} (${x.status})`).join(', ') || 'nothing'}`,
    `needed by: ${d.dependents.map((x) => `${x.id} (${x.status})`).join(', ') || 'nothing'}`,
    '',
    `── attempts (${d.attempts.length})`,
    ...d.attempts.map((a, i) => `  ${i + 1}. ${attemptLine(a, now)}`),
  ];
  for (const check of d.checks) {
    const gates = (check.data.gates as { command: string; passed: boolean; seconds: number }[] | undefined) ?? [];
    lines.push(`  attempt ${String(check.data.attempt)}: ${String(check.data.outcome)}${gates.length ? ` · gates ${gates.map((g) => `${g.passed ? '✓' : '✗'} ${g.command}`).join(', ')}` : ''}${check.data.problem ? ` — ${String(check.data.problem)}` : ' — accepted'}`);
  }
  if (d.merges.length > 0) lines.push('', '── merge queue', ...d.merges.map((m) => `  ${clock(m.at)} ${mergeWords(m)}`));
  lines.push('', `── events (${d.events.length})`, ...d.events.slice(-12).map((e) => `  ${clock(e.at)} ${e.type}${e.actor ? ` by ${e.actor}` : ''}`));
  return lines;
}

export function agentLines(d: AgentDetail, now: number): string[] {
  const a = d.agent;
  const lease = Number(a.lease_expires_at) - now;
  const meta = (a.metadata ?? {}) as Record<string, unknown>;
  return [
    `${String(a.kind)} · role ${String(a.role)} · ${String(a.status)}${a.offline_reason ? ` (${String(a.offline_reason)})` : ''} · lease ${lease >= 0 ? `${Math.round(lease / 1000)} s left` : `ran out ${Math.round(-lease / 1000)} s ago`}`,
    ...(a.work_dir ? [`work dir: ${String(a.work_dir)}`] : []),
    ...Object.entries(meta).filter(([, v]) => v !== null && typeof v !== 'object').slice(0, 6).map(([k, v]) => `${k}: ${String(v)}`),
    '',
    `── tasks (${d.tasks.length})`,
    ...d.tasks.slice(0, 10).map((t) => `  ${t.id} ${t.status} — ${t.title}`),
    '',
    `── processes (${d.processes.length})`,
    ...d.processes.slice(0, 6).map((p) => `  ${attemptLine(p, now)}`),
    '',
    `── messages (${d.messages.length})`,
    ...d.messages.slice(-10).map((m) => `  ${clock(m.at)} ${m.from ?? 'a person'} → ${m.to ?? m.kind}: ${firstLine(m.content)}`),
  ];
}

/** A run: its phase and cost, then each task's lane — its processes and the engine's verdict on each attempt. */
export function runLines(t: Timeline, now: number): string[] {
  if (!t.run) return ['this run is gone from the board'];
  const run = t.run;
  const budget = (run.options as { budget_usd?: number } | null)?.budget_usd;
  const lines = [
    `${String(run.status)} · cycle ${String(run.cycle)} · branch ${String(run.branch)} · $${Number(run.cost_usd).toFixed(4)}${budget ? ` ${budgetBar(Number(run.cost_usd) / budget)} of $${budget}` : ''}`,
    `phase: ${String(run.phase)}`,
    '',
  ];
  const verdicts = new Map<string, EventFact[]>();
  for (const mark of t.marks) if (mark.subject) verdicts.set(mark.subject, [...(verdicts.get(mark.subject) ?? []), mark]);
  for (const lane of t.lanes) {
    const marks = verdicts.get(lane.id) ?? [];
    const merged = marks.find((m) => m.type === 'merge.done');
    lines.push(`── ${lane.title}${lane.id === run.id ? '' : ` (${lane.id})`}${merged ? ` · merged ${String(merged.data.sha).slice(0, 10)}` : ''}`);
    for (const p of lane.processes) lines.push(`  ${attemptLine(p, now)}`);
    for (const m of marks.filter((x) => x.type === 'task.attempt')) lines.push(`  attempt ${String(m.data.attempt)}: ${m.data.problem ? String(m.data.problem) : 'accepted'}`);
  }
  return lines;
}

export function mergeLines(q: MergeQueue, now: number): string[] {
  if (q.run_id === null) return ['no run on this board yet: the merge queue belongs to a run'];
  return [
    `merge queue of ${q.run_id}`,
    '',
    `── waiting (${q.waiting.length})`,
    ...(q.waiting.length === 0 ? ['  nothing waits'] : q.waiting.map((m, i) => `  ${i === 0 ? 'merging' : `#${i + 1}`.padEnd(7)} ${m.subject} · waits ${Math.round((now - m.at) / 1000)} s`)),
    '',
    `── merged and refused (${q.done.length})`,
    ...q.done.slice(0, 40).map((m) => `  ${clock(m.at)} ${m.subject} ${mergeWords(m)}`),
  ];
}

export function costLines(c: Costs): string[] {
  const last = c.points.at(-1);
  const lines = [`spent $${(last?.total_usd ?? 0).toFixed(4)} · ${(last?.total_tokens ?? 0).toLocaleString('en')} tokens over ${c.points.length} processes${c.truncated ? ' (the newest)' : ''}`, '', '── by CLI'];
  for (const [cli, v] of Object.entries(c.by_cli)) lines.push(`  ${cli.padEnd(8)} $${v.cost_usd.toFixed(4).padStart(10)} · ${v.tokens.toLocaleString('en').padStart(12)} tokens · ${v.processes} processes`);
  lines.push('', '── runs (budget)');
  for (const run of c.runs.slice(0, 12)) {
    const bar = run.budget_usd ? ` ${budgetBar(run.cost_usd / run.budget_usd)} of $${run.budget_usd}` : '';
    lines.push(`  ${run.id} ${run.status.padEnd(10)} $${run.cost_usd.toFixed(4)}${bar} — ${run.title.slice(0, 40)}`);
  }
  if (c.accounts.length > 0) {
    lines.push('', '── usage windows (routing picks the most headroom)');
    for (const a of c.accounts) {
      const state = a.state === 'limited' ? `limited${a.limited_until === null ? '' : ` until ${new Date(a.limited_until).toISOString().slice(0, 16)}`}` : a.state === 'ok' ? `ok, ${Math.round((1 - a.fullest!) * 100)}% headroom` : 'unknown';
      const windows = a.windows.map((w) => `${w.name} ${w.used === null ? '?' : `${Math.round(w.used * 100)}%`}`).join(' · ');
      lines.push(`  ${a.cli.padEnd(7)} ${a.account.slice(0, 28).padEnd(28)} ${state}${windows ? ` — ${windows}` : ''}`);
    }
  }
  if (c.pauses.length > 0) {
    lines.push('', '── paused by a limit');
    for (const p of c.pauses.slice(-8)) lines.push(`  ${p.cli} ${new Date(p.from).toISOString().slice(0, 16)} until ${p.to === null ? 'unknown' : new Date(p.to).toISOString().slice(0, 16)}`);
  }
  return lines;
}

/** `[#####-----] 50%`: a budget's share spent, full at 100 %. */
export function budgetBar(share: number, width = 10): string {
  const filled = Math.max(0, Math.min(width, Math.round(share * width)));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(share * 100)}%`;
}

function attemptLine(a: Attempt, now: number): string {
  const took = a.started_at === null ? 'queued' : `${Math.round(((a.ended_at ?? now) - a.started_at) / 1000)} s`;
  return `${a.process_id} ${a.cli} ${a.state === 'exited' ? (a.outcome ?? 'ended') : a.state} · ${took}${a.cost_usd !== null ? ` · $${a.cost_usd.toFixed(4)}` : ''}${a.tokens !== null ? ` · ${a.tokens} tokens` : ''} · ${a.host}${a.message && a.outcome !== 'ok' ? ` — ${a.message}` : ''}`;
}

function mergeWords(m: EventFact): string {
  const gates = (m.data.gates as { command: string; passed: boolean }[] | undefined) ?? [];
  const checked = gates.length ? ` · gates ${gates.map((g) => `${g.passed ? '✓' : '✗'} ${g.command}`).join(', ')}` : '';
  switch (m.type) {
    case 'merge.queued': return 'queued';
    case 'merge.done': return `merged ${String(m.data.sha ?? '').slice(0, 10)}${m.data.diff_stat ? ` (${String(m.data.diff_stat)})` : ''}${checked}`;
    case 'merge.conflict': return `conflicts in ${((m.data.files as string[] | undefined) ?? []).join(', ')}`;
    case 'merge.gates_failed': return `undone: integration gates failed${checked}`;
    case 'merge.empty': return 'nothing to merge';
    default: return m.type;
  }
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

function firstLine(value: unknown): string {
  return String(value).split('\n')[0]!.slice(0, 200);
}
