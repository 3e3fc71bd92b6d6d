import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Queryable } from '../store/open.js';
import type { AgentRow } from './agents.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso, optionalText, requireText } from './input.js';
import { type Page, decodeCursor, pageLimit, toPage } from './pagination.js';
import { waitFor, type WaitOptions } from './waiting.js';

/**
 * Messages between agents. A direct message goes to one agent (by id or name, online or not);
 * a broadcast and a help request go to every agent registered when it was sent, except the
 * sender. Messages are kept in the store, so an agent that was offline reads them when it
 * returns (registering its old name again gives it its old id and inbox). Each reader's state is
 * a receipt: unread (none), `read` or `dismissed`.
 */
export type MessageKind = 'direct' | 'broadcast' | 'help';

export interface Message {
  id: string;
  kind: MessageKind;
  from: string | null;
  /** The sender's name, for people (null for an operator without an agent identity). */
  from_name: string | null;
  to: string | null;
  content: string;
  context: string | null;
  created_at: string | null;
  state: 'unread' | 'read' | 'dismissed';
}

interface MessageRow {
  seq: number;
  id: string;
  kind: MessageKind;
  from_agent: string | null;
  to_agent: string | null;
  content: string;
  context: string | null;
  created_at: number;
  state: 'read' | 'dismissed' | null;
  from_name: string | null;
}

const MAX_CONTENT = 100_000;

export class Messages {
  constructor(private readonly board: BoardContext) {}

  async send(from: string | null, to: string, content: string): Promise<Message> {
    const recipient = await this.board.agents.resolve(to);
    return this.insert('direct', from, recipient.id, requireText('content', content, MAX_CONTENT), null);
  }

  async broadcast(from: string | null, content: string): Promise<Message> {
    return this.insert('broadcast', from, null, requireText('content', content, MAX_CONTENT), null);
  }

  /** A broadcast asking for help, with the context a helper needs. */
  async requestHelp(from: string | null, question: string, context: string | null = null): Promise<Message> {
    return this.insert('help', from, null, requireText('question', question, MAX_CONTENT), optionalText('context', context, MAX_CONTENT));
  }

  /** The agent's unread messages, oldest first (`include_read` adds read, not dismissed, ones; `mark_read` marks those returned read). */
  async poll(agentRef: string, options: { include_read?: boolean; limit?: number; cursor?: string; mark_read?: boolean } = {}): Promise<Page<Message>> {
    const agent = await this.board.agents.resolve(agentRef);
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.inbox(this.board.db, agent, after, limit + 1, options.include_read ?? false);
    const page = toPage(rows, limit, (row) => row.seq, toMessage);
    if (!options.mark_read) return page;
    return { ...page, items: await this.received(agent.id, page.items) };
  }

  /**
   * Waits until the agent has an unread message, then returns its unread messages (up to
   * `limit`) and marks them read: waiting is receiving. An empty list means the time ran out.
   */
  async wait(agentRef: string, options: WaitOptions & { limit?: number }, abort?: AbortSignal): Promise<Message[]> {
    const agent = await this.board.agents.resolve(agentRef);
    const limit = pageLimit(options.limit);
    const rows = await waitFor(this.board.db, async () => {
      const found = await this.inbox(this.board.db, agent, 0, limit, false);
      return found.length > 0 ? found : null;
    }, options, abort);
    return rows ? this.received(agent.id, rows.map(toMessage)) : [];
  }

  /** The messages handed to the agent, its unread ones marked read in one transaction. */
  private async received(agentId: string, messages: Message[]): Promise<Message[]> {
    const unread = messages.filter((message) => message.state === 'unread');
    if (unread.length === 0) return messages;
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      for (const message of unread) await this.receipt(tx, message.id, agentId, 'read', now);
    });
    return messages.map((message) => (message.state === 'unread' ? { ...message, state: 'read' as const } : message));
  }

  markRead(agentRef: string, messageId: string): Promise<Message> {
    return this.setState(agentRef, messageId, 'read');
  }

  dismiss(agentRef: string, messageId: string): Promise<Message> {
    return this.setState(agentRef, messageId, 'dismissed');
  }

  private async setState(agentRef: string, messageId: string, state: 'read' | 'dismissed'): Promise<Message> {
    const agent = await this.board.agents.resolve(agentRef);
    const id = requireText('message_id', messageId, 200).trim();
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<MessageRow>(
        `SELECT m.*, r.state, f.name AS from_name FROM messages m
           LEFT JOIN message_receipts r ON r.message_id = m.id AND r.agent_id = ?
           LEFT JOIN agents f ON f.id = m.from_agent
         WHERE m.id = ? AND ${VISIBLE}`,
        [agent.id, id, agent.id, agent.registered_at, agent.id],
      );
      if (!row) {
        throw new OrchestratorError('not_found', `no message '${excerpt(id)}' in the inbox of ${agent.name}; 'orchestrate msg poll --all' lists it`);
      }
      if (row.state === 'dismissed' && state === 'read') return toMessage(row);
      await this.receipt(tx, id, agent.id, state, now);
      await appendEvent(tx, { type: `message.${state}`, subject: id, actor: agent.id }, now);
      return { ...toMessage(row), state };
    });
  }

  private async receipt(tx: Queryable, messageId: string, agentId: string, state: 'read' | 'dismissed', now: number): Promise<void> {
    await tx.exec(
      `INSERT INTO message_receipts (message_id, agent_id, state, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (message_id, agent_id) DO UPDATE SET state = excluded.state, at = excluded.at
       WHERE message_receipts.state <> 'dismissed'`,
      [messageId, agentId, state, now],
    );
  }

  private async inbox(db: Queryable, agent: AgentRow, after: number, limit: number, includeRead: boolean): Promise<MessageRow[]> {
    return db.query<MessageRow>(
      `SELECT m.*, r.state, f.name AS from_name FROM messages m
         LEFT JOIN message_receipts r ON r.message_id = m.id AND r.agent_id = ?
         LEFT JOIN agents f ON f.id = m.from_agent
       WHERE m.seq > ? AND ${VISIBLE}
         AND (r.state IS NULL OR (? = 1 AND r.state = 'read'))
       ORDER BY m.seq LIMIT ?`,
      [agent.id, after, agent.id, agent.registered_at, agent.id, includeRead ? 1 : 0, limit],
    );
  }

  private async insert(kind: MessageKind, fromRef: string | null, to: string | null, content: string, context: string | null): Promise<Message> {
    const sender = fromRef === null ? null : await this.board.agents.resolve(fromRef);
    const from = sender?.id ?? null;
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<MessageRow>(
        `INSERT INTO messages (id, kind, from_agent, to_agent, content, context, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [newId('msg', now), kind, from, to, content, context, now],
      );
      await appendEvent(tx, { type: `message.${kind === 'direct' ? 'sent' : kind}`, subject: to ?? 'all', actor: from, data: { id: row!.id } }, now);
      return toMessage({ ...row!, state: null, from_name: sender?.name ?? null });
    });
  }
}

/** Messages an agent may see: sent to it, or broadcast since it registered by someone else. */
const VISIBLE = `(m.to_agent = ? OR (m.to_agent IS NULL AND m.created_at >= ? AND (m.from_agent IS NULL OR m.from_agent <> ?)))`;

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    kind: row.kind,
    from: row.from_agent,
    from_name: row.from_name,
    to: row.to_agent,
    content: row.content,
    context: row.context,
    created_at: iso(row.created_at),
    state: row.state ?? 'unread',
  };
}
