import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { rename } from '../aliases.js';
import { defineTool } from '../tool.js';

const KINDS = ['claude', 'codex', 'gemini', 'command'];
export const agentKind = z.enum(['claude', 'codex', 'gemini', 'command']);
const renameTimeout = (options: Record<string, unknown>) => rename(rename(options, 'timeout', 'timeout_s'), 'timeout_seconds', 'timeout_s');

export default defineTool({
  name: 'dispatch',
  description:
    'Run one agent on a prompt in the background (claude, codex, gemini, or any command) and return its dispatch_id at once; get_dispatch_result waits for the answer. The prompt is the whole instruction: the agent knows nothing else. For agent "command", argv is the program and its arguments ("{prompt}" marks where the prompt goes); for the others, argv adds CLI arguments.',
  // Design A: model "codex" | "gemini" | "claude" named the CLI, and options held the rest.
  accept(args) {
    const { options, ...rest } = args;
    const merged: Record<string, unknown> = options !== null && typeof options === 'object' && !Array.isArray(options) ? { ...renameTimeout(options as Record<string, unknown>), ...rest } : options === undefined ? rest : args;
    if (merged.agent === undefined && typeof merged.model === 'string' && KINDS.includes(merged.model)) {
      const { model, ...withoutModel } = merged;
      return { ...withoutModel, agent: model };
    }
    return merged;
  },
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
