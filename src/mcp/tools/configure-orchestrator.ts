import { z } from 'zod';
import { defineTool } from '../tool.js';

const list = z.array(z.string().min(1));

export default defineTool({
  name: 'configure_orchestrator',
  description:
    'Change how the runner runs agents, for every orchestrator process on this board: concurrency (global and per agent kind), idle and total timeouts, default models per agent kind, and the approval policy (allow/deny lists of tool names per role, "*" for every role; "*" in a name matches anything). Pass only what changes; returns all settings.',
  input: {
    concurrency: z.number().int().min(1).max(256).optional(),
    per_kind: z.record(z.string(), z.number().int().min(0).max(256)).optional(),
    idle_timeout_s: z.number().int().min(1).max(86_400).optional(),
    total_timeout_s: z.number().int().min(1).max(604_800).optional(),
    models: z.record(z.string(), z.string().min(1)).optional(),
    approval_timeout_s: z.number().int().min(1).max(86_400).optional(),
    approval_policy: z.record(z.string(), z.strictObject({ allow: list.optional(), deny: list.optional() })).optional(),
  },
  run: (args, context) => context.board.runnerSettings.set(args),
});
