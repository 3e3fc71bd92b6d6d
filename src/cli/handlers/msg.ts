import { OrchestratorError } from '../../core/errors.js';
import type { Message } from '../../board/messages.js';
import { flag, flagOrArg, required, seconds, type Call, type Handler } from '../call.js';
import { moreHint, table } from '../format.js';

function content(call: Call): string {
  return required(flag(call, 'content'), 'the message', '--content "<text>"');
}

export const send: Handler = async (call) => {
  const board = await call.board();
  const named = flag(call, 'to') ?? flag(call, 'to-name');
  // Design E's mentions: @Tom is Tom, @all is everyone.
  if (call.values.broadcast || named === '@all') return broadcast(call);
  const to = named?.replace(/^@(?=.)/, '');
  if (!to) throw new OrchestratorError('invalid_input', 'the recipient is missing: pass --to <agent id>, --to-name <name> (or @name, @all), or --broadcast');
  const message = await board.messages.send(call.maybeAgent(), to, content(call));
  return { data: message, text: `sent ${message.id} to ${to}` };
};

export const broadcast: Handler = async (call) => {
  const message = await (await call.board()).messages.broadcast(call.maybeAgent(), content(call));
  return { data: message, text: `broadcast ${message.id}` };
};

export const help: Handler = async (call) => {
  const question = required(flag(call, 'question') ?? flag(call, 'content'), 'the question', '--question "<what you need>"');
  const message = await (await call.board()).messages.requestHelp(call.maybeAgent(), question, flag(call, 'context') ?? null);
  return { data: message, text: `asked for help: ${message.id}` };
};

/** Your unread messages, marked read as they are returned (design E's poll); --peek leaves them unread. */
export const poll: Handler = async (call) => {
  const page = await (await call.board()).messages.poll(call.agent(), { include_read: call.values.all === true, limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor'), mark_read: call.values.peek !== true });
  return { data: page, text: messageTable(page.items) + moreHint(page.next_cursor) };
};

export const wait: Handler = async (call) => {
  const timeoutMs = seconds(flag(call, 'timeout'), 'timeout', 30);
  const messages = await (await call.board()).messages.wait(call.agent(), {
    timeout_ms: timeoutMs,
    limit: flag(call, 'limit') as never,
    onWaiting: () => call.progress(`waiting up to ${timeoutMs / 1000} s for a message…`),
  });
  return { data: messages, text: messages.length > 0 ? messageTable(messages) : `no message within ${timeoutMs / 1000} s` };
};

export const read: Handler = async (call) => {
  const id = required(flagOrArg(call, 'message-id'), 'the message id', '--message-id <id>');
  const message = await (await call.board()).messages.markRead(call.agent(), id);
  return { data: message, text: `read ${message.id}` };
};

export const dismiss: Handler = async (call) => {
  const id = required(flagOrArg(call, 'message-id'), 'the message id', '--message-id <id>');
  const message = await (await call.board()).messages.dismiss(call.agent(), id);
  return { data: message, text: `dismissed ${message.id}` };
};

function messageTable(messages: Message[]): string {
  return table(['ID', 'KIND', 'FROM', 'AT', 'STATE', 'CONTENT'], messages.map((m) => [m.id, m.kind, m.from_name ?? m.from ?? 'operator', m.created_at, m.state, m.context ? `${m.content} — ${m.context}` : m.content]), 'no messages');
}
