import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { claudeAgents, isProgram, readMasterPlan } from './plan-files.js';

/**
 * A master plan read in a thread of its own. Parsing a plan of 500 phases makes about 100 MB of
 * garbage, and V8 keeps the heap it grew for it for the rest of the process: a run that lasts the
 * night would carry it. A thread's heap goes when the thread ends, so the run's process stays as
 * small as it is for a plan of ten phases.
 */
export interface PlanReading {
  root: string;
  planFile: string;
  /** config.yaml's `gates:`. */
  gates?: Record<string, string>;
  /** Where one-word gates are looked for, and the home whose .claude/agents count. */
  path?: string;
  home?: string;
}

const MARK = 'orchestrator:read-master-plan';

export function readMasterPlanInThread(reading: PlanReading): Promise<ReturnType<typeof read>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (result: () => ReturnType<typeof read>) => {
      if (settled) return;
      settled = true;
      try {
        resolve(result());
      } catch (error) {
        reject(error);
      }
    };
    // A small young generation: the parse's garbage dies young instead of growing the heap (peak at 500 phases 115 MB, not 155).
    const worker = new Worker(new URL(import.meta.url), { workerData: { [MARK]: reading }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    worker.once('message', (result: ReturnType<typeof read>) => settle(() => result));
    // A thread that cannot start, fails or ends without an answer: read here, where a failure says what it is.
    worker.once('error', () => settle(() => read(reading)));
    worker.once('exit', () => settle(() => read(reading)));
  });
}

function read(reading: PlanReading) {
  return readMasterPlan(reading.root, reading.planFile, {
    gates: reading.gates ?? {},
    isProgram: (word) => isProgram(word, reading.path),
    agents: claudeAgents(reading.root, reading.home),
  });
}

if (!isMainThread && parentPort && workerData?.[MARK]) parentPort.postMessage(read(workerData[MARK] as PlanReading));
