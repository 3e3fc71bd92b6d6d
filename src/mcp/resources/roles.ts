import { ROLE_DEFINITIONS } from '../../board/roles.js';
import { defineResource } from '../resource.js';

export default defineResource({
  uri: 'orchestrator://roles',
  name: 'roles',
  description: 'The role definitions, each with the prompt a worker of that role gets.',
  read: async () => ({ roles: ROLE_DEFINITIONS }),
});
