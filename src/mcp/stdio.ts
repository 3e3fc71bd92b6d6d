import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { boundReply, checkMessage, errorReply, INVALID_REQUEST, MAX_MESSAGE_BYTES, PARSE_ERROR, type ErrorReply } from './wire.js';

/**
 * The stdio transport of `orchestrate mcp`: one JSON-RPC message per line each way. It never gives
 * up on its input: a line over MAX_MESSAGE_BYTES is skipped to its end and answered with an error,
 * a line that is not JSON or not a message gets the JSON-RPC error that says so (wire.ts), and a
 * reply too large for a client becomes an error too. The session ends only when stdin does.
 */
export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** The line under way: its text so far (a character split between chunks waits in the decoder) and its size in bytes. */
  private text = '';
  private readonly decoder = new StringDecoder('utf8');
  private size = 0;
  /** The line under way was too long: the rest of it is dropped, but its start and end are kept to find its id. */
  private skipping = false;
  private skippedHead = '';
  private skippedTail = '';
  private closed = false;

  constructor(private readonly input: Readable, private readonly output: Writable) {}

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('error', this.onInputError);
    this.output.on('error', this.onOutputError);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    await this.write(boundReply(message, JSON.stringify(message)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('error', this.onInputError);
    this.output.off('error', this.onOutputError);
    this.text = '';
    this.onclose?.();
  }

  private readonly onInputError = (error: Error): void => {
    this.onerror?.(error);
  };

  /** The client closed its end (EPIPE): nothing more can be said; the session ends with stdin. */
  private readonly onOutputError = (): void => undefined;

  private readonly onData = (chunk: Buffer | string): void => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (;;) {
      const end = data.indexOf(10, start);
      if (end < 0) {
        this.take(data.subarray(start));
        return;
      }
      this.take(data.subarray(start, end));
      this.endLine();
      start = end + 1;
    }
  };

  private take(part: Buffer): void {
    if (part.length === 0) return;
    if (this.skipping) {
      this.skippedTail = (this.skippedTail + part.subarray(-ID_WINDOW).toString('latin1')).slice(-ID_WINDOW);
      return;
    }
    if (this.size + part.length > MAX_MESSAGE_BYTES) {
      this.skipping = true;
      this.skippedHead = (this.text + part.subarray(0, ID_WINDOW).toString('latin1')).slice(0, ID_WINDOW);
      this.skippedTail = part.subarray(-ID_WINDOW).toString('latin1');
      this.text = '';
      this.decoder.end();
      this.size = 0;
      return;
    }
    this.text += this.decoder.write(part);
    this.size += part.length;
  }

  private endLine(): void {
    if (this.skipping) {
      this.skipping = false;
      // The request's id, so that its sender is answered instead of waiting forever.
      const id = idAtEdge(this.skippedHead, this.skippedTail);
      this.skippedHead = '';
      this.skippedTail = '';
      void this.reply(errorReply(id, INVALID_REQUEST, `a message over ${MAX_MESSAGE_BYTES} bytes was skipped; send smaller ones`));
      return;
    }
    const line = (this.text + this.decoder.end()).replace(/\r$/, '');
    this.text = '';
    this.size = 0;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      void this.reply(errorReply(null, PARSE_ERROR, `the line is not JSON (${(error as Error).message.split('\n')[0]})`));
      return;
    }
    const checked = checkMessage(value);
    if ('message' in checked) this.onmessage?.(checked.message);
    else if (checked.reply) void this.reply(checked.reply);
  }

  private reply(reply: ErrorReply): Promise<void> {
    return this.write(JSON.stringify(reply));
  }

  private write(text: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      // A client that went away makes the write fail; the session then ends with stdin.
      if (this.output.write(`${text}\n`, () => resolve())) return;
      this.output.once('drain', () => resolve());
    });
  }
}

/** How much of a skipped line's start and end is kept: enough for `"jsonrpc":"2.0","id":…`. */
const ID_WINDOW = 256;

/**
 * The id of a message too large to read, from where clients put it: first after "jsonrpc" (most
 * clients), or last (the MCP SDK). An "id" anywhere else may belong to the arguments: not used.
 */
function idAtEdge(head: string, tail: string): string | number | null {
  const value = String.raw`(-?\d{1,15}|"(?:[^"\\]|\\.){0,100}")`;
  const found = new RegExp(String.raw`^\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*${value}`).exec(head) ?? new RegExp(String.raw`"id"\s*:\s*${value}\s*\}\s*\r?$`).exec(tail);
  if (!found) return null;
  return found[1]!.startsWith('"') ? (JSON.parse(found[1]!) as string) : Number(found[1]);
}
