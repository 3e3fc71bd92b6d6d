import { excerpt, OrchestratorError } from '../../core/errors.js';
import type { SessionScope } from '../../board/session-context.js';
import { flag, flagOrArg, required, type Call, type Handler } from '../call.js';
import { moreHint, table } from '../format.js';

/** `orchestrate context …`: the session scope of context (this project; --session, default your agent name). */
async function scope(call: Call): Promise<SessionScope> {
  return { project: call.settings.projectRoot.value, session: flag(call, 'session') ?? (await (await call.board()).sessionContext.sessionName(call.maybeAgent())) };
}

const key = (call: Call) => required(flagOrArg(call, 'key'), 'the key', 'the key as the argument');

export const set: Handler = async (call) => {
  const name = key(call);
  const value = flag(call, 'value') ?? call.positionals[flag(call, 'key') === undefined ? 1 : 0];
  if (value === undefined) throw new OrchestratorError('invalid_input', 'the value is missing: pass it after the key, or --value "<text>"');
  const expected = flag(call, 'expected-version');
  const entry = await (await call.board()).sessionContext.set(await scope(call), name, value, { expected_version: expected === undefined ? undefined : (expected as never) });
  return { data: entry, text: `${entry.session}: ${entry.key} = ${entry.value} (version ${entry.version})` };
};

export const get: Handler = async (call) => {
  const where = await scope(call);
  const entry = await (await call.board()).sessionContext.get(where, key(call));
  if (!entry) throw new OrchestratorError('not_found', `no key '${excerpt(key(call))}' in session '${excerpt(where.session)}'; 'orchestrate context list' shows them`);
  return { data: entry, text: entry.value };
};

export const list: Handler = async (call) => {
  const where = await scope(call);
  const page = await (await call.board()).sessionContext.list(where, { limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  return { data: page, text: `session ${where.session}\n${table(['KEY', 'VERSION', 'VALUE'], page.items.map((e) => [e.key, e.version, e.value.replace(/\s+/g, ' ').slice(0, 70)]), 'nothing kept')}${moreHint(page.next_cursor)}` };
};

export const clear: Handler = async (call) => {
  const where = await scope(call);
  const result = await (await call.board()).sessionContext.clear(where, flagOrArg(call, 'key'));
  return { data: result, text: `cleared ${result.cleared} ${result.cleared === 1 ? 'entry' : 'entries'} of session ${where.session}` };
};
