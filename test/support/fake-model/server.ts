// A scripted fake model server for tests: real agent CLIs talk to it instead of a model.
// Dependency-free (node:http), bound to 127.0.0.1 on a free port, stateless (see scenario.ts),
// logging every request. One module per wire protocol: Anthropic Messages (Claude Code), OpenAI
// Responses (Codex) and Gemini generateContent (Gemini CLI).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropic } from './anthropic.js';
import { gemini } from './gemini.js';
import { openai } from './openai.js';
import { findScenario, type Conversation, type Scenario, type Turn } from './scenario.js';

export type { Scenario, Turn, Conversation, ToolCall } from './scenario.js';
export { lastToolJson } from './scenario.js';

const PROTOCOLS = [anthropic, openai, gemini];

export interface LoggedRequest {
  protocol: string | null;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  conversation: Conversation | null;
  scenario: string | null;
}

export interface FakeModel {
  url: string;
  requests: LoggedRequest[];
  setScenarios(scenarios: Scenario[]): void;
  close(): Promise<void>;
}

export async function startFakeModel(scenarios: Scenario[] = []): Promise<FakeModel> {
  let current = scenarios;
  const requests: LoggedRequest[] = [];
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = new URL(url, 'http://localhost').pathname;
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    const protocol = PROTOCOLS.find((p) => p.handles(req.method ?? '', path));
    const entry: LoggedRequest = { protocol: protocol?.name ?? null, method: req.method ?? '', path, headers: req.headers, body, conversation: null, scenario: null };
    requests.push(entry);
    if (!protocol) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `the fake model does not serve ${req.method} ${path}` }));
      return;
    }
    const request = { method: req.method ?? '', path, url, headers: req.headers, body };
    const conversation = protocol.read(request);
    entry.conversation = conversation;
    const scenario = findScenario(current, conversation);
    entry.scenario = scenario?.name ?? null;
    const scripted = scenario?.turns[conversation.turn] ?? { text: scenario?.finalText ?? (scenario ? 'Done.' : 'OK.') };
    // A model calls only the tools it is offered: Codex starts its MCP servers beside the first
    // requests, and on a busy machine they may not be listed yet. Then the turn waits: a short
    // shell command, not counted as a turn (OpenAI protocol, where this was seen).
    const missing = protocol.name === 'openai' && (scripted.tools ?? []).some((call) => call.name.startsWith('mcp__') && !conversation.tools.some((offered) => offered.endsWith(call.name.slice(call.name.lastIndexOf('__') + 2)) && offered.includes(call.name.split('__')[1]!)));
    const turn: Turn = missing ? { wait: true, tools: [{ name: 'exec_command', input: { cmd: 'sleep 1' } }] } : scripted;
    if (turn.delayMs) {
      // A client that goes away ends the wait (a stopped agent; the server closing at the end of a test).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, turn.delayMs);
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (res.destroyed) return;
    }
    if (turn.error) return protocol.writeError(res, turn.error);
    protocol.write(res, turn, conversation, request);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScenarios(next) {
      current = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
