// What the master-plan run tests share: a project holding design D's plan files (the valid
// fixture), the phases as the fake model plays them, a local receiver for notifications.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Conversation, Scenario, ToolCall } from './fake-model/server.js';
import { git, project, write } from './feature.js';

/**
 * A project with a one-phase plan in docs/plan.md (hello.txt, its gate, notes/one.md), committed;
 * `noteText` is a notes file with every section the check wants.
 */
export function onePhaseProject(): { dir: string; noteText: string } {
  const dir = project();
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'plan.md'), '# Other plan\n\n## Phases\n\n| Phase | Title | Status |\n|---|---|---|\n| 1 | [Hello](p1.md) | Pending |\n');
  writeFileSync(join(dir, 'docs', 'p1.md'), '# Phase 1\n\n**Status:** Pending\n**Depends On:** N/A\n\n## Process Wrapper (MANDATORY)\n- [ ] **[IMPLEMENTATION]**\n- [ ] Write notes to: `notes/one.md`\n\n## Gates\n- grep -q hello hello.txt: it says hello\n\n## Tasks\n- [ ] write hello.txt\n');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=Me', '-c', 'user.email=me@x.test', 'commit', '-q', '-m', 'plan');
  return { dir, noteText: SECTIONS.map((section) => `## ${section}\n\ndone\n`).join('') };
}

export const FIXTURE = new URL('../fixtures/plans/valid/', import.meta.url).pathname;
export const SECTIONS = ['Summary', 'Key Decisions', 'Files Modified'];

/** A project whose docs/ hold the valid fixture plan and whose .claude/agents/ has the doc-sync subagent, all committed. */
export function planProject(config?: string): string {
  const dir = project();
  cpSync(FIXTURE, join(dir, 'docs'), { recursive: true });
  mkdirSync(join(dir, '.claude', 'agents'), { recursive: true });
  writeFileSync(join(dir, '.claude', 'agents', 'doc-sync.md'), '---\nname: doc-sync\ndescription: Keeps the docs in sync with the code\n---\nYou keep the docs in sync.\n');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=Me', '-c', 'user.email=me@x.test', 'commit', '-q', '-m', 'the plan');
  if (config) {
    mkdirSync(join(dir, '.orchestrator'), { recursive: true });
    writeFileSync(join(dir, '.orchestrator', 'config.yaml'), config);
  }
  return dir;
}

export const runOf = (c: Conversation) => /of run (run-[\w-]+)/.exec(c.prompt)![1]!;
/** The `orchestrate done … --status completed` command the prompt gives, run through Claude Code's Bash tool. */
export const reportDone: ToolCall = { name: 'Bash', input: (c) => ({ command: /run `([^`]*--status completed)`/.exec(c.prompt)![1]!, description: 'Report the phase done' }) };
export const phaseDone = (phase: string, status = 'completed', reason?: string): ToolCall => ({ name: 'mcp__orchestrator__phase_done', input: (c) => ({ run_id: runOf(c), phase, status, ...(reason ? { reason } : {}) }) });
export const notes = (n: number, sections = SECTIONS) => write(`notes/NOTES_phase_${n}.md`, `# Phase ${n} notes\n\n${sections.map((s) => `## ${s}\n\nphase ${n}: ${s.toLowerCase()}\n`).join('\n')}`);
export const invokeDocSync: ToolCall = { name: 'Agent', input: { subagent_type: 'doc-sync', description: 'Sync the docs', prompt: 'SUBAGENT: sync the docs of phase 2' } };
export const phase = (n: number) => new RegExp(`^You are running phase ${n} \\(`);
export const retryOf = (n: number) => new RegExp(`^You are running phase ${n} \\([\\s\\S]*Your previous attempt was not accepted`);

/** Phases that get everything right the first time. */
export function goodPhases(): Scenario[] {
  return [
    { name: 'doc-sync subagent', match: { prompt: 'SUBAGENT:' }, turns: [{ text: 'The docs are in sync.' }] },
    { name: 'phase 1', match: { prompt: phase(1) }, turns: [{ tools: [write('hello.txt', 'hello\n'), notes(1)] }, { tools: [reportDone] }, { text: 'Phase 1 is done.' }] },
    { name: 'phase 2', match: { prompt: phase(2) }, turns: [{ tools: [write('api.txt', 'api: v1\n'), notes(2), invokeDocSync] }, { tools: [phaseDone('2')] }, { text: 'Phase 2 is done.' }] },
    { name: 'phase 3', match: { prompt: phase(3) }, turns: [{ tools: [write('both.txt', 'hello\napi: v1\n'), notes(3)] }, { tools: [reportDone] }, { text: 'Phase 3 is done.' }] },
  ];
}

/** A local receiver for ntfy and webhook notifications. */
export function receiver() {
  const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.end('ok');
    });
  });
  before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { received, url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}


/** A port on 127.0.0.1 nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
