import type { Readable, Writable } from 'node:stream';
import { integerInRange } from '../../board/input.js';
import { loadRegistry } from '../../mcp/registry.js';
import { createMcpServer } from '../../mcp/server.js';
import { SessionPresence } from '../../mcp/presence.js';
import { StdioTransport } from '../../mcp/stdio.js';
import { serveHttp } from '../../mcp/http.js';
import { flag, list, type Call, type Handler } from '../call.js';
import { startDispatcher } from './dispatch.js';

/** The agent a server acts for when a caller names none: only one given on purpose (flag or env). */
function defaultAgent(call: Call): string | null {
  const { agent } = call.settings;
  return agent.source === 'flag' || agent.source === 'env' ? agent.value : null;
}

/** `orchestrate mcp`: the board over stdio, for one Claude Code session; ends when stdin closes. */
export const mcp: Handler = async (call) => {
  const board = await call.board();
  const dispatcher = await startDispatcher(call, board);
  // Over stdio the session is this process: its agent is alive until the client goes away.
  const presence = new SessionPresence(board).start();
  presence.configuredAs(defaultAgent(call));
  const server = createMcpServer(board, await loadRegistry(), { defaultAgent: defaultAgent(call), dispatcher, project: call.settings.projectRoot.value, presence });
  const stdin = call.io.stdin as Readable;
  const transport = new StdioTransport(stdin, call.io.stdoutStream as Writable);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    stdin.once('end', () => resolve());
    call.io.shutdownSignal().addEventListener('abort', () => resolve(), { once: true });
  });
  await server.connect(transport);
  await closed;
  presence.close();
  await dispatcher.close();
  await server.close().catch(() => undefined);
  return { data: null, text: null };
};

/** `orchestrate serve`: the board over Streamable HTTP at /mcp until stopped. */
export const serve: Handler = async (call) => {
  const board = await call.board();
  const port = flag(call, 'port');
  let url = '';
  // Agents it dispatches reach this same server (its URL is known once it listens), as the worker
  // the runner registers for them; Claude Code fills in the token from the agent's environment.
  const token = call.settings.token.value;
  const headers: Record<string, string> = token ? { Authorization: 'Bearer ${ORCHESTRATOR_TOKEN}' } : {};
  const dispatcher = await startDispatcher(call, board, { server: () => ({ url, headers }), env: token ? { ORCHESTRATOR_TOKEN: token } : {} });
  const running = await serveHttp({
    board,
    registry: await loadRegistry(),
    host: flag(call, 'host') ?? '127.0.0.1',
    port: port === undefined ? 3100 : integerInRange('--port', port, 0, 65535),
    token: call.settings.token.value,
    allowedHosts: list(flag(call, 'allowed-host')) ?? [],
    defaultAgent: defaultAgent(call),
    dispatcher,
    project: call.settings.projectRoot.value,
  });
  url = running.url;
  call.io.stdout(`listening on ${running.url}${call.settings.token.value ? ' (requests need the bearer token)' : ''}`);
  const stop = call.io.shutdownSignal();
  await new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener('abort', () => resolve(), { once: true })));
  await dispatcher.close();
  await running.close();
  return { data: null, text: 'stopped' };
};
