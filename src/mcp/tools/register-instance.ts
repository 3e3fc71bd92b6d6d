import { z } from 'zod';
import { OrchestratorError } from '../../core/errors.js';
import { AGENT_KINDS } from '../../board/roles.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'register_instance',
  description: 'Join the board as an agent (this session becomes that agent). Names are unique among online agents; registering a name that went offline takes it back with its inbox.',
  alwaysLoad: true,
  input: {
    name: z.string().min(1).max(100).optional().describe('your agent name (default: the name this session was configured with)'),
    role: z.string().optional().describe('architect, implementer (developer), tester, reviewer, devops, documenter, generalist, leader, or a custom word'),
    kind: z.enum(AGENT_KINDS).optional().describe('what runs this agent (default claude)'),
    work_dir: z.string().optional().describe('the folder you work in'),
    metadata: z.record(z.string(), z.unknown()).optional(),
  },
  async run(args, context) {
    const current = context.maybeAgent();
    const registered = current === null || current === context.configuredAgent() ? null : await context.board.agents.get(current);
    const name = args.name ?? registered?.name ?? context.configuredAgent();
    if (!name) throw new OrchestratorError('invalid_input', 'name is required: pass the name this agent should have on the board');
    try {
      const agent = await context.board.agents.register({ ...args, name });
      context.setAgent(agent.id);
      return agent;
    } catch (error) {
      // Already online under this session's own name (registered earlier in this session, or
      // by the SessionStart hook for the configured name): that agent is us, so renew it.
      const ours = name === context.configuredAgent() || name === registered?.name;
      if (!(error instanceof OrchestratorError && error.code === 'name_taken' && ours)) throw error;
      const agent = await context.board.agents.heartbeat(name);
      context.setAgent(agent.id);
      return agent;
    }
  },
});
