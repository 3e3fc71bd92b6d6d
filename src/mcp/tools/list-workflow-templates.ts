import { listTemplates } from '../../flows/workflows.js';
import { defineTool, stateDir } from '../tool.js';

export default defineTool({
  name: 'list_workflow_templates',
  description: 'The workflow templates: built-in, the project\'s (.orchestrator/workflows/) and those defined on the board, each with its inputs and steps.',
  input: {},
  run: async (_args, context) => ({ templates: await listTemplates(context.board, stateDir(context)) }),
});
