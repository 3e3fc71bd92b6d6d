import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool, page } from '../tool.js';
import { agentKind } from './dispatch.js';

export default defineTool({
  name: 'list_dispatches',
  description: 'Dispatches in the order they were made, with status and outcome (not their output: get_dispatch_result has it).',
  // Design A: model (the CLI) and status (pending, running, completed, failed, …).
  accept(args) {
    const { model, status, ...rest } = args;
    const state = typeof status !== 'string' ? status : /^(pending|queued)$/.test(status) ? 'queued' : status === 'running' ? 'running' : 'exited';
    return { ...rest, ...(model !== undefined && rest.agent === undefined ? { agent: model } : {}), ...(status !== undefined && rest.state === undefined ? { state } : {}) };
  },
  input: { state: z.enum(['queued', 'running', 'exited']).optional(), agent: agentKind.optional().describe('only dispatches of this CLI'), ...page },
  async run(args, context) {
    const { agent, ...filter } = args;
    const found = await context.board.processes.list({ ...filter, kind: agent, dispatches: true });
    return { items: found.items.map((record) => ({ ...dispatchView(record), output: undefined })), next_cursor: found.next_cursor };
  },
});
