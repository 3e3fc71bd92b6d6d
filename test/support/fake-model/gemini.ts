// The Gemini API as Gemini CLI uses it: POST /v1beta/models/<model>:streamGenerateContent?alt=sse
// (and :generateContent, unstreamed). The history is `contents`: user turns (the first one opens
// with a <session_context> part naming the workspace directories), model turns with text and
// functionCall parts, and user turns of functionResponse parts.
import type { ServerResponse } from 'node:http';
import type { Conversation, Protocol, Turn } from './scenario.js';

type Part = { text?: unknown; functionCall?: unknown; functionResponse?: { name?: string; response?: unknown } };
type Content = { role?: string; parts?: Part[] };

export const gemini: Protocol = {
  name: 'gemini',
  handles: (method, path) => method === 'POST' && /^\/v1beta\/models\/[^/]+:(stream)?[gG]enerateContent$/.test(path),

  read({ body }): Conversation {
    const contents: Content[] = Array.isArray(body?.contents) ? body.contents : [];
    let last = -1;
    contents.forEach((content, i) => {
      if (content.role !== 'model' && promptText(content) !== '') last = i;
    });
    const after = last < 0 ? [] : contents.slice(last + 1);
    const latest = contents[contents.length - 1];
    const workspace = /Workspace Directories:\*\*\\n\s+- ([^\\]+)\\n/.exec(JSON.stringify(body))?.[1] ?? null;
    return {
      protocol: 'gemini',
      prompt: last < 0 ? '' : promptText(contents[last]!),
      turn: after.filter((content) => content.role === 'model').length,
      sessionId: null,
      cwd: workspace,
      toolResults: latest && latest.role !== 'model' ? (latest.parts ?? []).filter((part) => part.functionResponse).map((part) => responseText(part.functionResponse!.response)) : [],
      tools: (Array.isArray(body?.tools) ? body.tools : []).flatMap((tool: { functionDeclarations?: { name: string }[] }) => (tool.functionDeclarations ?? []).map((d) => d.name)),
    };
  },

  write(res, turn, conversation, request): void {
    const config = request.body?.generationConfig;
    if (config?.responseMimeType === 'application/json') {
      // A utility call (the model router's classifier, say): a minimal answer of the shape asked for.
      const chunk = { candidates: [{ content: { role: 'model', parts: [{ text: JSON.stringify(fromSchema(config.responseJsonSchema ?? config.responseSchema)) }] }, finishReason: 'STOP', index: 0 }] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chunk));
      return;
    }
    const parts: Record<string, unknown>[] = [];
    if (turn.text) parts.push({ text: turn.text });
    for (const [i, call] of (turn.tools ?? []).entries()) {
      const input = typeof call.input === 'function' ? call.input(conversation) : call.input;
      // MCP tools are named mcp__<server>__<tool> in scenarios; Gemini CLI calls them mcp_<server>_<tool>.
      const mcp = /^mcp__(.+?)__(.+)$/.exec(call.name);
      parts.push({ functionCall: { id: `call_fake_${conversation.turn}_${i}`, name: mcp ? `mcp_${mcp[1]}_${mcp[2]}` : call.name, args: input } });
    }
    const model = /models\/([^:]+):/.exec(request.path)?.[1] ?? 'gemini-fake';
    const chunk = {
      candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 },
      modelVersion: model,
    };
    if (!request.path.includes(':stream')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chunk));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.end(`data: ${JSON.stringify(chunk)}\n\n`);
  },

  writeError(res: ServerResponse, error: NonNullable<Turn['error']>): void {
    res.writeHead(error.status, { 'content-type': 'application/json', ...error.headers });
    res.end(JSON.stringify({ error: { code: error.status, message: error.message, status: error.type, ...error.fields } }));
  },
};

/** The smallest value of a JSON schema: its first enum value, its minimum, a word, each required property. */
function fromSchema(schema: any): unknown {
  if (!schema || typeof schema !== 'object') return {};
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = String(schema.type ?? 'object').toLowerCase();
  if (type === 'object') return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, inner]) => [key, fromSchema(inner)]));
  if (type === 'array') return [];
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1;
  if (type === 'boolean') return false;
  return 'fake';
}

/** A user turn's text without Gemini CLI's own <session_context> part. */
function promptText(content: Content): string {
  return (content.parts ?? [])
    .map((part) => (typeof part.text === 'string' ? part.text : ''))
    .map((text) => text.replace(/^\s*<session_context>[\s\S]*<\/session_context>\s*$/, '').trim())
    .filter(Boolean)
    .join('\n');
}

function responseText(response: unknown): string {
  const value = response as { output?: unknown; content?: unknown } | null;
  if (value && typeof value.output === 'string') return value.output;
  if (value && Array.isArray(value.content)) return value.content.map((part: { text?: string }) => part.text ?? '').join('');
  return JSON.stringify(response ?? '');
}
