import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { OrchestratorError } from '../../core/errors.js';
import { ensureStateDir } from '../../config/settings.js';
import { claude } from '../../runner/adapters/claude.js';
import { commandAdapter } from '../../runner/adapters/command.js';
import { renderEvent } from '../../runner/events.js';
import { processIdentity } from '../../runner/os-process.js';
import { recoverProcesses } from '../../runner/recovery.js';
import { Supervisor, type Job, type SupervisedResult } from '../../runner/supervisor.js';
import { flag, flagOrArg, list, required, seconds, type Handler } from '../call.js';

/** The exit code of a dispatch whose agent run did not end `ok` (its outcome says why). */
export const AGENT_NOT_OK = 12;

/** `orchestrate dispatch`: one agent run in the foreground, supervised and recorded. */
export const dispatch: Handler = async (call) => {
  const board = await call.board();
  const root = call.settings.projectRoot.value;
  const host = hostname();
  await recoverProcesses(board, host);
  const supervisor = new Supervisor({
    board,
    env: call.env,
    host,
    supervisor: processIdentity(process.pid),
    logDir: join(ensureStateDir(root), 'logs'),
    concurrency: 1,
    idleTimeoutMs: seconds(flag(call, 'idle-timeout'), 'idle-timeout', 300),
    totalTimeoutMs: seconds(flag(call, 'timeout'), 'timeout', 1800),
  });
  const prompt = required(flagOrArg(call, 'prompt'), 'the prompt', 'the prompt as the argument or --prompt');
  const cwd = resolve(call.cwd, flag(call, 'cwd') ?? '.');
  const stop = call.io.shutdownSignal();
  const onEvent = call.values.verbose ? (event: Parameters<typeof renderEvent>[0]) => {
    const line = renderEvent(event);
    if (line) call.progress(line);
  } : undefined;
  const agent = flag(call, 'agent') ?? 'claude';
  let result: SupervisedResult;
  if (agent === 'claude') {
    const job: Job<Parameters<typeof claude.commandLine>[0]> = {
      adapter: claude,
      options: { prompt, program: flag(call, 'program'), model: flag(call, 'model'), allowedTools: list(flag(call, 'allowed-tools')) },
      cwd,
      signal: stop,
      onEvent,
    };
    result = await supervisor.run(job);
  } else if (agent === 'command') {
    const program = required(flag(call, 'program'), 'the program', '--program <name> (and --arg for each argument)');
    const args = (call.values.arg as string[] | undefined) ?? [];
    result = await supervisor.run({ adapter: commandAdapter(), options: { program, args, prompt }, cwd, signal: stop, onEvent });
  } else {
    throw new OrchestratorError('invalid_input', `--agent '${agent}' is not supported yet; use claude or command (codex and gemini come next)`);
  }
  const record = await board.processes.get(result.processIds[result.processIds.length - 1]!);
  const { outcome } = result;
  const cost = outcome.cost_usd === null ? '' : `, $${outcome.cost_usd.toFixed(4)}`;
  return {
    data: { process_id: record.id, attempts: result.processIds.length, outcome, log_path: record.log_path },
    text: `${record.id}: ${outcome.kind}${cost}${outcome.session_id ? `, session ${outcome.session_id}` : ''}\n${outcome.message}`.trimEnd(),
    exitCode: outcome.kind === 'ok' ? 0 : AGENT_NOT_OK,
  };
};
