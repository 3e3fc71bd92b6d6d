// The tour's master plan, written into a new git repository: three phases, 1 and 2 at once, 3
// after both; each with a gate the orchestrator runs itself. `npm run tour` uses it, and so do the
// tests of the live views (`node scripts/tour-plan.mjs <folder>` writes it there).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeTourPlan(folder) {
  mkdirSync(folder, { recursive: true });
  const git = (...args) => execFileSync('git', args, { cwd: folder, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  const phase = (n, title, depends, gates, task) => `# Phase ${n}: ${title}\n\n**Status:** Pending\n**Master Plan:** [master-plan.md](master-plan.md)\n**Depends On:** ${depends}\n\n## Process Wrapper (MANDATORY)\n- [ ] **[IMPLEMENTATION - see Tasks below]**\n- [ ] Write notes to: \`notes/NOTES_phase_${n}.md\`\n\n## Gates\n${gates.map((g) => `- ${g}`).join('\n')}\n\n## Tasks\n- [ ] ${task}\n`;
  mkdirSync(join(folder, 'docs'), { recursive: true });
  writeFileSync(join(folder, 'docs', 'master-plan.md'), '# Greetings - Master Plan\n\n## Phases\n\n| Phase | Title | Focus | Status |\n|-------|-------|-------|--------|\n| 1 | [Hello](phase1.md) | hello.txt | Pending |\n| 2 | [API](phase2.md) | api.txt | Pending |\n| 3 | [Both](phase3.md) | both.txt | Pending |\n\n## Dependencies\n\n```\nPhase 1 --> Phase 3\nPhase 2 --> Phase 3\n```\n');
  writeFileSync(join(folder, 'docs', 'phase1.md'), phase(1, 'Hello', 'N/A', ['grep -q hello hello.txt: it says hello'], 'Write hello.txt'));
  writeFileSync(join(folder, 'docs', 'phase2.md'), phase(2, 'API', 'N/A (runs beside phase 1)', ['grep -q ready api.txt: the API is ready'], 'Write api.txt'));
  writeFileSync(join(folder, 'docs', 'phase3.md'), phase(3, 'Both', 'Phase 1, 2', ['grep -q hello both.txt && grep -q ready both.txt: both are in'], 'Write both.txt from the two'));
  git('add', '-A');
  git('-c', 'user.name=Tour', '-c', 'user.email=tour@localhost', 'commit', '-q', '-m', 'a master plan');
}

/** The command agent's arguments for `orchestrate run`: the tour's agent (scripts/tour-agent.mjs). */
export const tourAgent = ['--cli', 'command', '--program', process.execPath, '--arg', new URL('./tour-agent.mjs', import.meta.url).pathname];

if (process.argv[1] === new URL(import.meta.url).pathname) writeTourPlan(process.argv[2]);
