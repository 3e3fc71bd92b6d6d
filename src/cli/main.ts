#!/usr/bin/env node
// The `orchestrate` (and `claude-orchestrator`) program: the one place that reads argv and the
// environment and sets the exit code.
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), process.env, process.cwd(), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
});
process.exitCode = code;
