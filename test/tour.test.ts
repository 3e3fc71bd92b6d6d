// `npm run tour` without a terminal, as a new user would run it: the board part, then a master
// plan run by command agents through `orchestrate run --cli command` — phase 2's gate fails the
// first time, the orchestrator's own run of it refuses the attempt, the second attempt passes —
// and every phase merged on the run branch. `run --cli command` without --program says what to do.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cleanEnv, cli, newProject, runProgram } from './support/cli.js';

after(cleanupBackends);

const TOUR = new URL('../scripts/tour.mjs', import.meta.url).pathname;

test('the tour runs a master plan end to end with command agents: a failed gate remediated, three merges', async () => {
  const env = cleanEnv();
  delete env.CI;
  const tour = await runProgram(process.execPath, [TOUR, '--no-tui'], { cwd: newProject(), env });
  assert.equal(tour.code, 0, tour.stderr);
  const out = tour.stdout + tour.stderr;
  assert.match(out, /\[phase 2\] attempt 1 not accepted: gates failed/);
  assert.match(out, /\[tour agent, phase 2\] told the gate failed: api\.txt now says ready/);
  assert.match(out, /completed: all 3 phases completed and verified/);
  assert.match(out, /the run exited 0/);
  assert.equal(out.match(/Merge \d: /g)?.length, 3, 'three merges on the run branch');
});

test('run --cli command needs a program', async () => {
  const result = await cli(newProject(), ['run', 'plan.md', '--cli', 'command']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: --cli command runs your program on each phase: pass --program/);
});
