import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'create_team',
  description: 'Create a team: a name, its goal, and the roles it needs, each with a count and the agent CLI that fills it. Its work is the tasks labelled team:<name>; `orchestrate team up <name>` starts its workers.',
  // Design A: agents [{ name, role, model }], one entry per agent; model "codex" | "gemini" names
  // the CLI (a Claude model name means Claude Code). Agents of one role and CLI become one role
  // with their count; their names are not kept (team up names its workers).
  accept(args) {
    const { agents, ...rest } = args;
    if (!Array.isArray(agents) || rest.roles !== undefined) return args;
    const roles = new Map<string, { role: unknown; count: number; agent: string }>();
    for (const entry of agents as { role?: unknown; model?: unknown }[]) {
      const agent = typeof entry?.model === 'string' && ['codex', 'gemini', 'command'].includes(entry.model) ? entry.model : 'claude';
      const key = JSON.stringify([entry?.role, agent]);
      const found = roles.get(key);
      if (found) found.count += 1;
      else roles.set(key, { role: entry?.role, count: 1, agent });
    }
    return { ...rest, roles: [...roles.values()] };
  },
  input: {
    name: z.string().min(1),
    goal: z.string().min(1),
    roles: z.array(z.strictObject({
      role: z.string().min(1).max(40),
      count: z.int().min(1).max(20).optional().describe('how many agents (default 1)'),
      agent: z.enum(['claude', 'codex', 'gemini', 'command']).optional().describe('the CLI its workers run (default claude)'),
    })).min(1),
  },
  run: (args, context) => context.board.teams.create(args, context.maybeAgent()),
});
