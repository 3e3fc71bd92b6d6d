import { defineResource } from '../resource.js';

export default defineResource({
  uri: 'orchestrator://status',
  name: 'status',
  description: 'Health of the board and counts: store, schema version, agents, tasks by state, messages, leader.',
  read: (board) => board.status(),
});
