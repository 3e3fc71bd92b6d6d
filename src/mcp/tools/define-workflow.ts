import { checkDefinition, stepDefinition, workflowInput } from '../../board/workflow-definition.js';
import { z } from 'zod';
import { plainSteps } from '../aliases.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'define_workflow',
  description: 'Save a reusable workflow template on the board: a name, a description, optional inputs ({{name}} in step instructions), and steps, each with a title, a role, instructions and optional depends_on (step ids) and agent. A template of the same name is replaced.',
  // Design A: steps as plain strings, the description optional.
  accept: (args) => ({ ...plainSteps(args), ...(args.description === undefined && typeof args.name === 'string' ? { description: `Workflow ${args.name}` } : {}) }),
  input: {
    name: z.string().describe('lower-case letters, digits and -'),
    description: z.string(),
    inputs: z.array(workflowInput).optional(),
    steps: z.array(stepDefinition),
  },
  async run(args, context) {
    const record = await context.board.workflows.defineTemplate(checkDefinition(args), context.maybeAgent());
    return { ...record.definition, source: 'board' };
  },
});
