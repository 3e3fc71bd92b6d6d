import { defineResource } from '../resource.js';

export default defineResource({
  uri: 'orchestrator://tasks/{id}',
  name: 'task',
  description: 'One task with its dependencies and its events.',
  async read(board, parts) {
    const task = await board.tasks.get(parts.id!);
    return { ...task, events: (await board.events.list({ subject: task.id, limit: 200 })).items };
  },
});
