import type { ToolDefinition } from './tool.js';

/**
 * Arguments as the earlier designs' prompts and scripts name them, rewritten to ours before the
 * schema check, so their calls work unchanged while the published schemas stay ours. Design E
 * v0.2 named the caller on every call (`instance_id`: the call acts as that agent, as it did
 * there), the recipient `to_instance`, and waits `timeout_seconds`; a tool's own `accept` maps
 * the rest (design A's names). A name the tool itself takes is never rewritten.
 */
const RENAMES: Record<string, string> = { to_instance: 'to', timeout_seconds: 'timeout' };

export function acceptAliases(tool: ToolDefinition, raw: unknown): { args: unknown; actAs: string | null } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { args: raw, actAs: null };
  let args: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  const takes = (name: string) => Object.hasOwn(tool.input, name);
  let actAs: string | null = null;
  if (!takes('instance_id') && typeof args.instance_id === 'string' && args.instance_id.trim() !== '') {
    actAs = args.instance_id.trim();
    delete args.instance_id;
  }
  for (const [old, ours] of Object.entries(RENAMES)) {
    if (Object.hasOwn(args, old) && !takes(old) && takes(ours) && !Object.hasOwn(args, ours)) {
      args[ours] = args[old];
      delete args[old];
    }
  }
  if (tool.accept) args = tool.accept(args);
  return { args, actAs };
}

/** Moves `old` to `ours` when the caller used the old name only. */
export function rename(args: Record<string, unknown>, old: string, ours: string): Record<string, unknown> {
  if (!Object.hasOwn(args, old) || Object.hasOwn(args, ours)) return args;
  const { [old]: value, ...rest } = args;
  return { ...rest, [ours]: value };
}

/** Design A's steps as plain strings: each is a step with that title (its first line) and instructions. */
export function plainSteps(args: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(args.steps)) return args;
  const steps = args.steps.map((step) => (typeof step === 'string' ? { title: (step.split('\n')[0] ?? step).slice(0, 200) || 'step', instructions: step } : step));
  return { ...args, steps };
}
