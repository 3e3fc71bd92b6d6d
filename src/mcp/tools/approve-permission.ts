import { z } from 'zod';
import { matchesTool } from '../../board/approvals.js';
import { defineTool } from '../tool.js';

/** Claude Code's --permission-prompt-tool: it asks here before a tool use that needs permission. */
export default defineTool({
  name: 'approve_permission',
  description:
    'Asked by Claude Code (--permission-prompt-tool mcp__orchestrator__approve_permission) before a tool use that needs permission. The role\'s policy answers at once when it names the tool; otherwise the request waits on the board for a person (orchestrate approvals allow|deny) and is denied when nobody answers in time.',
  textOnly: true,
  input: {
    tool_name: z.string().min(1),
    input: z.unknown().optional(),
    tool_use_id: z.string().optional(),
  },
  async run(args, context) {
    const { board } = context;
    const caller = context.maybeAgent();
    const agent = caller === null ? null : await board.agents.get(caller).catch(() => null);
    const role = agent?.role ?? null;
    const config = await board.runnerSettings.get();
    // Own keys only: a role named like an Object method ('constructor') must not find one.
    const own = (key: string) => (Object.hasOwn(config.approval_policy, key) ? config.approval_policy[key] : undefined);
    const policy = [own(role ?? ''), own('*')].filter((p) => p !== undefined);
    const request = await board.approvals.request({ agent: agent?.id ?? caller, role, tool_name: args.tool_name, input: args.input ?? {}, tool_use_id: args.tool_use_id ?? null });
    const denied = policy.some((p) => matchesTool(p.deny ?? [], args.tool_name));
    const allowed = !denied && policy.some((p) => matchesTool(p.allow ?? [], args.tool_name));
    const answer = denied || allowed
      ? await board.approvals.decide(request.id, denied ? 'denied' : 'allowed', 'policy', `the ${role ?? '*'} policy ${denied ? 'denies' : 'allows'} ${args.tool_name}`)
      : await board.approvals.awaitDecision(request.id, config.approval_timeout_s * 1000, context.signal);
    if (answer.state === 'allowed') return { behavior: 'allow', updatedInput: args.input ?? {} };
    return { behavior: 'deny', message: `${args.tool_name} was denied (${answer.decided_by}${answer.reason ? `: ${answer.reason}` : ''})` };
  },
});
