import { z } from 'zod';
import { OrchestratorError } from '../../core/errors.js';
import { dispatchView, logLines, readLog } from '../../runner/process-view.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'process_details',
  description: 'One process: its record (command line with secrets masked, pid, outcome, usage, cost) and the last lines of what it did, one readable line per event.',
  input: { process_id: z.string().min(1), lines: z.number().int().min(1).max(1000).optional().describe('how many log lines (default 40)') },
  async run(args, context) {
    const record = await context.board.processes.get(args.process_id);
    let log: string[] = [];
    try {
      log = logLines(readLog(record), args.lines ?? 40);
    } catch (error) {
      if (!(error instanceof OrchestratorError)) throw error;
    }
    return { ...dispatchView(record), argv: record.argv, cwd: record.cwd, pid: record.pid, attempt: record.attempt, started_at: record.started_at, log };
  },
});
