// Runs the built `orchestrate` program as a user would: a real process, in a project folder,
// with a scratch HOME and none of the caller's ORCHESTRATOR_* settings.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './backends.js';

export const MAIN = new URL('../../dist/cli/main.js', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('ORCHESTRATOR_')) env[name] = value;
  }
  return { ...env, HOME: tempDir('orchestrator-home-'), ...extra };
}

/** A new project folder: a git repository (so it is the project root). */
export function newProject(): string {
  const dir = tempDir('orchestrator-project-');
  mkdirSync(join(dir, 'src'));
  spawnSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

export function cli(cwd: string, args: string[], env: Record<string, string> = cleanEnv(), options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return runProgram(process.execPath, [MAIN, ...args], { cwd, env, ...options });
}

/**
 * Any program to its end: exit code, output, the output as JSON when it is JSON, and how long it
 * took. With `timeoutMs`, one still running then is killed (code null, and stderr says so).
 */
export function runProgram(program: string, args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<CliResult & { ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = options.timeoutMs === undefined ? null : setTimeout(() => {
      stderr += `(still running after ${options.timeoutMs} ms: killed)`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json, ms: performance.now() - started });
    });
  });
}

/** Starts a long-running command and resolves `waiting` once it reports on stderr that it waits. */
export function cliInBackground(cwd: string, args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [MAIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markWaiting: () => void = () => undefined;
  const waiting = new Promise<void>((resolve) => (markWaiting = resolve));
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    if (stderr.includes('waiting up to')) markWaiting();
  });
  const done = new Promise<CliResult & { at: number }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr, json: stdout ? JSON.parse(stdout) : undefined, at: performance.now() }));
  });
  return { waiting, done, child };
}

/** Starts `orchestrate serve` on a free port; `url` resolves once it listens. */
export function startServe(args: string[], env: Record<string, string> = cleanEnv()) {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  url.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { url, stop: async () => { child.kill('SIGTERM'); return exited; } };
}
