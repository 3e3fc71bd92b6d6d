import { excerpt, OrchestratorError } from '../../core/errors.js';
import { flag, flagOrArg, required, seconds, type Call, type Handler } from '../call.js';
import { moreHint, table } from '../format.js';

function key(call: Call): string {
  return required(flagOrArg(call, 'key'), 'the key', '--key <key> or the key as the argument');
}

function expectedVersion(call: Call): number | undefined {
  const value = flag(call, 'expected-version');
  return value === undefined ? undefined : (value as never);
}

export const set: Handler = async (call) => {
  const name = key(call);
  const value = flag(call, 'value') ?? call.positionals[flag(call, 'key') === undefined ? 1 : 0];
  if (value === undefined) throw new OrchestratorError('invalid_input', 'the value is missing: pass --value "<text>"');
  const entry = await (await call.board()).context.set(name, value, { expected_version: expectedVersion(call), actor: call.maybeAgent() });
  return { data: entry, text: `${entry.key} = ${entry.value} (version ${entry.version})` };
};

export const get: Handler = async (call) => {
  const name = key(call);
  const entry = await (await call.board()).context.get(name);
  if (!entry) throw new OrchestratorError('not_found', `no context key '${excerpt(name)}'; 'orchestrate ctx list' shows the keys`);
  return { data: entry, text: entry.value };
};

export const remove: Handler = async (call) => {
  const entry = await (await call.board()).context.delete(key(call), { expected_version: expectedVersion(call), actor: call.maybeAgent() });
  return { data: entry, text: `deleted ${entry.key} (was version ${entry.version})` };
};

export const list: Handler = async (call) => {
  const page = await (await call.board()).context.listKeys({ prefix: flag(call, 'prefix'), limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  return { data: page, text: table(['KEY', 'VERSION', 'UPDATED', 'BY'], page.items.map((k) => [k.key, k.version, k.updated_at, k.updated_by]), 'no keys') + moreHint(page.next_cursor) };
};

export const watch: Handler = async (call) => {
  const timeoutMs = seconds(flag(call, 'timeout'), 'timeout', 30);
  const name = key(call);
  const change = await (await call.board()).context.watch(name, {
    timeout_ms: timeoutMs,
    onWaiting: () => call.progress(`waiting up to ${timeoutMs / 1000} s for '${name}' to change…`),
  });
  const text = change === null ? `no change within ${timeoutMs / 1000} s` : change.deleted ? `${change.key} was deleted` : `${change.key} = ${change.value} (version ${change.version})`;
  return { data: change, text };
};
