import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { integerInRange } from '../../board/input.js';
import { OrchestratorError } from '../../core/errors.js';
import { openInBrowser } from '../../runner/os-process.js';
import { flag, type Call, type Handler } from '../call.js';
import { holdsUntilStopped } from '../commands.js';
import { runCli } from '../run.js';
import { commandLine } from '../../views/web/actions.js';

/** `orchestrate web`: serves the live view until Ctrl-C; prints the URL that logs a browser in. */
export const web: Handler = async (call) => {
  const board = await call.board();
  const port = flag(call, 'port');
  const person = `${call.env.USER ?? call.env.LOGNAME ?? 'someone'} (web)`;
  const { serveWeb } = await import('../../views/web/server.js');
  const server = await serveWeb({
    db: board.db,
    host: flag(call, 'host') ?? '127.0.0.1',
    port: port === undefined ? 3200 : integerInRange('--port', port, 0, 65535),
    token: call.settings.token.value ?? null,
    readOnly: call.values['read-only'] === true,
    person,
    stalledAfterMs: stalledAfterMs(call),
    host_name: hostname(),
    run: (argv, who, subject) => runAsCommand(call, argv, who, subject),
  });
  call.io.stdout(`the live view: open ${server.loginUrl}\n(the link logs one browser in${call.settings.token.value ? ' with your token' : ', once'}; Ctrl-C stops the view)`);
  if (call.values.open === true) openInBrowser(server.loginUrl, call.env);
  const stop = call.io.shutdownSignal();
  await new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener('abort', () => resolve(), { once: true })));
  await server.close();
  return { data: null, text: 'stopped' };
};

/**
 * An action of a view: the CLI command, run in this process on the same board, as `person`; the
 * event log then says who did it, with the command (`view.action`).
 */
async function runAsCommand(call: Call, argv: string[], person: string, subject: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const held = holdsUntilStopped(argv);
  if (held) return { code: 2, stdout: '', stderr: `error: ${held}` };
  const out: string[] = [];
  const err: string[] = [];
  const never = new AbortController();
  const env: Record<string, string | undefined> = { ...call.env, USER: person };
  delete env.ORCHESTRATOR_AGENT; // the person acts, not an agent this process was started as
  const code = await runCli(['--db', call.settings.db.value, ...argv], env, call.cwd, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    stdin: new PassThrough(),
    stdoutStream: new PassThrough(),
    shutdownSignal: () => never.signal,
  });
  const said = (code === 0 ? out : err).join('\n').trim().split('\n')[0]!.slice(0, 300);
  await (await call.board()).events.note({ type: 'view.action', subject, data: { person, command: commandLine(argv), ok: code === 0, said } }).catch(() => undefined);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** `orchestrate tui`: the live view in this terminal until q. */
export const tui: Handler = async (call) => {
  await openTui(call);
  return { data: null, text: null };
};

/** The TUI on this command's board until q (also `orchestrate leader`, and `start`/`run --tui`). */
export async function openTui(call: Call): Promise<void> {
  const stdout = call.io.stdoutStream as NodeJS.WriteStream;
  const stdin = call.io.stdin as NodeJS.ReadStream;
  if (!hasTerminal(call)) {
    throw new OrchestratorError('invalid_input', "the live view needs a terminal; 'orchestrate dashboard' prints the same board once, 'orchestrate status --json' as data");
  }
  const board = await call.board();
  const { Live } = await import('../../views/model.js');
  const { runTui } = await import('../../views/tui/app.js');
  const live = await Live.open(board.db, { host: hostname(), stalledAfterMs: stalledAfterMs(call) });
  await runTui({
    live,
    db: board.db,
    run: (argv, who, subject) => runAsCommand(call, argv, who, subject),
    person: `${call.env.USER ?? call.env.LOGNAME ?? 'someone'} (tui)`,
    board: `${board.db.dialect} ${board.db.location}`,
    stdin,
    stdout,
    color: call.env.NO_COLOR === undefined || call.env.NO_COLOR === '',
  });
}

/** Both ends of this command are a terminal (a person is there to watch and press keys). */
export function hasTerminal(call: Call): boolean {
  return Boolean((call.io.stdoutStream as NodeJS.WriteStream).isTTY && (call.io.stdin as NodeJS.ReadStream).isTTY);
}

/** --stalled-after in minutes, as ms (undefined: the model's default). */
function stalledAfterMs(call: Call): number | undefined {
  const minutes = flag(call, 'stalled-after');
  return minutes === undefined ? undefined : integerInRange('--stalled-after', minutes, 1, 24 * 60) * 60_000;
}
