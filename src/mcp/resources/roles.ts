import { join } from 'node:path';
import { STATE_DIR } from '../../config/settings.js';
import { allRoles } from '../../runner/roles.js';
import { defineResource } from '../resource.js';

export default defineResource({
  uri: 'orchestrator://roles',
  name: 'roles',
  description: "The role definitions, each with the prompt a worker of that role gets (a project's .orchestrator/roles/<role>.md overrides or adds one).",
  read: async (_board, _parts, project) => ({ roles: allRoles(join(project, STATE_DIR)) }),
});
