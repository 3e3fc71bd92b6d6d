#!/usr/bin/env node
// The `orchestrate` (and `claude-orchestrator`) program: the one place that reads argv, the
// environment and the standard streams, handles signals, and sets the exit code.
import { runCli } from './run.js';

let shutdown: AbortController | undefined;
let settled = false;

// A command whose work can no longer go on (nothing left to wait for, its promise never settled)
// is a bug: say so and exit 1, not Node's 13 for an unsettled top-level await (13 means "a run
// needs a person" here).
process.on('exit', () => {
  if (settled) return;
  process.stderr.write('internal error: the command stopped before it finished (this is a bug; run again with ORCHESTRATOR_DEBUG=1 for details and report it)\n');
  process.exitCode = 1;
});

void runCli(process.argv.slice(2), process.env, process.cwd(), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  stdin: process.stdin,
  stdoutStream: process.stdout,
  // Long-running commands (servers) ask for this; other commands keep Ctrl-C's default.
  shutdownSignal() {
    if (!shutdown) {
      const controller = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => controller.abort());
      shutdown = controller;
    }
    return shutdown.signal;
  },
}).then((code) => {
  settled = true;
  process.exitCode = code;
});
