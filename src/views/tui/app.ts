import { watch } from 'node:fs';
import React, { useEffect, useState } from 'react';
import { Box, Text, render, useApp, useInput } from 'ink';
import { ACTIONS, type ActionLogEntry, type ActionRunner, commandLine } from '../web/actions.js';
import { countByAttention, type Attention, type BoardEventLite, type Live, type ViewRow } from '../model.js';
import { tailLog, type LogFilter } from '../../runner/process-view.js';

/**
 * `orchestrate tui`: the live view in the terminal (ink). Full screen in the alternate buffer,
 * sized to the terminal exactly (every line padded to the width, the list cut to the height, so
 * a shorter frame leaves no stale characters). It reads the board through the shared view model
 * (Live: one event cursor, woken by the change signal) and acts through the same commands as the
 * web view, each shown in the action log (`@`).
 */
export interface TuiOptions {
  live: Live;
  run: ActionRunner;
  person: string;
  board: string;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  color: boolean;
}

const h = React.createElement;
const VIEWS: [string, (row: ViewRow) => boolean][] = [
  ['Overview', (r) => r.attention !== 'done'],
  ['Agents', (r) => r.kind === 'agent'],
  ['Tasks', (r) => r.kind === 'task'],
  ['Processes', (r) => r.kind === 'process'],
  ['Runs', (r) => r.kind === 'run'],
  ['Approvals', (r) => r.kind === 'approval'],
  ['Events', () => false],
];
const LABEL: Record<Attention, string> = { needs_you: 'NEEDS YOU', setup_error: 'SETUP ERR', dead: 'DEAD', stalled: 'STALLED', gate_failed: 'GATE FAIL', paused: 'PAUSED', failed: 'FAILED', working: 'working', queued: 'queued', idle: 'idle', done: 'done' };
const COLOR: Partial<Record<Attention, string>> = { needs_you: 'yellow', setup_error: 'red', dead: 'red', failed: 'red', gate_failed: 'red', stalled: 'magenta', paused: 'cyan', working: 'green' };
const HEADER_ORDER: Attention[] = ['needs_you', 'stalled', 'dead', 'setup_error', 'gate_failed', 'paused', 'working', 'queued'];
const HELP = [
  'keys',
  '  1-7          views: overview, agents, tasks, processes, runs, approvals, events',
  '  j/k ↓/↑      move · g/G first/last · Enter details · Esc back',
  '  /            filter (text; class:stalled) · Esc clears it',
  '  a / d        allow / deny the selected approval',
  '  r            requeue the selected task (failed or blocked)',
  '  c            cancel the selected task (asks y/n)',
  '  s            stop the selected process or run (asks y/n)',
  '  @            the action log: every action as the command that did it',
  '  ?            this help · q quits',
];

export async function runTui(options: TuiOptions): Promise<void> {
  const stop = new AbortController();
  options.stdout.write('\x1b[?1049h\x1b[H'); // the alternate screen: the terminal comes back as it was
  const instance = render(h(App, { ...options, stop }), { stdin: options.stdin, stdout: options.stdout, exitOnCtrlC: true, patchConsole: false });
  try {
    await instance.waitUntilExit();
  } finally {
    stop.abort();
    instance.cleanup();
    options.stdout.write('\x1b[?1049l');
  }
}

function App(props: TuiOptions & { stop: AbortController }) {
  const { live, stdout } = props;
  const { exit } = useApp();
  const [rows, setRows] = useState<ViewRow[]>(() => live.all());
  const [events, setEvents] = useState<BoardEventLite[]>([]);
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [view, setView] = useState(0);
  const [selected, setSelected] = useState(0);
  const [filter, setFilter] = useState('');
  const [typing, setTyping] = useState(false);
  const [detail, setDetail] = useState<string | null>(null);
  const [overlay, setOverlay] = useState<'help' | 'actions' | null>(null);
  const [confirm, setConfirm] = useState<{ action: string; row: ViewRow } | null>(null);
  const [message, setMessage] = useState('');
  const [log, setLog] = useState<ActionLogEntry[]>([]);
  const [logOnly, setLogOnly] = useState<LogFilter>('all');
  const [follow, setFollow] = useState(true);
  const [logLines, setLogLines] = useState<string[]>([]);

  useEffect(() => {
    void live.recentEvents(200, live.eventId).then((recent) => setEvents((now) => [...recent, ...now].slice(-500)));
    void live.follow((update) => {
      setRows(live.all());
      if (update.events.length > 0) setEvents((before) => [...before, ...update.events].slice(-500));
    }, props.stop.signal);
    const resized = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', resized);
    return () => {
      stdout.off('resize', resized);
    };
  }, []);

  // A process's log in its details: the tail, re-read when the file grows while following.
  const logPath = detail?.startsWith('process:') ? (rows.find((r) => r.key === detail)?.extra.log as string | null | undefined) : null;
  useEffect(() => {
    if (!logPath) return setLogLines([]);
    const read = () => {
      try {
        setLogLines(tailLog(logPath, { count: 500, only: logOnly, search: filter || undefined }).lines);
      } catch {
        setLogLines([`the log is not readable here: ${logPath}`]);
      }
    };
    read();
    if (!follow) return;
    try {
      const watcher = watch(logPath, { persistent: false }, read);
      watcher.on('error', () => undefined);
      return () => watcher.close();
    } catch {
      return;
    }
  }, [logPath, logOnly, follow, filter]);

  const shown = rows.filter(VIEWS[view]![1]).filter((row) => matches(row, filter));
  const cursor = Math.min(selected, Math.max(0, shown.length - 1));
  const current = shown[cursor];

  const act = async (name: string, row: ViewRow, text = '') => {
    const action = ACTIONS[name]!;
    const argv = action.argv(row.id, text);
    setMessage(`running: ${commandLine(argv)}`);
    const result = await props.run(argv, props.person);
    const entry: ActionLogEntry = { ok: result.code === 0, at: Date.now(), person: props.person, action: name, command: commandLine(argv), output: (result.code === 0 ? result.stdout : result.stderr).trim().split('\n')[0] ?? '' };
    setLog((before) => [...before, entry]);
    setMessage(`${entry.ok ? '✓' : '✗'} ${entry.command}${entry.ok ? '' : ` — ${entry.output}`}`);
  };

  const press = (input: string, key: { escape?: boolean; return?: boolean; upArrow?: boolean; downArrow?: boolean; backspace?: boolean; delete?: boolean }) => {
    if (typing) {
      if (key.escape) {
        setTyping(false);
        setFilter('');
      } else if (key.return) setTyping(false);
      else if (key.backspace || key.delete) setFilter((f) => f.slice(0, -1));
      else setFilter((f) => f + input);
      return;
    }
    if (confirm) {
      if (input === 'y') void act(confirm.action, confirm.row);
      else setMessage('not done');
      setConfirm(null);
      return;
    }
    if (key.escape) {
      if (overlay) setOverlay(null);
      else if (detail) setDetail(null);
      else setFilter('');
      return;
    }
    if (key.downArrow) return setSelected(Math.min(cursor + 1, shown.length - 1));
    if (key.upArrow) return setSelected(Math.max(cursor - 1, 0));
    if (key.return) return current && setDetail(current.key);
    // Several keys may arrive in one chunk: each is a key.
    for (const char of input) {
      if (char === 'q') return exit();
      if (char >= '1' && char <= String(VIEWS.length)) {
        setView(Number(char) - 1);
        setSelected(0);
        setDetail(null);
        setOverlay(null);
      } else if (char === 'j') setSelected((s) => Math.min(Math.min(s, shown.length - 1) + 1, shown.length - 1));
      else if (char === 'k') setSelected((s) => Math.max(Math.min(s, shown.length - 1) - 1, 0));
      else if (char === 'g') setSelected(0);
      else if (char === 'G') setSelected(shown.length - 1);
      else if (char === '/') {
        setTyping(true);
        setFilter('');
      } else if (char === '?') setOverlay(overlay === 'help' ? null : 'help');
      else if (char === '@') setOverlay(overlay === 'actions' ? null : 'actions');
      else if (detail && logPath && char === 'e') setLogOnly(logOnly === 'errors' ? 'all' : 'errors');
      else if (detail && logPath && char === 't') setLogOnly(logOnly === 'tools' ? 'all' : 'tools');
      else if (detail && logPath && char === 'f') setFollow(!follow);
      else if (current) {
        const pending = current.kind === 'approval' && current.extra.state === 'pending';
        if (char === 'a' && pending) void act('approval.allow', current);
        else if (char === 'd' && pending) void act('approval.deny', current);
        else if (char === 'r' && current.kind === 'task') void act('task.retry', current);
        else if (char === 'c' && current.kind === 'task') askFirst('task.cancel', current);
        else if (char === 's' && current.kind === 'process') askFirst('process.stop', current);
        else if (char === 's' && current.kind === 'run') askFirst('run.stop', current);
      }
    }
  };
  const askFirst = (action: string, row: ViewRow) => {
    setConfirm({ action, row });
    setMessage(`${ACTIONS[action]!.label} ${row.id} (${row.title})? y/n`);
  };
  useInput(press);

  const width = Math.max(20, size.columns - 1); // the last column stays empty: no terminal wraps the line
  const line = (text: string) => fit(text, width);
  const color = (attention: Attention) => (props.color ? COLOR[attention] : undefined);
  const counts = countByAttention(rows);
  const spend = rows.reduce((sum, row) => sum + (row.kind === 'process' ? (row.cost_usd ?? 0) : 0), 0);
  const header = `orchestrate · ${props.board} · ${HEADER_ORDER.filter((a) => counts[a]).map((a) => `${LABEL[a].toLowerCase()} ${counts[a]}`).join(' · ') || 'nothing to do'} · $${spend.toFixed(4)}`;
  const tabs = VIEWS.map(([name], i) => (i === view ? `[${i + 1} ${name}]` : ` ${i + 1} ${name} `)).join(' ');
  const bodyHeight = Math.max(1, size.rows - 5);

  let body: React.ReactElement[];
  if (overlay === 'help') body = HELP.map((text, i) => h(Text, { key: i }, line(text)));
  else if (overlay === 'actions') {
    body = [h(Text, { key: 'title', bold: true }, line('action log (the commands the actions ran)')), ...(log.length === 0 ? [h(Text, { key: 'none' }, line('  nothing yet'))] : log.slice(-(bodyHeight - 1)).map((entry, i) => h(Text, { key: i }, line(`  ${new Date(entry.at).toISOString().slice(11, 19)} ${entry.ok ? 'ok ' : 'ERR'} ${entry.person}: ${entry.command}`))))];
  } else if (detail) {
    const row = rows.find((r) => r.key === detail);
    const facts = row ? details(row) : ['this row is gone from the board'];
    const tail = logPath ? [`── log${logOnly === 'all' ? '' : ` (${logOnly} only)`}${filter ? ` matching '${filter}'` : ''}${follow ? ', following' : ''} · e errors · t tools · f follow · / search`, ...logLines.slice(-Math.max(1, bodyHeight - Math.min(facts.length, bodyHeight - 6) - 1))] : [];
    body = [...facts.slice(0, bodyHeight - tail.length), ...tail].map((text, i) => h(Text, { key: i }, line(text)));
  } else if (VIEWS[view]![0] === 'Events') {
    body = events.slice(-bodyHeight).reverse().map((e) => h(Text, { key: e.id }, line(`${new Date(e.at).toISOString().slice(11, 19)}  ${e.type.padEnd(22)} ${e.subject ?? ''}  ${e.actor ?? ''}`)));
    if (body.length === 0) body = [h(Text, { key: 'none' }, line('no event since this view opened'))];
  } else {
    const top = Math.max(0, Math.min(cursor - bodyHeight + 2, shown.length - bodyHeight + 1));
    const visible = shown.slice(top, top + bodyHeight - 1);
    body = visible.map((row, i) => h(Text, { key: row.key, inverse: top + i === cursor, color: color(row.attention) }, line(`${LABEL[row.attention].padEnd(9)} ${row.id.padEnd(24)} ${row.title.slice(0, 40).padEnd(40)} ${row.why}`)));
    body.push(h(Text, { key: 'count', dimColor: true }, line(shown.length === 0 ? 'nothing here' : `${cursor + 1}/${shown.length}${filter ? ` matching '${filter}'` : ''}`)));
  }
  while (body.length < bodyHeight) body.push(h(Text, { key: `blank${body.length}` }, line('')));
  const footer = message || (current ? hints(current) : 'q quits · ? help');
  return h(Box, { flexDirection: 'column', width },
    h(Text, { bold: true }, line(header)),
    h(Text, {}, line(tabs)),
    h(Text, {}, line(typing ? `/${filter}▏` : filter ? `filter: ${filter} (Esc clears)` : '')),
    ...body.slice(0, bodyHeight),
    h(Text, { dimColor: true }, line(footer)),
  );
}

function hints(row: ViewRow): string {
  const keys = ['j/k move', 'Enter details'];
  if (row.kind === 'approval' && row.extra.state === 'pending') keys.push('a allow', 'd deny');
  if (row.kind === 'task') keys.push('r requeue', 'c cancel');
  if (row.kind === 'process' || row.kind === 'run') keys.push('s stop');
  return [...keys, '/ filter', '? help', 'q quit'].join(' · ');
}

function details(row: ViewRow): string[] {
  const lines = [`${row.kind} ${row.id}: ${row.title}`, `state: ${LABEL[row.attention]} — ${row.why}`];
  if (row.since) lines.push(`since: ${new Date(row.since).toISOString()}`);
  if (row.last_activity) lines.push(`last activity: ${new Date(row.last_activity).toISOString()}`);
  if (row.detail) lines.push(`with: ${row.detail}`);
  if (row.cost_usd !== null) lines.push(`cost: $${row.cost_usd.toFixed(4)}${row.tokens !== null ? ` · ${row.tokens} tokens` : ''}`);
  for (const [key, value] of Object.entries(row.extra)) {
    if (value === null || value === undefined || value === '') continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    for (const [i, part] of text.split('\n').entries()) lines.push(i === 0 ? `${key}: ${part}` : `  ${part}`);
  }
  lines.push('', 'Esc back');
  return lines;
}

function matches(row: ViewRow, filter: string): boolean {
  if (!filter) return true;
  return filter.split(/\s+/).filter(Boolean).every((word) => {
    if (word.startsWith('class:')) return row.attention.startsWith(word.slice(6));
    return `${row.id} ${row.title} ${row.why} ${row.detail}`.toLowerCase().includes(word.toLowerCase());
  });
}

/** Exactly `width` columns: cut, or padded with spaces so a shorter line overwrites a longer one. Control characters never reach the terminal. */
function fit(text: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  return clean.length > width ? `${clean.slice(0, Math.max(0, width - 1))}…` : clean.padEnd(width);
}
