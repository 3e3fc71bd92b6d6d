import { watch } from 'node:fs';
import React, { useEffect, useRef, useState } from 'react';
import { Box, Text, render, useApp, useInput } from 'ink';
import { ACTIONS, RESUMABLE, logEntry, type ActionLogEntry, type ActionRunner } from '../web/actions.js';
import { countByAttention, PROBLEMS, type Attention, type BoardEventLite, type Live, type ViewRow } from '../model.js';
import { agentDetail, costs, mergeQueue, runTimeline, taskDetail } from '../details.js';
import { agentLines, costLines, mergeLines, runLines, taskLines } from './pages.js';
import { tailLog, type LogFilter } from '../../runner/process-view.js';
import type { Db } from '../../store/db.js';

/**
 * `orchestrate tui`: the live view in the terminal (ink). Full screen in the alternate buffer,
 * sized to the terminal exactly (every line padded to the width, the list cut to the height, so
 * a shorter frame leaves no stale characters). It reads the board through the shared view model
 * (Live: one event cursor, woken by the change signal) and acts through the same commands as the
 * web view, each shown in the action log (`@`).
 */
export interface TuiOptions {
  live: Live;
  /** The board the pages behind a row (a task, an agent, the merge queue, costs) are read from. */
  db: Db;
  run: ActionRunner;
  person: string;
  board: string;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  color: boolean;
}

const h = React.createElement;
/** The views, on number keys (0 is the tenth); a page view reads its own lines from the board. */
const VIEWS: [string, ((row: ViewRow) => boolean) | 'merges' | 'costs' | 'events'][] = [
  ['Overview', (r) => r.attention !== 'done'],
  ['Agents', (r) => r.kind === 'agent'],
  ['Tasks', (r) => r.kind === 'task'],
  ['Processes', (r) => r.kind === 'process'],
  ['Runs', (r) => r.kind === 'run'],
  ['Approvals', (r) => r.kind === 'approval'],
  ['Merges', 'merges'],
  ['Costs', 'costs'],
  ['Events', 'events'],
  ['Problems', (r) => (PROBLEMS as readonly string[]).includes(r.attention)],
];
const LABEL: Record<Attention, string> = { needs_you: 'NEEDS YOU', setup_error: 'SETUP ERR', dead: 'DEAD', stalled: 'STALLED', gate_failed: 'GATE FAIL', paused: 'PAUSED', failed: 'FAILED', working: 'working', queued: 'queued', idle: 'idle', done: 'done' };
const COLOR: Partial<Record<Attention, string>> = { needs_you: 'yellow', setup_error: 'red', dead: 'red', failed: 'red', gate_failed: 'red', stalled: 'magenta', paused: 'cyan', working: 'green' };
const HEADER_ORDER: Attention[] = ['needs_you', 'stalled', 'dead', 'setup_error', 'gate_failed', 'paused', 'working', 'queued'];
const HELP = [
  'keys',
  '  1-9, 0       views: overview, agents, tasks, processes, runs, approvals, merges, costs, events, problems',
  '  j/k ↓/↑      move · g/G first/last · Enter details (a task: its attempts, gates, merges; an agent: its messages)',
  '  Esc          back · / filter (text; class:stalled), Esc clears it',
  '  a / d        allow / deny the selected approval',
  '  r / c / p    requeue / cancel (asks y/n) / change the priority of the selected task',
  '  s            stop the selected process or run (asks y/n)',
  '  R            resume the selected run, with guidance',
  '  m            send the selected agent a message',
  '  :            run any orchestrate command (e.g. :task push "write docs")',
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
  const [typing, setTyping] = useState<Typing | null>(null);
  const [confirm, setConfirm] = useState<{ action: string; row: ViewRow } | null>(null);
  /** Keys read but not yet handled: one is handled per frame, so each sees the rows, filter and cursor the one before it left. */
  const keys = useRef<{ input: string; key: Key }[]>([]);
  const [, setUnhandled] = useState(0);
  const [detail, setDetail] = useState<string | null>(null);
  const [overlay, setOverlay] = useState<'help' | 'actions' | null>(null);
  const [message, setMessage] = useState('');
  const [log, setLog] = useState<ActionLogEntry[]>([]);
  const [logOnly, setLogOnly] = useState<LogFilter>('all');
  const [follow, setFollow] = useState(true);
  const [logLines, setLogLines] = useState<string[]>([]);
  const [page, setPage] = useState<string[]>([]);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    void live.recentEvents(200, live.eventId).then((recent) => setEvents((now) => [...recent, ...now].slice(-500)));
    void live.follow((update) => {
      setRows(live.all());
      if (update.events.length > 0) {
        setEvents((before) => [...before, ...update.events].slice(-500));
        setTick((t) => t + 1);
      }
    }, props.stop.signal);
    const resized = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', resized);
    return () => {
      stdout.off('resize', resized);
    };
  }, []);

  // A page read from the board (a task's or an agent's details, the merge queue, costs): again after each event.
  const kind = VIEWS[view]![1];
  const pageOf = /^(task|agent|run):/.test(detail ?? '') ? detail : !detail && (kind === 'merges' || kind === 'costs') ? kind : null;
  useEffect(() => {
    if (!pageOf) return setPage([]);
    let current = true;
    const read = async (): Promise<string[]> => {
      const now = Date.now();
      if (pageOf === 'merges') return mergeLines(await mergeQueue(props.db, null), now);
      if (pageOf === 'costs') return costLines(await costs(props.db));
      const id = pageOf.slice(pageOf.indexOf(':') + 1);
      if (pageOf.startsWith('run:')) return runLines(await runTimeline(props.db, id), now);
      if (pageOf.startsWith('task:')) {
        const found = await taskDetail(props.db, id);
        return found ? taskLines(found, now) : ['this task is gone from the board'];
      }
      const found = await agentDetail(props.db, id);
      return found ? agentLines(found, now) : ['this agent is gone from the board'];
    };
    read().then((lines) => current && setPage(lines), (error: Error) => current && setPage([`cannot read it now: ${error.message}`]));
    return () => {
      current = false;
    };
  }, [pageOf, tick]);

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

  const shown = typeof kind === 'function' ? rows.filter(kind).filter((row) => matches(row, filter)) : [];
  const cursor = Math.min(selected, Math.max(0, shown.length - 1));
  const current = shown[cursor];

  const record = (entry: ActionLogEntry) => {
    setLog((before) => [...before, entry]);
    setMessage(`${entry.ok ? '✓' : '✗'} ${entry.command}${entry.ok ? '' : ` — ${entry.output.split('\n')[0]}`}`);
  };
  const act = async (name: string, row: ViewRow, text = '') => {
    const argv = ACTIONS[name]!.argv(row.id, text);
    setMessage(`running: orchestrate ${argv.join(' ')}`);
    record(logEntry(name, argv, props.person, await props.run(argv, props.person, row.id)));
  };
  const command = async (line: string) => {
    const argv = words(line);
    if (argv.length === 0) return;
    setMessage(`running: orchestrate ${line}`);
    record(logEntry('command', argv, props.person, await props.run(argv, props.person, argv.find((w) => /^(task|run|proc|agent|appr)-/.test(w)) ?? '')));
  };
  const askText = (action: string, row: ViewRow) => {
    setTyping({ kind: 'text', action, row, text: '' });
    setMessage('');
  };
  const askFirst = (action: string, row: ViewRow) => {
    setConfirm({ action, row });
    setMessage(`${ACTIONS[action]!.label} ${row.id} (${row.title})? y/n`);
  };

  const type = (t: Typing, input: string, key: Key) => {
    const text = t.kind === 'filter' ? filter : t.text;
    const set = (next: string) => (t.kind === 'filter' ? setFilter(next) : setTyping({ ...t, text: next }));
    if (key.escape) {
      setTyping(null);
      if (t.kind === 'filter') setFilter('');
      else setMessage('not done');
    } else if (key.return) {
      setTyping(null);
      if (t.kind === 'command') void command(t.text);
      else if (t.kind === 'text') {
        const action = ACTIONS[t.action]!;
        if (t.text.trim() === '' && !action.optional) setMessage(`not done: ${action.label} needs ${action.text}`);
        else void act(t.action, t.row, t.text);
      }
    } else if (key.backspace || key.delete) set(text.slice(0, -1));
    else set(text + input);
  };

  // A chunk of input may hold several keys (a paste, a fast typist, a busy machine): each is a key,
  // handled after the frame the key before it made ("/parser⏎⏎" opens the row the filter left).
  useInput((input, key) => {
    if (key.ctrl || (key.meta && !key.escape)) return; // Ctrl-A is not a (allow), nor Alt-c c (cancel)
    keys.current.push(...splitKeys(input, key));
    setUnhandled((n) => n + 1);
  });
  useEffect(() => {
    const next = keys.current.shift();
    if (!next) return;
    press(next.input, next.key);
    if (keys.current.length > 0) setUnhandled((n) => n + 1);
  });
  const press = (input: string, key: Key) => {
    if (typing) return type(typing, input, key);
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
    const char = input;
    const number = char === '0' ? 10 : Number(char);
    if (char === 'q') return exit();
    if (number >= 1 && number <= VIEWS.length && /\d/.test(char)) {
      setView(number - 1);
      setSelected(0);
      setDetail(null);
      setOverlay(null);
    } else if (char === 'j') setSelected((s) => Math.min(Math.min(s, shown.length - 1) + 1, shown.length - 1));
    else if (char === 'k') setSelected((s) => Math.max(Math.min(s, shown.length - 1) - 1, 0));
    else if (char === 'g') setSelected(0);
    else if (char === 'G') setSelected(shown.length - 1);
    else if (char === '/') {
      setTyping({ kind: 'filter' });
      setFilter('');
    } else if (char === ':') setTyping({ kind: 'command', text: '' });
    else if (char === '?') setOverlay(overlay === 'help' ? null : 'help');
    else if (char === '@') setOverlay(overlay === 'actions' ? null : 'actions');
    else if (detail && logPath && char === 'e') setLogOnly(logOnly === 'errors' ? 'all' : 'errors');
    else if (detail && logPath && char === 't') setLogOnly(logOnly === 'tools' ? 'all' : 'tools');
    else if (detail && logPath && char === 'f') setFollow(!follow);
    else {
      const row = detail ? rows.find((r) => r.key === detail) : current;
      if (!row) return;
      const pending = row.kind === 'approval' && row.extra.state === 'pending';
      if (char === 'a' && pending) void act('approval.allow', row);
      else if (char === 'd' && pending) void act('approval.deny', row);
      else if (char === 'r' && row.kind === 'task') void act('task.retry', row);
      else if (char === 'c' && row.kind === 'task') askFirst('task.cancel', row);
      else if (char === 'p' && row.kind === 'task') askText('task.priority', row);
      else if (char === 's' && row.kind === 'process') askFirst('process.stop', row);
      else if (char === 's' && row.kind === 'run') askFirst('run.stop', row);
      else if (char === 'R' && row.kind === 'run' && RESUMABLE.includes(String(row.extra.status))) askText('run.resume', row);
      else if (char === 'm' && row.kind === 'agent') askText('agent.message', row);
    }
  };

  const width = Math.max(20, size.columns - 1); // the last column stays empty: no terminal wraps the line
  const line = (text: string) => fit(text, width);
  const color = (attention: Attention) => (props.color ? COLOR[attention] : undefined);
  const counts = countByAttention(rows);
  const spend = rows.reduce((sum, row) => sum + (row.kind === 'process' ? (row.cost_usd ?? 0) : 0), 0);
  const run = rows.find((r) => r.kind === 'run' && r.attention !== 'done');
  const budget = run?.extra.budget_usd ? ` of $${String(run.extra.budget_usd)}` : '';
  const header = `orchestrate · ${props.board} · ${run ? `${run.id}: ${run.detail} · ` : ''}${HEADER_ORDER.filter((a) => counts[a]).map((a) => `${LABEL[a].toLowerCase()} ${counts[a]}`).join(' · ') || 'nothing to do'} · $${spend.toFixed(4)}${budget}`;
  const tabs = VIEWS.map(([name], i) => (i === view ? `[${(i + 1) % 10} ${name}]` : ` ${(i + 1) % 10} ${name} `)).join('');
  const bodyHeight = Math.max(1, size.rows - 5);

  let body: React.ReactElement[];
  if (overlay === 'help') body = HELP.map((text, i) => h(Text, { key: i }, line(text)));
  else if (overlay === 'actions') {
    body = [h(Text, { key: 'title', bold: true }, line('action log (the commands the actions ran)')), ...(log.length === 0 ? [h(Text, { key: 'none' }, line('  nothing yet'))] : log.slice(-(bodyHeight - 1)).map((entry, i) => h(Text, { key: i }, line(`  ${new Date(entry.at).toISOString().slice(11, 19)} ${entry.ok ? 'ok ' : 'ERR'} ${entry.person}: ${entry.command}`))))];
  } else if (detail) {
    const row = rows.find((r) => r.key === detail);
    const facts = pageOf ? [...(row ? details(row).slice(0, 2) : []), ...page, '', 'Esc back'] : row ? details(row) : ['this row is gone from the board'];
    const tail = logPath ? [`── log${logOnly === 'all' ? '' : ` (${logOnly} only)`}${filter ? ` matching '${filter}'` : ''}${follow ? ', following' : ''} · e errors · t tools · f follow · / search`, ...logLines.slice(-Math.max(1, bodyHeight - Math.min(facts.length, bodyHeight - 6) - 1))] : [];
    body = [...facts.slice(0, bodyHeight - tail.length), ...tail].map((text, i) => h(Text, { key: i }, line(text)));
  } else if (kind === 'events') {
    body = events.slice(-bodyHeight).reverse().map((e) => h(Text, { key: e.id }, line(`${new Date(e.at).toISOString().slice(11, 19)}  ${e.type.padEnd(22)} ${e.subject ?? ''}  ${e.actor ?? ''}`)));
    if (body.length === 0) body = [h(Text, { key: 'none' }, line('no event since this view opened'))];
  } else if (kind === 'merges' || kind === 'costs') {
    body = (page.length > 0 ? page : ['reading…']).slice(0, bodyHeight).map((text, i) => h(Text, { key: i }, line(text)));
  } else {
    const top = Math.max(0, Math.min(cursor - bodyHeight + 2, shown.length - bodyHeight + 1));
    const visible = shown.slice(top, top + bodyHeight - 1);
    body = visible.map((row, i) => h(Text, { key: row.key, inverse: top + i === cursor, color: color(row.attention) }, line(`${LABEL[row.attention].padEnd(9)} ${row.id.padEnd(24)} ${row.title.slice(0, 40).padEnd(40)} ${row.why}`)));
    body.push(h(Text, { key: 'count', dimColor: true }, line(shown.length === 0 ? 'nothing here' : `${cursor + 1}/${shown.length}${filter ? ` matching '${filter}'` : ''}`)));
  }
  while (body.length < bodyHeight) body.push(h(Text, { key: `blank${body.length}` }, line('')));
  const focus = detail ? rows.find((r) => r.key === detail) : current;
  const footer = message || (focus ? hints(focus) : 'q quits · ? help');
  const prompt = typing?.kind === 'filter' ? `/${filter}▏` : typing?.kind === 'command' ? `:${typing.text}▏ (Enter runs orchestrate …, Esc cancels)` : typing?.kind === 'text' ? `${ACTIONS[typing.action]!.label} ${typing.row.id} — ${ACTIONS[typing.action]!.text}: ${typing.text}▏` : filter ? `filter: ${filter} (Esc clears)` : '';
  return h(Box, { flexDirection: 'column', width },
    h(Text, { bold: true }, line(header)),
    h(Text, {}, line(tabs)),
    h(Text, {}, line(prompt)),
    ...body.slice(0, bodyHeight),
    h(Text, { dimColor: true }, line(footer)),
  );
}

type Key = { ctrl?: boolean; meta?: boolean; escape?: boolean; return?: boolean; upArrow?: boolean; downArrow?: boolean; backspace?: boolean; delete?: boolean };
/** A line being typed: the filter, an action's text, or a command. */
type Typing = { kind: 'filter' } | { kind: 'text'; action: string; row: ViewRow; text: string } | { kind: 'command'; text: string };
const SPECIAL: Record<string, Key> = { '\r': { return: true }, '\n': { return: true }, '\r\n': { return: true }, '\x7f': { backspace: true }, '\b': { backspace: true }, '\x1b': { escape: true }, '\x1b[A': { upArrow: true }, '\x1bOA': { upArrow: true }, '\x1b[B': { downArrow: true }, '\x1bOB': { downArrow: true } };

/**
 * The keys in one chunk of input. Ink reads a chunk as one key; a paste, or typing that arrives
 * faster than it is read, is several ("API\r": three letters and Enter). One key is kept as ink
 * read it; otherwise each character is a key, Enter, Backspace, Esc and ↑/↓ by their bytes, and other
 * control sequences are dropped.
 */
export function splitKeys(input: string, key: Key): { input: string; key: Key }[] {
  if (key.escape || key.return || key.upArrow || key.downArrow || key.backspace || key.delete || [...input].length <= 1) return [{ input, key }];
  const keys: { input: string; key: Key }[] = [];
  for (const [piece] of input.matchAll(/\x1b\[[0-9;]*[~A-Za-z]|\x1bO[A-Za-z]|\r\n|[\s\S]/gu)) {
    if (SPECIAL[piece]) keys.push({ input: '', key: SPECIAL[piece] });
    else if (piece.length === 1 && piece < ' ' && piece !== '\t') continue;
    else if (!piece.startsWith('\x1b')) keys.push({ input: piece, key: {} });
  }
  return keys;
}

/** A command line as words: spaces split, quotes group ("write the docs" is one word). */
export function words(line: string): string[] {
  const found: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) found.push(match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? match[3]!);
  return found;
}

function hints(row: ViewRow): string {
  const keys = ['j/k move', 'Enter details'];
  if (row.kind === 'approval' && row.extra.state === 'pending') keys.push('a allow', 'd deny');
  if (row.kind === 'task') keys.push('r requeue', 'c cancel', 'p priority');
  if (row.kind === 'process' || row.kind === 'run') keys.push('s stop');
  if (row.kind === 'run' && RESUMABLE.includes(String(row.extra.status))) keys.push('R resume');
  if (row.kind === 'agent') keys.push('m message');
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
