import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  McpError,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { excerpt, OrchestratorError } from '../core/errors.js';
import { packageVersion } from '../core/version.js';
import type { Board } from '../board/board.js';
import type { Dispatcher } from '../runner/dispatcher.js';
import type { SessionPresence } from './presence.js';
import type { Registry } from './registry.js';
import { matchUri } from './resource.js';
import { acceptAliases } from './aliases.js';
import { invalidArguments, toErrorResult, toResult, type ToolContext } from './tool.js';

/** The header an HTTP client names its agent with (Claude Code sends configured headers on every request). */
export const AGENT_HEADER = 'x-orchestrator-agent';

const INSTRUCTIONS = `The orchestrator board coordinates a team of agents. Start with register_instance (unless this session
was registered for you), then: claim_task for work, start_task (or heartbeat with current_task) when you begin it,
complete_task with a result that says what changed and how you checked it, block_task or fail_task with a reason when
stuck, and send_message / wait_for_message / request_help to talk. Shared decisions go in set_context. You stay online
while this session is connected: work as long as the task needs, there is nothing to renew.`;

/**
 * One MCP server session on the board: the tools and resources of the registry, with the
 * session's identity. Who calls: the agent this session registered as (register_instance), else
 * the X-Orchestrator-Agent header of the request (HTTP), else the agent the server was started
 * for (ORCHESTRATOR_AGENT, stdio). Every failure, bad input included, is an isError result. The
 * session's `presence` keeps that agent alive while the session is connected.
 */
export function createMcpServer(board: Board, registry: Registry, options: { defaultAgent: string | null; dispatcher?: Dispatcher | null; project: string; presence: SessionPresence }): Server {
  const server = new Server(
    { name: 'claude-orchestrator', version: packageVersion() },
    { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS },
  );
  const schemas = new Map(registry.tools.map((tool) => [tool.name, z.strictObject(tool.input)]));
  const tools = new Map(registry.tools.map((tool) => [tool.name, tool]));
  let sessionAgent: string | null = null;

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: registry.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: z.toJSONSchema(schemas.get(tool.name)!, { io: 'input' }) as { type: 'object' },
      ...(tool.alwaysLoad ? { _meta: { 'anthropic/alwaysLoad': true } } : {}),
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = tools.get(request.params.name);
    if (!tool) return toErrorResult(new OrchestratorError('not_found', `no tool '${excerpt(request.params.name)}'; tools/list shows the tools`));
    const { args, actAs } = acceptAliases(tool, request.params.arguments ?? {});
    const parsed = schemas.get(tool.name)!.safeParse(args);
    if (!parsed.success) return toErrorResult(invalidArguments(tool.name, parsed.error));
    const header = headerValue(extra.requestInfo?.headers?.[AGENT_HEADER]);
    const configured = () => header ?? options.defaultAgent;
    if (sessionAgent === null) options.presence.configuredAs(configured());
    // Design E v0.2's instance_id names the caller of this one call.
    const caller = () => actAs ?? sessionAgent ?? configured();
    const context: ToolContext = {
      board,
      project: options.project,
      signal: extra.signal,
      maybeAgent: caller,
      configuredAgent: configured,
      agent() {
        const agent = caller();
        if (agent === null) {
          throw new OrchestratorError(
            'no_identity',
            `${tool.name} needs to know which agent you are: call register_instance with your name first (or start the server with ORCHESTRATOR_AGENT, or send the ${AGENT_HEADER} header)`,
          );
        }
        return agent;
      },
      setAgent(agent) {
        sessionAgent = agent;
        options.presence.registeredAs(agent);
      },
      dispatcher() {
        if (!options.dispatcher) throw new OrchestratorError('invalid_input', `${tool.name} needs a runner; this server was started without one`);
        return options.dispatcher;
      },
    };
    try {
      return toResult(await tool.run(parsed.data, context), tool.textOnly);
    } catch (error) {
      return toErrorResult(error);
    }
  });

  const fixed = registry.resources.filter((resource) => !resource.uri.includes('{'));
  const templates = registry.resources.filter((resource) => resource.uri.includes('{'));
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: fixed.map(({ uri, name, description }) => ({ uri, name, description, mimeType: 'application/json' })),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: templates.map(({ uri, name, description }) => ({ uriTemplate: uri, name, description, mimeType: 'application/json' })),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    try {
      for (const resource of registry.resources) {
        const parts = matchUri(resource.uri, request.params.uri);
        if (!parts) continue;
        const data = await resource.read(board, parts, options.project);
        return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: JSON.stringify(data, null, 2) }] };
      }
      throw new OrchestratorError('not_found', `no resource ${excerpt(request.params.uri, 200)}; resources/list and resources/templates/list show them`);
    } catch (error) {
      // Resource reads answer with a JSON-RPC error, which needs a numeric code.
      const known = error instanceof OrchestratorError ? error : new OrchestratorError('internal', String(error));
      const code = known.code === 'internal' || known.code.startsWith('store_') ? ErrorCode.InternalError : ErrorCode.InvalidParams;
      throw new McpError(code, `${known.code}: ${known.message}`);
    }
  });
  return server;
}

export function headerValue(value: string | string[] | undefined): string | null {
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.trim() !== '' ? text.trim() : null;
}
