import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * What comes in on the wire is checked before the MCP SDK sees it, and what goes out is bounded,
 * for both transports (stdio.ts, http.ts). Every message the protocol cannot take gets a JSON-RPC
 * error in one readable line — never silence, never a stack or a schema dump, never the input
 * echoed back at length — and the server goes on.
 */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Clients drop a line over 10 MB; a reply stays well under it (pages end early long before). */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024;
const MAX_DEPTH = 64;

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;

export interface ErrorReply {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

export function errorReply(id: string | number | null, code: number, message: string): ErrorReply {
  return { jsonrpc: '2.0', id, error: { code, message: short(message) } };
}

/** A message the protocol can take, or the error to answer it with (null: a notification, nothing to answer). */
export type Checked = { message: JSONRPCMessage } | { reply: ErrorReply | null };

/** Checks one parsed message (the text of one stdio line or one HTTP body). */
export function checkMessage(value: unknown): Checked {
  if (Array.isArray(value)) return { reply: errorReply(null, INVALID_REQUEST, 'batches are not supported: send one JSON-RPC message at a time') };
  if (value === null || typeof value !== 'object') return { reply: errorReply(null, INVALID_REQUEST, 'a JSON-RPC message is an object with "jsonrpc": "2.0"') };
  const fields = value as Record<string, unknown>;
  const id = typeof fields.id === 'string' || typeof fields.id === 'number' ? fields.id : null;
  const answer = (code: number, message: string): Checked => ({ reply: 'method' in fields && !('id' in fields) ? null : errorReply(id, code, message) });
  const shape = scan(value);
  if (shape.depth > MAX_DEPTH) return answer(INVALID_REQUEST, `the message is nested more than ${MAX_DEPTH} levels deep`);
  if (shape.nul) return answer(INVALID_PARAMS, 'a text in the message holds a NUL character, which nothing on the board can keep; remove it');
  if (shape.proto) return answer(INVALID_PARAMS, 'an object in the message has a key named __proto__, which would be dropped; use another name');
  if (fields.jsonrpc !== '2.0') return answer(INVALID_REQUEST, 'the message needs "jsonrpc": "2.0"');
  if ('id' in fields && id === null && fields.id !== null) return answer(INVALID_REQUEST, 'the id must be a string or a number');
  if (!('method' in fields) && !('result' in fields) && !('error' in fields)) return answer(INVALID_REQUEST, 'the message has no method (nor a result or an error)');
  if ('method' in fields && typeof fields.method !== 'string') return answer(INVALID_REQUEST, 'the method must be a string');
  if (fields.method === 'tools/call') {
    const params = fields.params as Record<string, unknown> | undefined;
    if (!params || typeof params !== 'object' || Array.isArray(params) || typeof params.name !== 'string') return answer(INVALID_PARAMS, 'tools/call needs params {"name": "<tool>", "arguments": {…}}');
    if (params.arguments !== undefined && (params.arguments === null || typeof params.arguments !== 'object' || Array.isArray(params.arguments))) {
      return answer(INVALID_PARAMS, `the arguments of ${short(params.name, 80)} must be a JSON object of named arguments`);
    }
  }
  const parsed = JSONRPCMessageSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return answer(INVALID_REQUEST, `not a JSON-RPC request, notification or response${issue ? ` (${issue.path.join('.') || 'message'}: ${issue.message})` : ''}`);
  }
  return { message: parsed.data };
}

/** A reply too large for a client to take becomes an error that says how to ask for less. */
export function boundReply(message: JSONRPCMessage, text: string): string {
  if (Buffer.byteLength(text) <= MAX_REPLY_BYTES) return text;
  const id = 'id' in message && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : null;
  return JSON.stringify(errorReply(id, INTERNAL_ERROR, `the reply was ${Buffer.byteLength(text)} bytes, over the ${MAX_REPLY_BYTES} a reply may have; ask for fewer rows (limit) or a narrower filter`));
}

/**
 * How deeply a value nests, and whether a text in it holds a NUL character or an object a
 * `__proto__` key — walked without recursion (a hostile value may be deeper than the stack).
 */
function scan(value: unknown): { depth: number; nul: boolean; proto: boolean } {
  const found = { depth: 0, nul: false, proto: false };
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, level] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) found.nul = true;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    found.depth = Math.max(found.depth, level);
    if (found.depth > MAX_DEPTH) return found;
    if (!Array.isArray(current) && Object.prototype.hasOwnProperty.call(current, '__proto__')) found.proto = true;
    for (const [key, child] of Object.entries(current as Record<string, unknown>)) {
      if (key.includes('\u0000')) found.nul = true;
      stack.push([child, level + 1]);
    }
  }
  return found;
}

/** At most `max` characters of a text (an error never echoes a megabyte of input back). */
function short(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
