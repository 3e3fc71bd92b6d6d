// The engine's worktree manager and merge primitives on real git repositories: the user's
// checkout untouched, worktrees per task from the run branch, leftover changes committed by
// the engine, merges one at a time with conflicts aborted and reported, gates believed only
// by their exit codes, and .orchestrator/ kept out of git through .git/info/exclude.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runGates } from '../src/engine/gates.js';
import { readHead, Repo } from '../src/engine/git.js';
import { cleanupBackends, tempDir } from './support/backends.js';
import { cleanEnv } from './support/cli.js';

after(cleanupBackends);

function project(): string {
  const dir = tempDir('orchestrator-git-');
  const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'app.txt'), 'line 1\nline 2\nline 3\n');
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  git('add', '-A');
  spawnSync('git', ['-c', 'user.name=Me', '-c', 'user.email=me@example.test', 'commit', '-q', '-m', 'start'], { cwd: dir });
  return dir;
}

test('worktrees from the run branch, commits, merges in the integration worktree; the user checkout is untouched', async () => {
  const dir = project();
  const env = cleanEnv();
  const repo = await Repo.open(join(dir), env);
  assert.equal(repo.root, dir);
  assert.deepEqual(await repo.changes(), []);
  repo.excludeStateDir();
  repo.excludeStateDir();
  assert.equal(readFileSync(join(dir, '.git', 'info', 'exclude'), 'utf8').match(/\/\.orchestrator\//g)?.length, 1, 'written once');
  assert.equal(readFileSync(join(dir, '.gitignore'), 'utf8'), 'node_modules/\n', "the user's .gitignore is not edited");
  writeFileSync(join(dir, 'notes.txt'), 'the user is working here\n'); // an untracked file of the user's
  const base = await repo.head();

  const runTree = join(dir, '.orchestrator', 'worktrees', '_run');
  await repo.addWorktree(runTree, 'orchestrate/feature', base);
  const trees = { a: join(dir, '.orchestrator', 'worktrees', 'a'), b: join(dir, '.orchestrator', 'worktrees', 'b') };
  await repo.addWorktree(trees.a, 'orchestrate/feature--a', 'orchestrate/feature');
  await repo.addWorktree(trees.b, 'orchestrate/feature--b', 'orchestrate/feature');
  await repo.addWorktree(trees.a, 'orchestrate/feature--a', 'orchestrate/feature'); // again: reused
  assert.equal((await repo.worktrees()).length, 4);

  mkdirSync(join(trees.a, '.orchestrator'));
  writeFileSync(join(trees.a, '.orchestrator', 'state.db'), 'a board of an MCP server\n');
  assert.equal(await repo.commitAll(trees.a, 'only the state folder'), false, 'the state folder alone: no commit');
  writeFileSync(join(trees.a, 'a.txt'), 'from task a\n');
  assert.equal(await repo.commitAll(trees.a, 'task a: leftover changes'), true);
  const leftover = await repo.head(trees.a);
  assert.equal((await repo.git(['ls-tree', '-r', '--name-only', 'HEAD'], trees.a)).stdout.split('\n').filter(Boolean).sort().join(','), '.gitignore,a.txt,app.txt', 'the state folder was not committed');
  assert.equal(await repo.commitAll(trees.a, 'nothing'), false, 'nothing left: no commit');
  writeFileSync(join(trees.b, 'b.txt'), 'from task b\n');
  await repo.commitAll(trees.b, 'task b');
  assert.equal(await repo.commitsAhead('orchestrate/feature', 'orchestrate/feature--a'), 1);

  const first = await repo.merge(runTree, 'orchestrate/feature--a', 'merge task a');
  const second = await repo.merge(runTree, 'orchestrate/feature--b', 'merge task b');
  assert.ok(first.merged && second.merged && !first.empty);
  assert.match(first.stat, /a\.txt \| 1 \+/);
  assert.match(first.stat, /1 file changed/);
  assert.equal(first.sha, (await repo.git(['rev-parse', 'HEAD^'], runTree)).stdout.trim());
  assert.equal(second.sha, (await repo.git(['rev-parse', 'HEAD'], runTree)).stdout.trim(), "read from git's files");
  await repo.git(['pack-refs', '--all']);
  assert.equal(readHead(runTree), null, 'a packed ref is not read: git is asked');
  assert.equal(readHead(dir), null);
  assert.deepEqual(await repo.merge(runTree, 'orchestrate/feature--a', 'again'), { merged: true, empty: true, conflicts: [], sha: null, stat: '', dirty: false }, 'nothing new: nothing merged');
  assert.ok(await repo.contains('orchestrate/feature', leftover), 'task a is on the run branch');

  // A status written into the run tree is committed alone, whatever else is there.
  writeFileSync(join(runTree, 'a.txt'), 'a status\n');
  writeFileSync(join(runTree, 'scratch.txt'), 'not for the commit\n');
  assert.equal(await repo.commitFiles(runTree, ['a.txt'], 'status'), true);
  assert.equal(await repo.commitFiles(runTree, ['a.txt'], 'status again'), false, 'unchanged: no commit');
  assert.deepEqual(await repo.changes(runTree), ['scratch.txt']);
  rmSync(join(runTree, 'scratch.txt'));

  // A worktree whose folder vanished, and a branch that is there already: both still work.
  rmSync(trees.b, { recursive: true, force: true });
  await repo.addWorktree(trees.b, 'orchestrate/feature--b', 'orchestrate/feature');
  assert.equal(readFileSync(join(trees.b, 'b.txt'), 'utf8'), 'from task b\n', 'the branch was checked out again, not made anew');
  assert.equal(readFileSync(join(runTree, 'b.txt'), 'utf8'), 'from task b\n');

  await repo.removeWorktree(trees.a, { deleteBranch: 'orchestrate/feature--a' });
  assert.equal(existsSync(trees.a), false);
  assert.equal(await repo.branchExists('orchestrate/feature--a'), false);
  await repo.git(['branch', 'orchestrate/feature--c', 'orchestrate/feature']);
  await repo.deleteBranches(['orchestrate/feature--gone', 'orchestrate/feature--c']);
  assert.equal(await repo.branchExists('orchestrate/feature--c'), false, 'a branch already gone does not keep the others');

  // The user's checkout: same branch, same commit, their untracked file, none of the run's files.
  assert.equal(await repo.currentBranch(), 'main');
  assert.equal(await repo.head(), base);
  assert.equal(existsSync(join(dir, 'a.txt')), false);
  assert.deepEqual(await repo.changes(), ['notes.txt']);
});

test('a conflict is aborted and reported with its files; the run branch stays as it was', async () => {
  const dir = project();
  const repo = await Repo.open(dir, cleanEnv());
  const runTree = join(dir, '.orchestrator', 'worktrees', '_run');
  await repo.addWorktree(runTree, 'run', 'HEAD');
  for (const [name, text] of [['x', 'line 2 by x'], ['y', 'line 2 by y']] as const) {
    const tree = join(dir, '.orchestrator', 'worktrees', name);
    await repo.addWorktree(tree, `run--${name}`, 'run');
    writeFileSync(join(tree, 'app.txt'), `line 1\n${text}\nline 3\n`);
    await repo.commitAll(tree, `task ${name}`);
  }
  assert.equal((await repo.merge(runTree, 'run--x', 'merge x')).merged, true);
  const before = await repo.head(runTree);
  const conflict = await repo.merge(runTree, 'run--y', 'merge y');
  assert.deepEqual(conflict, { merged: false, empty: false, conflicts: ['app.txt'], sha: null, stat: '', dirty: false });
  assert.equal(await repo.head(runTree), before);
  assert.deepEqual(await repo.changes(runTree), [], 'the merge was aborted cleanly');
  await assert.rejects(Repo.open(tempDir(), cleanEnv()), /is not in a git repository: run 'git init'/);
});

test('gates: exit codes decide, output is kept, a hung gate is stopped', async () => {
  const dir = tempDir();
  const results = await runGates(dir, ['echo fine', 'echo "2 failing" >&2; exit 3', 'sleep 30'], cleanEnv(), 500);
  assert.deepEqual(results.map((r) => [r.passed, r.exit_code, r.timed_out]), [[true, 0, false], [false, 3, false], [false, null, true]]);
  assert.equal(results[0]!.output, 'fine');
  assert.equal(results[1]!.output, '2 failing');
});

test('worktrees added and removed all at once, from two handles on the repository and by another git process, all arrive and all go', async () => {
  const dir = project();
  const env = cleanEnv();
  const [one, two] = [await Repo.open(dir, env), await Repo.open(dir, env)];
  const base = await one.head();
  const trees = Array.from({ length: 16 }, (_, i) => join(dir, '.orchestrator', 'worktrees', `t${i}`));
  // git reads the other worktrees' files while it adds one; a half-made one failed it about once in 200
  // pairs of adds with both cores busy (too rarely to show here: this checks that all arrive and all go).
  const outsider = (i: number) => new Promise<void>((resolve) => {
    spawn('git', ['worktree', 'add', '-q', '-b', `outside-${i}`, join(dir, '.orchestrator', 'outside', `o${i}`), base], { cwd: dir, stdio: 'ignore' }).on('exit', () => resolve());
  });
  await Promise.all([...trees.map((tree, i) => (i % 2 ? one : two).addWorktree(tree, `task-${i}`, base)), outsider(1), outsider(2)]);
  const listed = (await one.worktrees()).map((tree) => tree.path);
  for (const tree of trees) assert.ok(listed.includes(tree) && existsSync(join(tree, 'app.txt')), `${tree} is a worktree`);
  await Promise.all(trees.map((tree, i) => (i % 2 ? two : one).removeWorktree(tree, { deleteBranch: `task-${i}` })));
  const left = (await two.worktrees()).map((tree) => tree.path);
  assert.deepEqual(trees.filter((tree) => left.includes(tree) || existsSync(tree)), [], 'every one removed');
  assert.deepEqual(await one.branches('task-'), []);
});
