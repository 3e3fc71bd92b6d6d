import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { OrchestratorError } from '../../core/errors.js';
import type { Db } from '../../store/db.js';
import { isLoopback } from '../../mcp/http.js';
import { tailLog } from '../../runner/process-view.js';
import { countByAttention, Live, type BoardEventLite, type ViewRow } from '../model.js';
import { agentDetail, conversation, costs, mergeQueue, runTimeline, taskDetail, taskGraph } from '../details.js';
import { ACTIONS, logEntry, type ActionLogEntry, type ActionRunner } from './actions.js';

/**
 * `orchestrate web`: the live view in a browser, served by this process from files in the
 * package (no build server, no CDN). The page takes a snapshot (`/api/snapshot`, as of an event
 * id) and then follows a server-sent-events stream keyed by event id (`/api/stream`): each message
 * carries the rows that changed. A browser that reconnects sends `Last-Event-ID` and gets what it
 * missed, or `reset` when the gap is too big (it takes a new snapshot). The server reads the board
 * only when the change signal fires or a row's class changes with time (Live.nextDeadline): idle,
 * it does nothing.
 *
 * Actions are JSON POSTs to `/api/action`; each runs the same CLI command a person would type
 * (actions.ts) and is logged with that command.
 *
 * Security as `serve`: 127.0.0.1 unless --host says otherwise (then --token is required). The
 * printed URL carries a one-time login token that becomes an HttpOnly, SameSite=Strict cookie
 * named for this instance (cookies are shared by every port of a host); every request needs it.
 * Host must be this server; a write needs an exact Origin and a JSON body. Pages carry a CSP with
 * a nonce; agent output reaches the page as JSON and is shown as text, never as HTML.
 */
export interface WebOptions {
  db: Db;
  host: string;
  port: number;
  /** Required beyond loopback: the login token (reusable), instead of a one-time one. */
  token: string | null;
  readOnly: boolean;
  /** Runs an action's CLI command in this process. */
  run: ActionRunner;
  /** The acting person, recorded with each action. */
  person: string;
  stalledAfterMs?: number;
  host_name?: string | null;
}

export interface WebServer {
  url: string;
  /** The URL to open: it logs the browser in once. */
  loginUrl: string;
  close(): Promise<void>;
}

const PAGE_DIR = new URL('./page/', import.meta.url);
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const STATIC: Record<string, string> = { '/app.js': JS, '/pages.js': JS, '/app.css': CSS };
/** The libraries the page draws with, served from their installed packages (pinned in package.json), never from a CDN. */
const require = createRequire(import.meta.url);
const VENDOR: Record<string, { file: string; type: string }> = {
  '/vendor/dagre.min.js': { file: join(dirname(require.resolve('@dagrejs/dagre/package.json')), 'dist', 'dagre.min.js'), type: JS },
  '/vendor/uPlot.iife.min.js': { file: join(dirname(require.resolve('uplot/package.json')), 'dist', 'uPlot.iife.min.js'), type: JS },
  '/vendor/uPlot.min.css': { file: join(dirname(require.resolve('uplot/package.json')), 'dist', 'uPlot.min.css'), type: CSS },
};
/** Messages kept for streams that reconnect; a longer gap gets `reset`. */
const KEEP_MESSAGES = 500;
const MAX_BODY = 64 * 1024;
/** The lines of a process log a page shows. */
const LOG_LINES = 400;

interface Message {
  from: number;
  to: number;
  keys: string[];
  events: BoardEventLite[];
}

export async function serveWeb(options: WebOptions): Promise<WebServer> {
  if (!isLoopback(options.host) && !options.token) {
    throw new OrchestratorError('invalid_input', `binding ${options.host} opens the board beyond this machine: pass --token <secret> (or set ORCHESTRATOR_TOKEN); the printed URL then logs a browser in with it`);
  }
  const instance = randomBytes(4).toString('hex');
  const cookieName = `orchestrate_${instance}`;
  const session = randomBytes(32).toString('base64url');
  let loginToken: string | null = options.token ?? randomBytes(24).toString('base64url');
  const live = await Live.open(options.db, { stalledAfterMs: options.stalledAfterMs, host: options.host_name ?? null });
  const streams = new Set<ServerResponse>();
  const logStreams = new Set<ServerResponse>();
  const kept: Message[] = [];
  const actionLog: ActionLogEntry[] = [];
  const stop = new AbortController();

  const broadcast = (message: Message, rows: ViewRow[], removed: string[]) => {
    kept.push(message);
    if (kept.length > KEEP_MESSAGES) kept.shift();
    const data = sse(message.to, 'change', { event_id: message.to, rows, removed, events: message.events.slice(-100), counts: live.counts() });
    for (const res of streams) res.write(data);
  };

  const follow = live.follow((update) => broadcast({ from: update.from, to: update.to, keys: [...update.changed.map((r) => r.key), ...update.removed], events: update.events }, update.changed, update.removed), stop.signal);

  const ping = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n');
  }, 25_000);
  ping.unref();

  let allowedHosts = new Set<string>();
  let origins = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: `internal error: ${error instanceof Error ? error.message : String(error)}` });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    if (!allowedHosts.has(req.headers.host ?? '')) return send(res, 403, { error: `refused: Host '${req.headers.host ?? ''}' is not this server` });
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('login')) {
      if (loginToken === null || !same(url.searchParams.get('login')!, loginToken)) return send(res, 401, { error: 'this login link was used already or is wrong: run orchestrate web again for a new one' });
      if (!options.token) loginToken = null; // one time
      res.setHeader('Set-Cookie', `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(303, { Location: '/' }).end();
      return;
    }
    if (!same(cookie(req, cookieName) ?? '', session)) {
      return send(res, 401, { error: 'not logged in: open the URL that orchestrate web printed (it logs this browser in once)' });
    }
    if (req.method === 'POST') {
      if (!origins.has(req.headers.origin ?? '')) return send(res, 403, { error: `refused: Origin '${req.headers.origin ?? ''}' is not this server` });
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'send the action as application/json' });
      if (url.pathname !== '/api/action') return send(res, 404, { error: 'no such endpoint' });
      if (options.readOnly) return send(res, 403, { error: 'this view is read-only (orchestrate web --read-only)' });
      const body = await readBody(req);
      if (body === null) return send(res, 400, { error: 'the body must be a JSON object of at most 64 KiB' });
      const entry = await runAction(body);
      return send(res, entry.ok ? 200 : entry.status, entry);
    }
    if (req.method !== 'GET') return send(res, 405, { error: 'GET or POST only' });
    if (url.pathname === '/') return html(res);
    if (STATIC[url.pathname]) {
      res.writeHead(200, { 'Content-Type': STATIC[url.pathname]! }).end(readFileSync(new URL(`.${url.pathname}`, PAGE_DIR)));
      return;
    }
    const vendor = VENDOR[url.pathname];
    if (vendor) {
      res.writeHead(200, { 'Content-Type': vendor.type, 'Cache-Control': 'max-age=86400' }).end(readFileSync(vendor.file));
      return;
    }
    if (url.pathname === '/api/page') return page(url, res);
    if (url.pathname === '/api/snapshot') {
      const eventId = live.eventId;
      const rows = live.all();
      const events = await live.recentEvents(100, eventId);
      return send(res, 200, { event_id: eventId, now: options.db.now(), rows, counts: countByAttention(rows), events, board: { dialect: options.db.dialect, location: options.db.location }, read_only: options.readOnly, actions: ACTIONS });
    }
    if (url.pathname === '/api/actions') return send(res, 200, { items: actionLog.slice(-200) });
    if (url.pathname === '/api/log') return processLog(url, res, false, req);
    if (url.pathname === '/api/log/stream') return processLog(url, res, true, req);
    if (url.pathname === '/api/stream') return stream(req, res);
    return send(res, 404, { error: 'no such page' });
  }

  function stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const given = req.headers['last-event-id'] ?? new URL(req.url ?? '/', 'http://localhost').searchParams.get('last') ?? undefined;
    const last = typeof given === 'string' && /^\d+$/.test(given) ? Number(given) : null;
    if (last !== null && last !== live.eventId) {
      const since = kept.filter((m) => m.to > last);
      if (last > live.eventId || since.length === 0 || since[0]!.from > last) res.write(sse(live.eventId, 'reset', { event_id: live.eventId }));
      else {
        // What changed since then, as it is now; the events in between, in order.
        const keys = [...new Set(since.flatMap((m) => m.keys))];
        res.write(sse(live.eventId, 'change', {
          event_id: live.eventId,
          rows: keys.map((key) => live.row(key)).filter((row): row is ViewRow => row !== undefined),
          removed: keys.filter((key) => live.row(key) === undefined),
          events: since.flatMap((m) => m.events).slice(-100),
          counts: live.counts(),
        }));
      }
    } else res.write(': connected\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  }

  /**
   * A process's log, its last lines (errors or tool calls only, a search): once as JSON, or as a
   * stream that sends the tail again each time the file grows (the file is watched, not polled).
   */
  function processLog(url: URL, res: ServerResponse, follow: boolean, req: IncomingMessage): void {
    const row = live.row(`process:${url.searchParams.get('id') ?? ''}`);
    const path = row?.extra.log as string | null | undefined;
    if (!row || !path) return send(res, 404, { error: row ? `process ${row.id} has no log yet` : 'no such process on this board' });
    const only = (['errors', 'tools'] as const).find((o) => o === url.searchParams.get('only')) ?? 'all';
    const read = () => {
      try {
        return { id: row.id, ...tailLog(path, { count: LOG_LINES, only, search: url.searchParams.get('q') ?? undefined }) };
      } catch {
        return { id: row.id, lines: [], size: 0, error: `the log is not readable here (${path}): it is on ${String(row.extra.host)}` };
      }
    };
    if (!follow) return send(res, 200, read());
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
    let size = -1;
    const push = () => {
      const tail = read();
      if (tail.size === size) return;
      size = tail.size;
      res.write(sse(0, 'log', tail));
    };
    push();
    let watcher: FSWatcher | null = null;
    try {
      watcher = watch(path, { persistent: false }, push);
      watcher.on('error', () => undefined);
    } catch {
      // not watchable: what was sent stays
    }
    logStreams.add(res); // ends with the server
    req.on('close', () => {
      watcher?.close();
      logStreams.delete(res);
    });
  }

  async function runAction(body: Record<string, unknown>): Promise<ActionLogEntry & { status: number }> {
    const name = typeof body.action === 'string' ? body.action : '';
    const action = ACTIONS[name];
    const id = typeof body.id === 'string' ? body.id : '';
    const text = typeof body.text === 'string' ? body.text : '';
    if (!action) return { ok: false, status: 400, at: Date.now(), person: options.person, action: name, command: '', output: `unknown action '${name.slice(0, 40)}'; known: ${Object.keys(ACTIONS).join(', ')}` };
    if (!/^[A-Za-z0-9][\w.-]{0,199}$/.test(id)) return { ok: false, status: 400, at: Date.now(), person: options.person, action: name, command: '', output: 'id must be a board id such as task-… (letters, digits, . _ -)' };
    if (action.text && !action.optional && text.trim() === '') return { ok: false, status: 400, at: Date.now(), person: options.person, action: name, command: '', output: `${action.label} needs ${action.text}` };
    const argv = action.argv(id, text);
    const result = await options.run(argv, options.person, id);
    const entry = logEntry(name, argv, options.person, result);
    actionLog.push(entry);
    return { ...entry, status: result.code === 0 ? 200 : result.code === 4 ? 409 : result.code === 3 ? 404 : 400 };
  }

  /** A page behind the rows, read from the board when the browser asks (and again after changes it cares about). */
  async function page(url: URL, res: ServerResponse): Promise<void> {
    const db = options.db;
    const id = url.searchParams.get('id') ?? '';
    const run = url.searchParams.get('run') || null;
    const name = url.searchParams.get('name');
    const found = async (): Promise<unknown> => {
      switch (name) {
        case 'task': return taskDetail(db, id);
        case 'agent': return agentDetail(db, id);
        case 'graph': return taskGraph(db, run, db.now());
        case 'timeline': return runTimeline(db, run);
        case 'merges': return mergeQueue(db, run);
        case 'costs': return costs(db);
        case 'messages': return conversation(db);
        default: return undefined;
      }
    };
    const body = await found();
    if (body === undefined) return send(res, 404, { error: `no page '${String(name).slice(0, 40)}': task, agent, graph, timeline, merges, costs or messages` });
    if (body === null) return send(res, 404, { error: `no ${String(name)} '${id.slice(0, 100)}' on this board` });
    return send(res, 200, body);
  }

  function html(res: ServerResponse): void {
    const nonce = randomBytes(16).toString('base64');
    const html = readFileSync(new URL('./index.html', PAGE_DIR), 'utf8').replaceAll('{{nonce}}', nonce);
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    }).end(html);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new OrchestratorError('invalid_input', `cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}); pick another --port or --host`)));
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  const names = isLoopback(options.host) ? ['127.0.0.1', 'localhost', '[::1]'] : [shown];
  allowedHosts = new Set(names.map((name) => `${name}:${port}`));
  origins = new Set([...allowedHosts].map((host) => `http://${host}`));
  const url = `http://${shown === 'localhost' ? '127.0.0.1' : shown}:${port}/`;
  return {
    url,
    loginUrl: `${url}?login=${loginToken}`,
    async close() {
      stop.abort();
      clearInterval(ping);
      for (const res of [...streams, ...logStreams]) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await follow;
    },
  };
}

function sse(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) parts.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return resolve(null);
      try {
        const value = JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
        resolve(value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null);
      } catch {
        resolve(null);
      }
    });
    req.on('error', () => resolve(null));
  });
}

