// The tour's master plan, written into a new git repository: three phases, 1 and 2 at once, 3
// after both; each with a gate the orchestrator runs itself. `npm run tour` uses it, and so do the
// tests of the live views (`node scripts/tour-plan.mjs <folder>` writes it there).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function phaseFile(n, title, depends, gates, task) {
  return `# Phase ${n}: ${title}\n\n**Status:** Pending\n**Master Plan:** [master-plan.md](master-plan.md)\n**Depends On:** ${depends}\n\n## Process Wrapper (MANDATORY)\n- [ ] **[IMPLEMENTATION - see Tasks below]**\n- [ ] Write notes to: \`notes/NOTES_phase_${n}.md\`\n\n## Gates\n${gates.map((g) => `- ${g}`).join('\n')}\n\n## Tasks\n- [ ] ${task}\n`;
}

export function writeTourPlan(folder) {
  mkdirSync(folder, { recursive: true });
  const git = (...args) => execFileSync('git', args, { cwd: folder, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  const phase = phaseFile;
  mkdirSync(join(folder, 'docs'), { recursive: true });
  writeFileSync(join(folder, 'docs', 'master-plan.md'), '# Greetings - Master Plan\n\n## Phases\n\n| Phase | Title | Focus | Status |\n|-------|-------|-------|--------|\n| 1 | [Hello](phase1.md) | hello.txt | Pending |\n| 2 | [API](phase2.md) | api.txt | Pending |\n| 3 | [Both](phase3.md) | both.txt | Pending |\n\n## Dependencies\n\n```\nPhase 1 --> Phase 3\nPhase 2 --> Phase 3\n```\n');
  writeFileSync(join(folder, 'docs', 'phase1.md'), phase(1, 'Hello', 'N/A', ['grep -q hello hello.txt: it says hello'], 'Write hello.txt'));
  writeFileSync(join(folder, 'docs', 'phase2.md'), phase(2, 'API', 'N/A (runs beside phase 1)', ['grep -q ready api.txt: the API is ready'], 'Write api.txt'));
  writeFileSync(join(folder, 'docs', 'phase3.md'), phase(3, 'Both', 'Phase 1, 2', ['grep -q hello both.txt && grep -q ready both.txt: both are in'], 'Write both.txt from the two'));
  git('add', '-A');
  git('-c', 'user.name=Tour', '-c', 'user.email=tour@localhost', 'commit', '-q', '-m', 'a master plan');
}

/** A plan of `count` independent phases, each writing phase-<n>.txt (the bench spreads it over workers). */
export function writeWidePlan(folder, count) {
  mkdirSync(join(folder, 'docs'), { recursive: true });
  const git = (...args) => execFileSync('git', args, { cwd: folder, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  const rows = Array.from({ length: count }, (_, i) => `| ${i + 1} | [Part ${i + 1}](phase${i + 1}.md) | phase-${i + 1}.txt | Pending |`);
  writeFileSync(join(folder, 'docs', 'master-plan.md'), `# Wide - Master Plan\n\n## Phases\n\n| Phase | Title | Focus | Status |\n|-------|-------|-------|--------|\n${rows.join('\n')}\n`);
  for (let n = 1; n <= count; n++) {
    writeFileSync(join(folder, 'docs', `phase${n}.md`), phaseFile(n, `Part ${n}`, 'N/A', [`test -f phase-${n}.txt: the part is there`], `Write phase-${n}.txt`));
  }
  git('add', '-A');
  git('-c', 'user.name=Bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', 'a wide plan');
}

/** The command agent's arguments for `orchestrate run`: the tour's agent (scripts/tour-agent.mjs). */
export const tourAgent = ['--cli', 'command', '--program', process.execPath, '--arg', new URL('./tour-agent.mjs', import.meta.url).pathname];

if (process.argv[1] === new URL(import.meta.url).pathname) writeTourPlan(process.argv[2]);
