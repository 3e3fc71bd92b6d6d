import { decimal } from '../../core/numbers.js';
import type { Readable } from 'node:stream';
import type { Reminder } from '../../board/reminders.js';
import { OrchestratorError } from '../../core/errors.js';
import { flag, flagOrArg, list, required, type Handler } from '../call.js';
import { moreHint, table } from '../format.js';

const rows = (reminders: Reminder[]) => reminders.map((r) => [r.id, r.trigger === 'keyword' ? `keyword: ${r.words.join(', ')}` : r.trigger === 'event' ? `event: ${r.event}` : 'always', r.once ? 'once' : '', r.fired_count, r.text.slice(0, 60)]);
const HEADERS = ['ID', 'TRIGGER', 'ONCE', 'FIRED', 'TEXT'];

/** `orchestrate reminder set "<text>" --keyword a,b | --event SessionStart | --always [--once] [--expires-in S]`. */
export const set: Handler = async (call) => {
  const text = required(flagOrArg(call, 'text'), 'the reminder', 'its text as the argument');
  const words = list(flag(call, 'keyword'));
  const event = flag(call, 'event');
  const chosen = [words && 'keyword', event && 'event', call.values.always && 'always'].filter(Boolean) as ('keyword' | 'event' | 'always')[];
  if (chosen.length !== 1) throw new OrchestratorError('invalid_input', 'say when it fires with exactly one of --keyword <words>, --event <hook event>, --always');
  const expires = flag(call, 'expires-in');
  const expiresIn = expires === undefined ? undefined : decimal('--expires-in', expires);
  if (expiresIn !== undefined && !(expiresIn > 0)) throw new OrchestratorError('invalid_input', `--expires-in must be a positive number of seconds, not '${expires}'`);
  const reminder = await (await call.board()).reminders.set({ text, trigger: chosen[0]!, words, match: call.values.substring ? 'substring' : 'word', event, once: Boolean(call.values.once), expires_in_s: expiresIn }, call.maybeAgent());
  return { data: reminder, text: `${reminder.id}: ${rows([reminder])[0]![1]}` };
};

export const listReminders: Handler = async (call) => {
  const page = await (await call.board()).reminders.list({ all: Boolean(call.values.all), limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  return { data: page, text: table(HEADERS, rows(page.items), 'no reminders') + moreHint(page.next_cursor) };
};

/**
 * `orchestrate reminder match --context "…" [--event E] [--no-fire]`, or `--hook` as a Claude Code
 * hook: the hook's JSON comes on stdin; UserPromptSubmit injects the keyword (and
 * UserPromptSubmit-event) reminders its prompt fires, SessionStart the `always` and SessionStart
 * ones, as additional context. Nothing fires: nothing is printed.
 */
export const match: Handler = async (call) => {
  const board = await call.board();
  if (call.values.hook) {
    const input = parseHookInput(await readAll(call.io.stdin as Readable));
    const event = input.hook_event_name;
    const fired = await board.reminders.match({ context: event === 'UserPromptSubmit' ? input.prompt ?? '' : '', event, always: event === 'SessionStart', fire: true });
    if (fired.length === 0) return { data: null, text: null };
    const context = `Reminders from the orchestrator board:\n${fired.map((r) => `- ${r.text}`).join('\n')}`;
    return { data: null, text: JSON.stringify({ hookSpecificOutput: { hookEventName: event, additionalContext: context } }) };
  }
  const fired = await board.reminders.match({ context: flag(call, 'context') ?? '', event: flag(call, 'event'), always: true, fire: !call.values['no-fire'] });
  return { data: fired, text: table(HEADERS, rows(fired), 'no reminder fires') };
};

export const dismiss: Handler = async (call) => {
  const reminder = await (await call.board()).reminders.dismiss(required(flagOrArg(call, 'id'), 'the reminder', 'its id as the argument'), call.maybeAgent());
  return { data: reminder, text: `dismissed ${reminder.id}` };
};

function parseHookInput(text: string): { hook_event_name: string; prompt?: string } {
  try {
    const value = JSON.parse(text) as { hook_event_name?: unknown; prompt?: unknown };
    if (typeof value.hook_event_name === 'string') return { hook_event_name: value.hook_event_name, prompt: typeof value.prompt === 'string' ? value.prompt : undefined };
  } catch {
    // reported below
  }
  throw new OrchestratorError('invalid_input', '--hook reads a Claude Code hook event as JSON on stdin (with hook_event_name); run it from a hook, or use --context');
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}
