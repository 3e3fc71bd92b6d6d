import type { Board } from '../board/board.js';
import type { Message } from '../board/messages.js';
import type { Dispatcher } from '../runner/dispatcher.js';
import type { AgentEvent } from '../runner/events.js';
import { WORKER_TOOLS, writeAccess } from './run-support.js';

/**
 * Design E v0.3's persistent worker (`orchestrate register --name N --work-dir DIR`): the agent
 * N is on the board while this process runs (its presence, not a heartbeat), and each direct
 * message to it becomes one agent run in DIR — Claude Code by default, or a command — whose
 * answer goes back to the sender as a message naming the process (`orchestrate logs <id>` shows
 * its whole log). Messages are taken one at a time, oldest first; an idle worker sleeps on the
 * board's change signal. Broadcasts and help requests are read, not run: they ask people. A run
 * that fails answers with what failed. Ctrl-C or SIGTERM stops it: a running agent is stopped,
 * and the agent unregisters.
 */
export interface InboxWorkerDeps {
  board: Board;
  dispatcher: Dispatcher;
  /** The registered agent whose inbox this is. */
  agentId: string;
  workDir: string;
  /** A command agent (program and arguments; `{prompt}` marks where the message goes), or null for Claude Code. */
  command: string[] | null;
  model: string | null;
  onProgress?: (line: string) => void;
  onAgentEvent?: (source: string, event: AgentEvent) => void;
  signal: AbortSignal;
}

/** How long an idle worker sleeps before it looks again (a wake-up may be missed across an outage). */
const IDLE_WAIT_MS = 60_000;

export async function runInboxWorker(deps: InboxWorkerDeps): Promise<{ answered: number; failed: number }> {
  const { board, agentId, signal } = deps;
  const release = board.presence.keep(agentId);
  const totals = { answered: 0, failed: 0 };
  try {
    while (!signal.aborted) {
      const messages = await board.messages.wait(agentId, { timeout_ms: IDLE_WAIT_MS }, signal);
      for (const message of messages) {
        if (signal.aborted) break;
        if (message.kind !== 'direct') continue;
        const ok = await answer(deps, message);
        if (ok === null) break;
        totals[ok ? 'answered' : 'failed']++;
      }
    }
  } finally {
    release();
    await board.agents.unregister(agentId).catch(() => undefined);
  }
  return totals;
}

/** Runs the agent on one message and sends its answer back; null when stopped meanwhile. */
async function answer(deps: InboxWorkerDeps, message: Message): Promise<boolean | null> {
  const sender = message.from_name ?? message.from ?? 'a person';
  deps.onProgress?.(`${message.id} from ${sender}: ${message.content.split('\n')[0]!.slice(0, 80)}`);
  const prompt = deps.command
    ? message.content
    : `A message from ${sender}, sent to you through the orchestrator board:\n\n${message.content}\n\nDo what it asks in this folder. Your final answer is sent back to ${sender} as the reply.`;
  const result = await deps.dispatcher.run(
    {
      agent: deps.command ? 'command' : 'claude',
      prompt,
      cwd: deps.workDir,
      ...(deps.command ? { argv: deps.command } : { model: deps.model ?? undefined, ...writeAccess('claude', WORKER_TOOLS) }),
    },
    deps.agentId,
    { signal: deps.signal, onEvent: deps.onAgentEvent ? (event) => deps.onAgentEvent!(message.id, event) : undefined },
  );
  const { outcome } = result;
  if (outcome.kind === 'killed' && deps.signal.aborted) return null;
  const processId = result.processIds[result.processIds.length - 1];
  const text = outcome.kind === 'ok' ? outcome.message.trim() || '(the agent ended without an answer)' : `the run did not succeed: ${outcome.kind}: ${outcome.message}`;
  const reply = `${text.slice(0, 50_000)}\n\n(re: ${message.id}; log: orchestrate logs ${processId})`;
  if (message.from) await deps.board.messages.send(deps.agentId, message.from, reply);
  deps.onProgress?.(`${message.id}: ${outcome.kind}${message.from ? `, answered ${sender}` : ', no sender to answer'}`);
  return outcome.kind === 'ok';
}
