import { logLines, readLog } from '../../runner/process-view.js';
import { defineResource } from '../resource.js';

export default defineResource({
  uri: 'orchestrator://processes/{id}/log',
  name: 'process log',
  description: 'What an agent process did: one readable line per event, and the events themselves.',
  async read(board, parts) {
    const record = await board.processes.get(parts.id!);
    const entries = readLog(record);
    return { process_id: record.id, state: record.state, outcome: record.outcome, lines: logLines(entries), events: entries.map((entry) => ({ at: entry.at, ...entry.event })) };
  },
});
