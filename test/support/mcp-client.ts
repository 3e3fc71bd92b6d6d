// An MCP client from the official SDK, talking to the built `orchestrate mcp` over stdio.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MAIN } from './cli.js';

export async function stdioClient(cwd: string, env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'orchestrator-tests', version: '0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [MAIN, 'mcp'], cwd, env, stderr: 'pipe' }));
  return client;
}

/** An MCP client of `orchestrate serve` at `url`, sending `headers` with every request. */
export async function httpClient(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'orchestrator-tests', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Calls a tool and returns its structured content, failing on an isError result. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent;
}

/** Calls a tool that must fail, and returns its error {code, message}. */
export async function callError(client: Client, name: string, args: unknown): Promise<{ code: string; message: string }> {
  const result = await client.callTool({ name, arguments: args as Record<string, unknown> });
  if (!result.isError) throw new Error(`${name} succeeded but should have failed: ${JSON.stringify(result.structuredContent)}`);
  return (result.structuredContent as { error: { code: string; message: string } }).error;
}
