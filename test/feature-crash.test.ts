// Feature runs survive kill -9 of the orchestrator at random points: `orchestrate resume` then
// completes the run with every task merged exactly once, no worktree, branch or agent process
// left behind. Two trials in the default suite; ORCHESTRATOR_SLOW_TESTS=1 runs ten.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli, cliInBackground } from './support/cli.js';
import { featureModel, git, project, scenarios, write } from './support/feature.js';
import { until } from './support/until.js';

after(cleanupBackends);

const fake = featureModel();
const env = fake.env;

describe('feature runs after kill -9', () => {
  const trials = process.env.ORCHESTRATOR_SLOW_TESTS ? 10 : 2;
  for (let trial = 1; trial <= trials; trial++) {
    test(`kill -9 of the orchestrator mid-run (trial ${trial} of ${trials}), then resume: completed, every task merged exactly once`, async () => {
      const dir = project();
      // c thinks a little, so the run is still going when the kill comes after a merge.
      fake.model().setScenarios(scenarios([{ name: 'slow c', match: { prompt: 'Task c:' }, turns: [{ delayMs: 1500, tools: [write('both.txt', 'hello world\n')] }, { text: 'Wrote both.txt.' }] }]));
      const running = cliInBackground(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], env());
      // The kill point: while the first workers run (odd trials) or once a task is merged (even), plus a random delay.
      const merged = trial % 2 === 1 ? 0 : 1;
      await until('the kill point', async () => {
        const events: { type: string }[] = (await cli(dir, ['log', '--json'], env())).json?.events ?? [];
        return events.some((e) => e.type === 'task.started') && events.filter((e) => e.type === 'task.completed').length >= merged;
      });
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 400)));
      running.child.kill('SIGKILL');
      const killed = await running.done;
      assert.equal(killed.code, null, 'it was killed before it ended');
      const resumed = await cli(dir, ['resume', '--json'], env());
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.json.end, 'completed');
      const merges = git(dir, 'log', '--merges', '--format=%s', resumed.json.run.branch).split('\n').sort();
      assert.deepEqual(merges, ['Merge a: Write hello', 'Merge b: Write world', 'Merge c: Combine them']);
      assert.equal(git(dir, 'status', '--porcelain'), '');
      assert.equal(git(dir, 'worktree', 'list').split('\n').length, 1, 'no worktree left behind');
      assert.deepEqual(git(dir, 'branch', '--format=%(refname:short)').split('\n').sort(), ['main', 'orchestrate/add-greetings'], 'no task branch left behind');
      assert.deepEqual((await cli(dir, ['ps', '--state', 'running', '--json'], env())).json.items, [], 'no agent process left running');
    });
  }
});
