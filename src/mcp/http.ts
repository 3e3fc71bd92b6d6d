import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { EmptyResultSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { OrchestratorError } from '../core/errors.js';
import type { Board } from '../board/board.js';
import type { Dispatcher } from '../runner/dispatcher.js';
import type { Registry } from './registry.js';
import { SessionPresence } from './presence.js';
import { AGENT_HEADER, createMcpServer, headerValue } from './server.js';
import { checkMessage, errorReply, INVALID_REQUEST, MAX_MESSAGE_BYTES, PARSE_ERROR, type ErrorReply } from './wire.js';

/**
 * `orchestrate serve`: Streamable HTTP at /mcp, one MCP session per client, all on one board.
 *
 * Safety: loopback by default. Any other address needs a token, and then every request must
 * carry `Authorization: Bearer <token>`. A request whose Host is not this server's (or whose
 * Origin is a foreign page) is refused, so a web page cannot reach the server through DNS
 * rebinding.
 */
export interface HttpOptions {
  board: Board;
  registry: Registry;
  host: string;
  port: number;
  token: string | null;
  /** Extra Host names accepted when bound to every interface (0.0.0.0 or ::). */
  allowedHosts: string[];
  defaultAgent: string | null;
  /** Runs the dispatches that sessions ask for (one runner for all sessions). */
  dispatcher?: Dispatcher | null;
  /** The project root the tools work in. */
  project: string;
}

/** A session nobody has used for this long is closed (its client went away without saying so). */
const SESSION_IDLE_MS = 60 * 60 * 1000;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function serveHttp(options: HttpOptions): Promise<{ url: string; close(): Promise<void> }> {
  if (!isLoopback(options.host) && !options.token) {
    throw new OrchestratorError(
      'invalid_input',
      `binding ${options.host} opens the board beyond this machine: pass --token <secret> (or set ORCHESTRATOR_TOKEN), and clients must send "Authorization: Bearer <secret>"`,
    );
  }
  const sessions = new Map<string, Session>();
  const sweeper = setInterval(() => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const session of sessions.values()) {
      if (session.lastSeen < cutoff) void session.transport.close();
    }
  }, 60_000);
  sweeper.unref();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  const allowed = (port: number): Set<string> => {
    const names = ['127.0.0.1', 'localhost', '[::1]', ...options.allowedHosts];
    const wildcard = options.host === '0.0.0.0' || options.host === '::';
    if (!wildcard) names.push(options.host.includes(':') ? `[${options.host}]` : options.host);
    return new Set(names.flatMap((name) => [name, `${name}:${port}`]));
  };
  let hosts = new Set<string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hosts.has(req.headers.host ?? '')) {
      return reply(res, 403, `refused: Host '${req.headers.host ?? ''}' is not this server (if it is, start serve with --allowed-host ${safeHost(`http://${req.headers.host ?? ''}`).replace(/:\d+$/, '')})`);
    }
    const origin = req.headers.origin;
    if (origin && !hosts.has(safeHost(origin))) return reply(res, 403, `refused: Origin '${origin}' is not this server`);
    if (options.token && !bearerMatches(req.headers.authorization, options.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return reply(res, 401, 'missing or wrong token: send "Authorization: Bearer <token>"');
    }
    if (url.pathname !== '/mcp') return reply(res, 404, 'the MCP endpoint is /mcp');

    const sessionId = req.headers['mcp-session-id'];
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readJson(req);
      if ('reply' in read) return sendJson(res, read.status, read.reply);
      const checked = checkMessage(read.value);
      if ('reply' in checked) return checked.reply ? sendJson(res, 400, checked.reply) : void res.writeHead(202).end();
      body = checked.message;
    }
    let session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (!session) {
      if (typeof sessionId === 'string') return rpcError(res, 404, 'unknown or ended session; initialize a new one');
      if (req.method !== 'POST' || !isInitializeRequest(body)) return rpcError(res, 400, 'no session: the first request must be initialize');
      session = openSession(options, (id, opened) => sessions.set(id, opened), (id) => sessions.delete(id));
    }
    session.seen(req, res);
    await session.transport.handleRequest(req, res, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new OrchestratorError('invalid_input', `cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}); pick another --port or --host`)));
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowed(port);
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shown}:${port}/mcp`,
    async close() {
      clearInterval(sweeper);
      for (const session of sessions.values()) await session.transport.close().catch(() => undefined);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // open streams would otherwise hold close() forever
      await closed;
    },
  };
}

/**
 * One client's MCP session and its presence. A client that keeps an event stream open (GET /mcp,
 * as Claude Code does) is connected while that stream is open and answers the pings sent on it
 * every third of the lease — a cut-off host stops answering, a killed one closes the stream. A
 * client without a stream is connected while it was seen within the lease.
 */
interface Session {
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
  /** Marks a request of the client: it is seen, its agent header read, an event stream counted. */
  seen(req: IncomingMessage, res: ServerResponse): void;
}

function openSession(options: HttpOptions, onOpen: (id: string, session: Session) => void, onClose: (id: string) => void): Session {
  const ttl = options.board.settings.leaseTtlMs;
  let streams = 0;
  let streamed = false;
  let answering = true;
  const connected = () => (streamed ? streams > 0 && answering : Date.now() - session.lastSeen < ttl);
  const presence = new SessionPresence(options.board, connected).start();
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => onOpen(id, session),
  });
  const server = createMcpServer(options.board, options.registry, { defaultAgent: options.defaultAgent, dispatcher: options.dispatcher, project: options.project, presence });
  const pinger = setInterval(() => {
    if (streams === 0) return;
    server.request({ method: 'ping' }, EmptyResultSchema, { timeout: Math.max(1000, Math.floor(ttl / 3)) }).then(
      () => (answering = true),
      () => {
        answering = false;
        void presence.check();
      },
    );
  }, Math.max(1000, Math.floor(ttl / 3)));
  pinger.unref();
  transport.onclose = () => {
    clearInterval(pinger);
    presence.close();
    if (transport.sessionId) onClose(transport.sessionId);
  };
  const session: Session = {
    transport,
    lastSeen: Date.now(),
    seen(req, res) {
      session.lastSeen = Date.now();
      if (!presence.hasRegistered()) presence.configuredAs(headerValue(req.headers[AGENT_HEADER]) ?? options.defaultAgent);
      if (req.method === 'GET') {
        streams++;
        streamed = true;
        answering = true;
        res.on('close', () => {
          streams--;
          void presence.check();
        });
      }
      void presence.check();
    },
  };
  void server.connect(transport);
  return session;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = new TextEncoder().encode(/^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = new TextEncoder().encode(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function safeHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return '';
  }
}

/** A POST body as JSON, or the JSON-RPC error for one too large or not JSON. */
function readJson(req: IncomingMessage): Promise<{ value: unknown } | { status: number; reply: ErrorReply }> {
  return new Promise((resolve) => {
    const parts: string[] = [];
    let bytes = 0;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      bytes += Buffer.byteLength(chunk);
      if (bytes <= MAX_MESSAGE_BYTES) parts.push(chunk);
    });
    req.on('end', () => {
      if (bytes > MAX_MESSAGE_BYTES) return resolve({ status: 413, reply: errorReply(null, INVALID_REQUEST, `the request is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES} a message may have; send smaller ones`) });
      try {
        resolve({ value: JSON.parse(parts.join('')) });
      } catch (error) {
        resolve({ status: 400, reply: errorReply(null, PARSE_ERROR, `the request body is not JSON (${(error as Error).message.split('\n')[0]})`) });
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

function rpcError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}
