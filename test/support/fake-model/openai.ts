// The OpenAI Responses API as Codex uses it: POST /v1/responses, streamed as SSE. Codex sends
// the whole history as `input` items: developer and user messages (the first user message is
// its <environment_context> with the cwd), then for each model reply its function_call and
// message items, and the function_call_output items that answer the calls.
import type { ServerResponse } from 'node:http';
import type { Conversation, Protocol, Turn } from './scenario.js';

type Item = { type?: string; role?: string; content?: unknown; output?: unknown; name?: string; namespace?: string };

/** Items the model wrote (one reply may hold several); everything else is the client's. */
/** A wait turn's calls (server.ts: a tool not offered yet) are not turns of the scenario. */
const WAIT_PREFIX = 'call_wait_';
const isWait = (item: Item) => item.type === 'function_call' && String((item as { call_id?: unknown }).call_id ?? '').startsWith(WAIT_PREFIX);
const fromModel = (item: Item) => item.type === 'function_call' || item.type === 'reasoning' || (item.type === 'message' && item.role === 'assistant');

export const openai: Protocol = {
  name: 'openai',
  handles: (method, path) => method === 'POST' && path === '/v1/responses',

  read({ body }): Conversation {
    const items: Item[] = Array.isArray(body?.input) ? body.input : [];
    let last = -1;
    items.forEach((item, i) => {
      if (item.type === 'message' && item.role === 'user' && promptText(item) !== '') last = i;
    });
    const after = last < 0 ? [] : items.slice(last + 1);
    // Replies: runs of model items, each run ended by the client's answers.
    let turn = 0;
    after.forEach((item, i) => {
      if (fromModel(item) && (i === 0 || !fromModel(after[i - 1]!)) && !isWait(item)) turn++;
    });
    const trailing: Item[] = [];
    for (let i = items.length - 1; i > last && items[i]!.type === 'function_call_output'; i--) trailing.unshift(items[i]!);
    const cwd = /<cwd>([^<]+)<\/cwd>/.exec(JSON.stringify(body))?.[1] ?? null;
    const tools: string[] = (Array.isArray(body?.tools) ? body.tools : []).flatMap((tool: { type: string; name?: string; tools?: { name: string }[] }) =>
      tool.type === 'namespace' ? (tool.tools ?? []).map((inner) => `${tool.name}__${inner.name}`) : tool.name ? [tool.name] : [],
    );
    return {
      protocol: 'openai',
      prompt: last < 0 ? '' : promptText(items[last]!),
      turn,
      sessionId: typeof body?.prompt_cache_key === 'string' ? body.prompt_cache_key : null,
      cwd,
      toolResults: trailing.map((item) => outputText(item.output)),
      tools,
    };
  },

  write(res, turn, conversation, request): void {
    const id = `resp_fake_${Math.random().toString(36).slice(2, 12)}`;
    const items: Record<string, unknown>[] = [];
    for (const [i, call] of (turn.tools ?? []).entries()) {
      const input = typeof call.input === 'function' ? call.input(conversation) : call.input;
      // MCP tools are named mcp__<server>__<tool> in scenarios; Codex wants the server as a namespace.
      const mcp = /^(mcp__.+?)__(.+)$/.exec(call.name);
      items.push({
        type: 'function_call',
        id: `fc_fake_${conversation.turn}_${i}`,
        call_id: `${turn.wait ? WAIT_PREFIX : 'call_fake_'}${conversation.turn}_${i}_${Math.random().toString(36).slice(2, 8)}`,
        name: mcp ? mcp[2] : call.name,
        ...(mcp ? { namespace: mcp[1] } : {}),
        arguments: JSON.stringify(input),
        status: 'completed',
      });
    }
    if (turn.text) items.push({ type: 'message', id: `msg_fake_${conversation.turn}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.text, annotations: [] }] });
    const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 0 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 120 };
    const model = String(request.body?.model ?? 'gpt-fake');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (data: Record<string, unknown>) => res.write(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`);
    send({ type: 'response.created', response: { id, object: 'response', status: 'in_progress', model, output: [] } });
    items.forEach((item, index) => {
      send({ type: 'response.output_item.added', output_index: index, item: { ...item, status: 'in_progress' } });
      if (item.type === 'message') send({ type: 'response.output_text.delta', item_id: item.id, output_index: index, content_index: 0, delta: turn.text });
      send({ type: 'response.output_item.done', output_index: index, item });
    });
    send({ type: 'response.completed', response: { id, object: 'response', status: 'completed', model, output: items, usage } });
    res.end();
  },

  writeError(res: ServerResponse, error: NonNullable<Turn['error']>): void {
    res.writeHead(error.status, { 'content-type': 'application/json', ...error.headers });
    res.end(JSON.stringify({ error: { message: error.message, type: error.type, code: error.type, param: null, ...error.fields } }));
  },
};

/** A user message's text without the client's own context blocks (<environment_context> and the like). */
function promptText(item: Item): string {
  const parts = Array.isArray(item.content) ? item.content : [];
  return parts
    .map((part: { text?: unknown }) => (typeof part.text === 'string' ? part.text : ''))
    .map((text) => text.replace(/^\s*<([a-z_]+)>[\s\S]*<\/\1>\s*$/, '').trim())
    .filter(Boolean)
    .join('\n');
}

/** A tool's output; Codex heads a tool's text with `Wall time: …\nOutput:\n`, which is dropped. */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output.replace(/^(?:[A-Z][\w ]*: .*\n)*Output:\n/, '');
  if (Array.isArray(output)) return output.map((part: { text?: string }) => part.text ?? '').join('');
  return JSON.stringify(output ?? '');
}
