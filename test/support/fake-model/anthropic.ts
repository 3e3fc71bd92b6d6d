// The Anthropic Messages API as Claude Code uses it: POST /v1/messages, streamed as SSE.
import type { ServerResponse } from 'node:http';
import type { Conversation, Protocol, Request, Turn } from './scenario.js';

type Block = { type: string; text?: string; content?: unknown; name?: string };
type Message = { role: string; content: string | Block[] };

export const anthropic: Protocol = {
  name: 'anthropic',
  handles: (method, path) => method === 'POST' && path === '/v1/messages',

  read({ body, headers }): Conversation {
    const messages: Message[] = Array.isArray(body?.messages) ? body.messages : [];
    const isPrompt = (message: Message) => message.role === 'user' && promptText(message) !== '';
    let last = -1;
    messages.forEach((message, i) => {
      if (isPrompt(message)) last = i;
    });
    const after = last < 0 ? [] : messages.slice(last + 1);
    const latestUser = [...messages].reverse().find((message) => message.role === 'user');
    const cwd = /Primary working directory: (\S+)/.exec(JSON.stringify(body))?.[1] ?? null;
    return {
      protocol: 'anthropic',
      prompt: last < 0 ? '' : promptText(messages[last]!),
      turn: after.filter((message) => message.role === 'assistant').length,
      sessionId: header(headers, 'x-claude-code-session-id'),
      cwd: cwd === null ? null : cwd.replace(/\\n.*$/, ''),
      toolResults: blocks(latestUser).filter((block) => block.type === 'tool_result').map((block) => resultText(block.content)),
      tools: Array.isArray(body?.tools) ? body.tools.map((tool: { name: string }) => tool.name) : [],
    };
  },

  /** Plays one turn as a streamed assistant message. */
  write(res, turn, conversation, request): void {
    const stream = request.body?.stream !== false;
    const model = String(request.body?.model ?? 'claude-fake');
    const id = `msg_fake_${Math.random().toString(36).slice(2, 12)}`;
    const content: Record<string, unknown>[] = [];
    if (turn.text) content.push({ type: 'text', text: turn.text });
    for (const [i, call] of (turn.tools ?? []).entries()) {
      const input = typeof call.input === 'function' ? call.input(conversation) : call.input;
      content.push({ type: 'tool_use', id: `toolu_fake_${conversation.turn}_${i}_${Math.random().toString(36).slice(2, 8)}`, name: call.name, input });
    }
    const stopReason = (turn.tools ?? []).length > 0 ? 'tool_use' : 'end_turn';
    const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
    content.forEach((block, index) => {
      if (block.type === 'text') {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } });
      } else {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    });
    send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
    send('message_stop', { type: 'message_stop' });
    res.end();
  },

  writeError(res: ServerResponse, error: NonNullable<Turn['error']>): void {
    res.writeHead(error.status, { 'content-type': 'application/json', ...error.headers });
    res.end(JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } }));
  },
};

function blocks(message: Message | undefined): Block[] {
  if (!message) return [];
  return typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
}

/** The prompt text of a user message: its text blocks without Claude Code's <system-reminder> blocks. */
function promptText(message: Message): string {
  return blocks(message)
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text!.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim())
    .filter(Boolean)
    .join('\n');
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: string }) => part.text ?? '').join('');
  return '';
}

function header(headers: Request['headers'], name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}
