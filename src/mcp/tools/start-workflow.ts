import { z } from 'zod';
import { stepDefinition } from '../../board/workflow-definition.js';
import { startWorkflow } from '../../flows/workflows.js';
import { plainSteps } from '../aliases.js';
import { defineTool, stateDir } from '../tool.js';

export default defineTool({
  name: 'start_workflow',
  description: 'Start a workflow from a template (list_workflow_templates) with its inputs, or from custom steps. Its first step becomes the current one; advance_step moves it on.',
  // Design A named the template `name` and wrote steps as plain strings.
  accept: (args) => plainSteps(args.template === undefined && args.steps === undefined && typeof args.name === 'string' ? { ...args, template: args.name, name: undefined } : args),
  input: {
    template: z.string().optional(),
    steps: z.array(stepDefinition).optional().describe('custom steps instead of a template'),
    name: z.string().min(1).max(200).optional().describe('a name for this workflow (default: the template\'s)'),
    inputs: z.record(z.string(), z.string()).optional().describe('the template\'s inputs, by name'),
  },
  run: (args, context) => startWorkflow(context.board, stateDir(context), args, context.maybeAgent()),
});
