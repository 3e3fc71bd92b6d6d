// What the feature-run tests share: a tiny project in a temp git repository, and the planner,
// plan reviewer, workers and code reviewer of a three-task plan as the fake model plays them.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './backends.js';
import { CLAUDE, claudeEnv, claudeHome } from './claude.js';
import { after, before } from 'node:test';
import { startFakeModel, type Conversation, type FakeModel, type Scenario } from './fake-model/server.js';

export function project(): string {
  const dir = tempDir('orchestrator-feature-');
  const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
  sh('git init -q -b main && echo "# demo" > README.md && git add -A && git -c user.name=Me -c user.email=me@x.test commit -q -m start');
  return dir;
}

export const git = (dir: string, ...args: string[]) => spawnSync('git', args, { cwd: dir, encoding: 'utf8' }).stdout.trim();
export const runId = (c: Conversation) => /feature run (run-[\w-]+)/.exec(c.prompt)![1]!;
export const write = (file: string, content: string) => ({ name: 'Write', input: (c: Conversation) => ({ file_path: join(c.cwd!, file), content }) });

export const PLAN = {
  tasks: [
    { id: 'a', title: 'Write hello', description: 'Create hello.txt with the word hello.', files: ['hello.txt'], gates: ['grep -q hello hello.txt'] },
    { id: 'b', title: 'Write world', description: 'Create world.txt with the word world.', files: ['world.txt'], gates: ['grep -q world world.txt'] },
    { id: 'c', title: 'Combine them', description: 'Create both.txt from hello.txt and world.txt.', depends_on: ['a', 'b'], files: ['both.txt'], gates: ['test -f both.txt'] },
  ],
  gates: ['test -f README.md'],
};

/** The planner, the plan reviewer, the workers and the code reviewer, as the fake model plays them. */
export function scenarios(extra: Scenario[] = [], codeReview: Scenario['turns'] = [{ tools: [{ name: 'mcp__orchestrator__submit_review', input: (c) => ({ run_id: runId(c), subject: 'code', verdict: 'approve' }) }] }, { text: 'Approved.' }]): Scenario[] {
  return [
    ...extra,
    // The planner's first plan has problems (a cycle, an unknown dependency); the tool says so and it submits a good one.
    { name: 'planner', match: { prompt: 'You are the planner of feature run' }, turns: [
      { tools: [{ name: 'mcp__orchestrator__submit_plan', input: (c) => ({ run_id: runId(c), tasks: [{ id: 'p', title: 'P', description: 'p', depends_on: ['q'] }, { id: 'q', title: 'Q', description: 'q', depends_on: ['p', 'ghost'] }] }) }] },
      { tools: [{ name: 'mcp__orchestrator__submit_plan', input: (c) => ({ run_id: runId(c), ...PLAN }) }] },
      { text: 'Planned.' },
    ] },
    { name: 'plan review', match: { prompt: 'You review the plan of feature run' }, turns: [{ tools: [{ name: 'mcp__orchestrator__submit_review', input: (c) => ({ run_id: runId(c), subject: 'plan', verdict: 'approve' }) }] }, { text: 'Good plan.' }] },
    { name: 'worker a', match: { prompt: 'Task a:' }, turns: [{ tools: [write('hello.txt', 'hello\n')] }, { text: 'Wrote hello.txt.' }] },
    { name: 'worker b', match: { prompt: 'Task b:' }, turns: [{ tools: [write('world.txt', 'world\n')] }, { text: 'Wrote world.txt.' }] },
    { name: 'worker c', match: { prompt: 'Task c:' }, turns: [{ tools: [write('both.txt', 'hello world\n')] }, { text: 'Wrote both.txt.' }] },
    { name: 'code review', match: { prompt: 'You review the work of feature run' }, turns: codeReview },
  ];
}

/**
 * A fake model for a test file (started before its tests, closed after), and the environment of
 * a run: a scratch home, that model, the pinned Claude Code as the agent.
 */
export function featureModel(): { model: () => FakeModel; env: (login?: 'api-key' | 'subscription') => Record<string, string> } {
  let model: FakeModel;
  before(async () => {
    model = await startFakeModel();
  });
  after(async () => {
    await model.close();
  });
  return {
    model: () => model,
    // A subscription (OAuth) login is what reports usage windows and limits the way users meet them.
    env: (login = 'api-key') => {
      const env = claudeEnv(claudeHome(), model.url, { ORCHESTRATOR_CLAUDE: CLAUDE, ...(login === 'subscription' ? { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test-not-real' } : {}) });
      if (login === 'subscription') delete env.ANTHROPIC_API_KEY;
      return env;
    },
  };
}
