#!/usr/bin/env node
// The `orchestrate` (and `claude-orchestrator`) program: the one place that reads argv, the
// environment and the standard streams, handles signals, and sets the exit code.
import { runCli } from './run.js';

let shutdown: AbortController | undefined;

const code = await runCli(process.argv.slice(2), process.env, process.cwd(), {
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
});
process.exitCode = code;
