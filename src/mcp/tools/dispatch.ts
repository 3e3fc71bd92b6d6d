import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool } from '../tool.js';

export const agentKind = z.enum(['claude', 'codex', 'gemini', 'command']);

export default defineTool({
  name: 'dispatch',
  description:
    'Run one agent on a prompt in the background (claude, codex, gemini, or any command) and return its dispatch_id at once; get_dispatch_result waits for the answer. The prompt is the whole instruction: the agent knows nothing else. For agent "command", argv is the program and its arguments ("{prompt}" marks where the prompt goes); for the others, argv adds CLI arguments.',
  input: {
    agent: agentKind,
    prompt: z.string().min(1).max(200_000),
    cwd: z.string().optional().describe('the folder it works in (default: the project root)'),
    model: z.string().optional(),
    timeout_s: z.number().int().min(1).max(86_400).optional().describe('stop it after this many seconds'),
    argv: z.array(z.string()).optional(),
    interactive: z.boolean().optional().describe('keep a Claude Code session open for follow-up prompts (respond_to_process)'),
    approvals: z.boolean().optional().describe("ask the board before each tool use that needs permission (Claude Code); answer with 'orchestrate approvals' or answer_approval"),
    role: z.string().optional().describe('the role whose approval policy applies'),
  },
  async run(args, context) {
    const record = await context.dispatcher().dispatch({ ...args, cwd: args.cwd ?? '.' }, context.maybeAgent());
    const view = dispatchView(record);
    return { dispatch_id: view.dispatch_id, status: view.status };
  },
});
