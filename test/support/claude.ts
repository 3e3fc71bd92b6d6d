// Runs the real Claude Code CLI (the pinned devDependency) headless, against the fake model
// server, with a scratch HOME: it never sees the real user's config or the network.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './backends.js';

export const CLAUDE = new URL('../../node_modules/.bin/claude', import.meta.url).pathname;

export interface ClaudeRun {
  code: number | null;
  events: any[];
  stdout: string;
  stderr: string;
}

/** A scratch HOME for Claude Code (its ~/.claude.json and ~/.claude/ live there). */
export function claudeHome(): string {
  const home = tempDir('orchestrator-claude-home-');
  mkdirSync(join(home, 'tmp'));
  return home;
}

export function claudeEnv(home: string, modelUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('ORCHESTRATOR_') && !name.startsWith('ANTHROPIC_') && !name.startsWith('CLAUDE')) env[name] = value;
  }
  return {
    ...env,
    HOME: home,
    ANTHROPIC_BASE_URL: modelUrl,
    ANTHROPIC_API_KEY: 'test-key-not-real',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_TMPDIR: join(home, 'tmp'),
    CLAUDE_CODE_MAX_RETRIES: '0',
    // The orchestrator reads Claude's usage endpoint with a subscription login: here the fake model (no route: no reading), never Anthropic.
    ORCHESTRATOR_USAGE_URL: new URL('/api/oauth/usage', modelUrl).href,
    ...extra,
  };
}

export function runClaude(cwd: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<ClaudeRun> {
  return startClaude(cwd, args, env, timeoutMs).done;
}

/** Starts Claude Code and hands back its process (to kill it) and its end. */
export function startClaude(cwd: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): { child: ChildProcess; done: Promise<ClaudeRun> } {
  const child = spawn(CLAUDE, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<ClaudeRun>((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const events = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
      resolve({ code, events, stdout, stderr });
    });
  });
  return { child, done };
}

/** `claude -p <prompt>` with stream-json output. */
export function claudePrompt(cwd: string, prompt: string, env: Record<string, string>, extra: string[] = []): Promise<ClaudeRun> {
  return runClaude(cwd, ['-p', prompt, '--output-format', 'stream-json', '--verbose', ...extra], env);
}
