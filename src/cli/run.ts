import { parseArgs, type ParseArgsConfig } from 'node:util';
import { excerpt, OrchestratorError, type ErrorCode } from '../core/errors.js';
import { maskSecrets } from '../core/secrets.js';
import type { Board } from '../board/board.js';
import type { Db } from '../store/db.js';
import type { Call } from './call.js';
import { COMMANDS, GLOBAL_OPTIONS, findCommand, type Command, type OptionSpec } from './commands.js';

/**
 * Runs one invocation: finds the command, parses its flags, resolves settings, calls the
 * handler, and prints JSON (`--json`) or text. Every failure becomes one line on stderr and an
 * exit code that names its kind; only ORCHESTRATOR_DEBUG=1 adds a stack trace.
 */
export const EXIT_CODES: Record<ErrorCode, number> = {
  internal: 1,
  invalid_input: 2,
  not_found: 3,
  conflict: 4,
  name_taken: 5,
  cycle: 6,
  no_identity: 7,
  lease_expired: 8,
  store_unreachable: 9,
  store_locked: 10,
  schema_too_new: 11,
  install_broken: 15,
};

const CLI_KINDS = ['claude', 'codex', 'gemini', 'command'];

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The raw streams, for the MCP stdio transport. */
  stdin: NodeJS.ReadableStream;
  stdoutStream: NodeJS.WritableStream;
  /** Fires on SIGINT/SIGTERM/SIGHUP; handlers are installed on first call. */
  shutdownSignal(): AbortSignal;
}

export async function runCli(argv: string[], env: Record<string, string | undefined>, cwd: string, io: Io): Promise<number> {
  let board: Board | undefined;
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.stdout(mainHelp());
      return 0;
    }
    if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === '-V') {
      io.stdout((await import('../core/version.js')).packageVersion());
      return 0;
    }
    // Global flags may come before the command too (design E: orchestrate -i <id> heartbeat).
    const { leading, remaining } = leadingGlobals(argv);
    if (remaining.length === 0) throw new OrchestratorError('invalid_input', `${leading.join(' ')} needs a command after it; run 'orchestrate --help' for the list`);
    const found = findCommand(remaining);
    if (found) found.rest = [...leading, ...found.rest];
    if (!found) {
      argv = remaining;
      const noun = COMMANDS.filter((command) => command.name.startsWith(`${argv[0]} `));
      if (noun.length > 0 && (argv[1] === undefined || argv[1] === '--help' || argv[1] === '-h')) {
        io.stdout(nounHelp(argv[0]!, noun));
        return argv[1] === undefined ? EXIT_CODES.invalid_input : 0;
      }
      const what = noun.length > 0 ? `'${argv[0]} ${argv[1] ?? ''}'`.trim() : `'${argv[0]}'`;
      throw new OrchestratorError('invalid_input', `unknown command ${what}; run 'orchestrate --help' for the list`);
    }
    const { command, rest } = found;
    const options = { ...GLOBAL_OPTIONS, ...command.options };
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: options as ParseArgsConfig['options'], allowPositionals: true, strict: true });
    } catch (error) {
      if (rest.some(isZookeeper)) throw noZookeeper();
      throw new OrchestratorError('invalid_input', `${(error as Error).message.split('\n')[0]} — see 'orchestrate ${command.name} --help'`);
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    // --agent is who you are; the CLI a command runs is --cli. The old spelling still works.
    if (command.options?.cli && values.cli === undefined && typeof values.agent === 'string' && CLI_KINDS.includes(values.agent)) {
      io.stderr(`note: --agent ${values.agent} is read as --cli ${values.agent} (--agent names who you are; say --cli for the agent CLI)`);
      values.cli = values.agent;
      delete values.agent;
    }
    if (values.help) {
      io.stdout(commandHelp(command));
      return 0;
    }
    const most = (command.args?.match(/</g) ?? []).length;
    if (parsed.positionals.length > most) {
      const extra = parsed.positionals[most]!;
      throw new OrchestratorError('invalid_input', `'orchestrate ${command.name}' takes ${most === 0 ? 'no arguments' : `at most ${most} (${command.args})`}; '${excerpt(extra)}' is one too many — quote a text that has spaces`);
    }
    const { resolveSettings, ensureStateDir } = await import('../config/settings.js');
    const settings = await resolveSettings({
      cwd,
      env,
      flags: {
        db: values.db as string | undefined,
        project: values.project as string | undefined,
        agent: (values.agent ?? values['instance-id']) as string | undefined,
        token: values.token as string | undefined,
        leaseTtl: values['lease-ttl'] as string | undefined,
      },
    });
    const call: Call = {
      values,
      env,
      positionals: parsed.positionals,
      argv: [...command.name.split(' '), ...rest],
      settings,
      cwd,
      async board() {
        if (!board) {
          const [{ openDb, isPostgresUrl }, { Board }] = await Promise.all([import('../store/open.js'), import('../board/board.js')]);
          if (settings.db.source === 'default' && !isPostgresUrl(settings.db.value)) ensureStateDir(settings.projectRoot.value);
          const db = await openDb(settings.db.value);
          const longRunning = typeof command.longRunning === 'function' ? command.longRunning(values) : Boolean(command.longRunning);
          board = new Board(longRunning ? await outageTolerant(db, io) : db, { leaseTtlMs: settings.leaseTtlMs.value, maxRetries: settings.maxRetries.value });
        }
        return board;
      },
      agent() {
        const agent = settings.agent.value;
        if (agent === null) {
          throw new OrchestratorError(
            'no_identity',
            `'orchestrate ${command.name}' needs to know which agent you are: run 'orchestrate agent register --name <name>' first, or pass --agent <id|name>, or set ORCHESTRATOR_AGENT`,
          );
        }
        return agent;
      },
      maybeAgent: () => settings.agent.value,
      progress: (text) => io.stderr(text),
      io,
    };
    const handler = await command.load();
    const reply = await handler(call);
    if (values.json) io.stdout(JSON.stringify(reply.data, null, 2));
    else if (reply.text !== null) io.stdout(reply.text);
    return reply.exitCode ?? 0;
  } catch (error) {
    io.stderr(describe(error, env));
    return error instanceof OrchestratorError ? EXIT_CODES[error.code] : EXIT_CODES.internal;
  } finally {
    await board?.close().catch(() => undefined);
  }
}

/** Design E's -z/--zookeeper: there is no ZooKeeper; the board is --db. */
const isZookeeper = (arg: string) => arg === '-z' || arg === '--zookeeper' || arg.startsWith('--zookeeper=');
const noZookeeper = () => new OrchestratorError('invalid_input', 'there is no ZooKeeper any more: the board is --db <SQLite file or postgres:// URL> (env ORCHESTRATOR_DB; the default is .orchestrator/state.db in the project)');

/** The global flags (with their values) before the command's words, and what follows them. */
function leadingGlobals(argv: string[]): { leading: string[]; remaining: string[] } {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--') {
    const arg = argv[i]!;
    if (isZookeeper(arg)) throw noZookeeper();
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : arg.slice(1);
    const spec = arg.startsWith('--') ? (Object.hasOwn(GLOBAL_OPTIONS, name) ? GLOBAL_OPTIONS[name] : undefined) : Object.values(GLOBAL_OPTIONS).find((option) => option.short === name);
    if (!spec || name === 'help' || name === 'h') break;
    i += spec.type === 'string' && !arg.includes('=') ? 2 : 1;
  }
  return { leading: argv.slice(0, i), remaining: argv.slice(i) };
}

/** A long-running command's store: outages are waited out, and said once on stderr when they begin and end. */
async function outageTolerant(db: Db, io: Io): Promise<Db> {
  const { RetryingDb } = await import('../store/retrying.js');
  return new RetryingDb(db, {
    down: (error) => io.stderr(`board unreachable: ${error.message}; retrying until it is back`),
    up: (ms) => io.stderr(`board reachable again after ${(ms / 1000).toFixed(1)} s`),
  }, io.shutdownSignal());
}

/** The one line a failure prints (a stack trace only with ORCHESTRATOR_DEBUG=1), secrets masked. */
function describe(error: unknown, env: Record<string, string | undefined>): string {
  return maskSecrets(describeUnmasked(error, env));
}

function describeUnmasked(error: unknown, env: Record<string, string | undefined>): string {
  const debug = env.ORCHESTRATOR_DEBUG === '1';
  if (error instanceof OrchestratorError) {
    const cause = debug && error.cause instanceof Error ? `\n${error.cause.stack}` : '';
    return `error: ${error.message}${debug ? `\n${error.stack}` : ''}${cause}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return debug && error instanceof Error
    ? `internal error: ${error.stack}`
    : `internal error: ${message.split('\n')[0]} (this is a bug; run again with ORCHESTRATOR_DEBUG=1 for details and report it)`;
}

function mainHelp(): string {
  const nouns = new Map<string, Command[]>();
  for (const command of COMMANDS) {
    const noun = command.name.includes(' ') ? command.name.split(' ')[0]! : '';
    nouns.set(noun, [...(nouns.get(noun) ?? []), command]);
  }
  const lines = ['orchestrate — run a team of coding agents on one board', '', 'Usage: orchestrate <noun> <verb> [options]', ''];
  for (const [noun, commands] of nouns) {
    if (noun === '') continue;
    lines.push(`  ${noun.padEnd(8)} ${commands.map((c) => c.name.split(' ')[1]).join(' | ')}`);
  }
  for (const command of nouns.get('') ?? []) lines.push(`  ${command.name.padEnd(8)} ${command.summary}`);
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS), `  ${'-V, --version'.padEnd(28)} print the version`, '', "Run 'orchestrate <noun> --help' or 'orchestrate <noun> <verb> --help' for more.");
  return lines.join('\n');
}

function nounHelp(noun: string, commands: Command[]): string {
  return [`orchestrate ${noun} <verb>`, '', ...commands.map((c) => `  ${c.name.split(' ')[1]!.padEnd(12)} ${c.summary}`)].join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`orchestrate ${command.name}${command.args ? ` ${command.args}` : ''} [options]`, '', command.summary];
  if (command.options) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  return lines.join('\n');
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flagText = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ' <value>' : ''}${spec.multiple ? ' …' : ''}`;
    return `  ${flagText.padEnd(28)} ${spec.description}`;
  });
}
