import { join } from 'node:path';
import { STATE_DIR } from '../../config/settings.js';
import { listTemplates } from '../../flows/workflows.js';
import { defineResource } from '../resource.js';

export default defineResource({
  uri: 'orchestrator://workflow-templates',
  name: 'workflow-templates',
  description: "The workflow templates — built-in, the project's (.orchestrator/workflows/) and those defined on the board — with their inputs and steps.",
  read: async (board, _parts, project) => ({ templates: await listTemplates(board, join(project, STATE_DIR)) }),
});
