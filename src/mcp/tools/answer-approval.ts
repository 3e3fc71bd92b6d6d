import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'answer_approval',
  description: 'Allow or deny a pending permission request of a worker (list_approvals shows them).',
  input: { approval_id: z.string().min(1), decision: z.enum(['allow', 'deny']), reason: z.string().max(2000).optional() },
  run: (args, context) => context.board.approvals.decide(args.approval_id, args.decision === 'allow' ? 'allowed' : 'denied', context.maybeAgent() ?? 'mcp', args.reason ?? null),
});
