import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { OrchestratorError } from '../core/errors.js';
import { runCommand, type CommandResult } from '../runner/exec.js';

/**
 * The worktree manager and the merge primitives of the engine, on the user's repository without
 * ever touching their checkout: the run lives on its own branch, checked out in an integration
 * worktree; each task gets a worktree and a branch from the run branch; merges happen in the
 * integration worktree, one at a time, and a conflict is aborted and reported, never left half
 * done. `.orchestrator/` is kept out of git through `.git/info/exclude`, not the user's .gitignore.
 */
export interface MergeResult {
  merged: boolean;
  /** The branch had no commit the target lacks: nothing was merged. */
  empty: boolean;
  /** The files both sides changed, when the merge conflicted (it was aborted). */
  conflicts: string[];
  sha: string | null;
  /** git's diffstat of what the merge brought. */
  stat: string;
  /** Refused before it began: uncommitted changes in `cwd` would have been overwritten (nothing changed). */
  dirty: boolean;
}

/** Commits made by the engine carry this identity when git has none configured. */
const ENGINE_IDENTITY = { GIT_AUTHOR_NAME: 'claude-orchestrator', GIT_AUTHOR_EMAIL: 'orchestrator@localhost', GIT_COMMITTER_NAME: 'claude-orchestrator', GIT_COMMITTER_EMAIL: 'orchestrator@localhost' };

/** The last worktree change queued per repository root (Repo.worktreeChange). */
const worktreeLocks = new Map<string, Promise<void>>();

export class Repo {
  private constructor(readonly root: string, private readonly env: Record<string, string | undefined>) {}

  /** The repository holding `dir`; one clear error when it is not in one. */
  static async open(dir: string, env: Record<string, string | undefined>): Promise<Repo> {
    const found = await runCommand('git', ['rev-parse', '--show-toplevel'], { cwd: dir, env: gitEnv(env), timeoutMs: 30_000 });
    if (found.code !== 0) throw new OrchestratorError('invalid_input', `${dir} is not in a git repository: run 'git init' and commit once, or pass --project <a repository>`);
    const root = found.stdout.trim();
    const email = await runCommand('git', ['config', 'user.email'], { cwd: root, env: gitEnv(env), timeoutMs: 30_000 });
    const identity = email.code === 0 && email.stdout.trim() !== '' ? {} : ENGINE_IDENTITY;
    return new Repo(root, { ...identity, ...env });
  }

  /** git in `cwd`; its automatic housekeeping after a commit or a merge is left to housekeeping(), once a cycle. */
  async git(args: string[], cwd = this.root, options: { allowFailure?: boolean } = {}): Promise<CommandResult> {
    const result = await runCommand('git', ['-c', 'maintenance.auto=false', '-c', 'gc.auto=0', ...args], { cwd, env: gitEnv(this.env), timeoutMs: 120_000 });
    if (result.code !== 0 && !options.allowFailure) throw gitFailed(args, cwd, result);
    return result;
  }

  async head(cwd = this.root): Promise<string> {
    const head = await this.git(['rev-parse', '--verify', '--quiet', 'HEAD'], cwd, { allowFailure: true });
    if (head.code !== 0) throw new OrchestratorError('invalid_input', `the repository at ${cwd} has no commit yet; commit something first (a run branches from HEAD)`);
    return head.stdout.trim();
  }

  async currentBranch(cwd = this.root): Promise<string | null> {
    const result = await this.git(['symbolic-ref', '--quiet', '--short', 'HEAD'], cwd, { allowFailure: true });
    return result.code === 0 ? result.stdout.trim() : null;
  }

  /** Changed or untracked files in a working tree (ignored ones and .orchestrator/ aside). */
  async changes(cwd = this.root): Promise<string[]> {
    const status = await this.git(['status', '--porcelain', '--untracked-files=all'], cwd);
    return status.stdout.split('\n').filter(Boolean).map((line) => line.slice(3)).filter((path) => !path.startsWith('.orchestrator/'));
  }

  /** Keeps `.orchestrator/` out of git for this clone only. */
  excludeStateDir(): void {
    const exclude = join(this.root, '.git', 'info', 'exclude');
    if (!existsSync(join(this.root, '.git'))) return; // a worktree or submodule: its main repository decides
    const text = existsSync(exclude) ? readFileSync(exclude, 'utf8') : '';
    if (text.split('\n').some((line) => line.trim() === '.orchestrator/' || line.trim() === '/.orchestrator/')) return;
    mkdirSync(dirname(exclude), { recursive: true });
    appendFileSync(exclude, `${text === '' || text.endsWith('\n') ? '' : '\n'}# claude-orchestrator state\n/.orchestrator/\n`);
  }

  async branchExists(name: string): Promise<boolean> {
    return (await this.git(['rev-parse', '--verify', '--quiet', `refs/heads/${name}`], this.root, { allowFailure: true })).code === 0;
  }

  /**
   * A worktree at `path` on `branch`, created from `from` when the branch is new; an existing
   * worktree there is reused. The usual case (no folder, no branch) is one git command; anything
   * else (a worktree a crash left, its folder gone, the branch there already) takes the long way.
   */
  async addWorktree(path: string, branch: string, from: string): Promise<void> {
    const target = resolve(path);
    await this.worktreeChange(async () => {
      if (!existsSync(target)) {
        mkdirSync(dirname(target), { recursive: true });
        const added = await this.git(['worktree', 'add', '-b', branch, target, from], this.root, { allowFailure: true });
        if (added.code === 0) return;
        if (!/already exists/.test(added.stderr)) throw gitFailed(['worktree', 'add', target], this.root, added);
      }
      if ((await this.worktrees()).some((tree) => tree.path === target)) {
        if (existsSync(target)) return;
        await this.git(['worktree', 'prune']); // its folder is gone: forget it, then make it again
      }
      if (await this.branchExists(branch)) await this.git(['worktree', 'add', target, branch]);
      else await this.git(['worktree', 'add', '-b', branch, target, from]);
    });
  }

  /**
   * Adding or removing a worktree, one at a time per repository in this process: git reads every
   * other worktree's files while it adds one, and fails ("failed to read .git/worktrees/<name>/
   * commondir") when it meets one half made. Another process's change in between is waited out
   * by trying again (the change starts over: a branch the failed try made is reused).
   */
  private async worktreeChange(change: () => Promise<void>): Promise<void> {
    const previous = worktreeLocks.get(this.root) ?? Promise.resolve();
    const mine = previous.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await change();
        } catch (error) {
          if (attempt >= 5 || !(error instanceof OrchestratorError && /\.git\/worktrees\//.test(error.message))) throw error;
          await new Promise((done) => setTimeout(done, 100 * attempt));
        }
      }
    });
    const tail = mine.catch(() => undefined);
    worktreeLocks.set(this.root, tail);
    try {
      await mine;
    } finally {
      if (worktreeLocks.get(this.root) === tail) worktreeLocks.delete(this.root);
    }
  }

  /**
   * Makes a worktree usable after a crash (kill -9 mid-merge or mid-commit): a stale index lock
   * removed, a half-done merge aborted. Only for worktrees of a run whose orchestrator is gone.
   */
  async recover(path: string): Promise<void> {
    if (!existsSync(path)) return;
    const gitDir = resolve(path, (await this.git(['rev-parse', '--git-dir'], path)).stdout.trim());
    rmSync(join(gitDir, 'index.lock'), { force: true });
    if (existsSync(join(gitDir, 'MERGE_HEAD'))) await this.git(['merge', '--abort'], path, { allowFailure: true });
  }

  async removeWorktree(path: string, options: { deleteBranch?: string } = {}): Promise<void> {
    await this.worktreeChange(async () => {
      const removed = await this.git(['worktree', 'remove', '--force', resolve(path)], this.root, { allowFailure: true });
      if (removed.code !== 0) await this.git(['worktree', 'prune'], this.root, { allowFailure: true });
    });
    if (options.deleteBranch) await this.deleteBranch(options.deleteBranch);
  }

  /** The local branches whose names start with `prefix`. */
  async branches(prefix: string): Promise<string[]> {
    const list = await this.git(['for-each-ref', '--format=%(refname:short)', `refs/heads/${prefix}*`]);
    return list.stdout.split('\n').filter(Boolean);
  }

  async deleteBranch(name: string): Promise<void> {
    await this.deleteBranches([name]);
  }

  /** Deletes these branches (those already gone aside), a few hundred per command. */
  async deleteBranches(names: string[]): Promise<void> {
    for (let at = 0; at < names.length; at += 200) await this.git(['branch', '-D', ...names.slice(at, at + 200)], this.root, { allowFailure: true });
  }

  async worktrees(): Promise<{ path: string; branch: string | null; head: string | null }[]> {
    const list = await this.git(['worktree', 'list', '--porcelain']);
    return list.stdout.split('\n\n').filter(Boolean).map((block) => ({
      path: /^worktree (.+)$/m.exec(block)?.[1] ?? '',
      branch: /^branch refs\/heads\/(.+)$/m.exec(block)?.[1] ?? null,
      head: /^HEAD (\w+)$/m.exec(block)?.[1] ?? null,
    }));
  }

  /** Commits whatever is left uncommitted in a worktree; false when nothing was left. */
  async commitAll(cwd: string, message: string): Promise<boolean> {
    await this.git(['add', '-A'], cwd);
    // Never the state folder (an agent's MCP server may create one in a worktree whose repository
    // does not exclude it); naming it in the add would fail where it is excluded, so it is unstaged.
    if (existsSync(join(cwd, '.orchestrator'))) await this.git(['reset', '-q', '--', '.orchestrator'], cwd);
    return this.commit(cwd, ['-m', message]);
  }

  /** Commits these files as they are in `cwd`, whatever else is staged or changed; false when they had no change. */
  async commitFiles(cwd: string, files: string[], message: string): Promise<boolean> {
    return files.length > 0 && this.commit(cwd, ['-m', message, '--only', '--', ...files]);
  }

  /** `git commit` with these arguments; false when it had nothing to commit. */
  private async commit(cwd: string, args: string[]): Promise<boolean> {
    const result = await this.git(['commit', '--no-verify', '-q', ...args], cwd, { allowFailure: true });
    if (result.code === 0) return true;
    if (/^(nothing to commit|nothing added to commit|no changes added to commit)/m.test(result.stdout)) return false;
    throw gitFailed(['commit', ...args], cwd, result);
  }

  /** How many commits `head` has that `base` has not. */
  async commitsAhead(base: string, head: string): Promise<number> {
    return Number((await this.git(['rev-list', '--count', `${base}..${head}`])).stdout.trim());
  }

  /**
   * Merges `branch` into what `cwd` has checked out (--no-ff), with what it brought (git's
   * diffstat); `empty` when the branch had nothing new. A conflict is aborted and its files reported.
   */
  async merge(cwd: string, branch: string, message: string): Promise<MergeResult> {
    const result = await this.git(['merge', '--no-ff', '--no-edit', '--stat', '-m', message, branch], cwd, { allowFailure: true });
    if (result.code === 0) {
      if (/^Already up[ -]to[ -]date/m.test(result.stdout)) return { merged: true, empty: true, conflicts: [], sha: null, stat: '', dirty: false };
      const stat = result.stdout.split('\n').filter((line) => / \| /.test(line) || /^ \d+ files? changed/.test(line)).join('\n');
      return { merged: true, empty: false, conflicts: [], sha: readHead(cwd) ?? (await this.head(cwd)), stat, dirty: false };
    }
    if (/would be overwritten by merge/.test(result.stderr)) return { merged: false, empty: false, conflicts: [], sha: null, stat: '', dirty: true };
    const unmerged = await this.git(['diff', '--name-only', '--diff-filter=U'], cwd, { allowFailure: true });
    await this.git(['merge', '--abort'], cwd, { allowFailure: true });
    const conflicts = unmerged.stdout.split('\n').filter(Boolean);
    if (conflicts.length === 0) throw new OrchestratorError('internal', `git merge ${branch} failed without a conflict: ${(result.stderr || result.stdout).trim()}`);
    return { merged: false, empty: false, conflicts, sha: null, stat: '', dirty: false };
  }

  /** git's automatic housekeeping (packing loose objects when there are many), which the engine's own commands skip. */
  async housekeeping(): Promise<void> {
    await this.git(['maintenance', 'run', '--auto'], this.root, { allowFailure: true });
  }

  /** True when the run branch `target` has a merge of `branch`'s head (a merge done before a crash, say). */
  async mergedInto(target: string, branch: string): Promise<boolean> {
    const head = (await this.git(['rev-parse', branch])).stdout.trim();
    const merges = await this.git(['log', '--merges', '--format=%P', target]);
    return merges.stdout.split('\n').some((parents) => parents.split(' ').slice(1).includes(head));
  }

  /** True when `commit` is already part of `branch`. */
  async contains(branch: string, commit: string): Promise<boolean> {
    return (await this.git(['merge-base', '--is-ancestor', commit, branch], this.root, { allowFailure: true })).code === 0;
  }
}

/**
 * The commit checked out in `cwd`, read from git's own files (gitrepository-layout(5)): a ref git
 * has just moved is a loose file; null when it is not (packed, or another ref store) — ask git then.
 */
export function readHead(cwd: string): string | null {
  try {
    let gitDir = join(cwd, '.git');
    if (statSync(gitDir).isFile()) gitDir = resolve(cwd, (/^gitdir: (.+)$/m.exec(readFileSync(gitDir, 'utf8'))?.[1] ?? '').trim());
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (refs\/heads\/\S+)$/.exec(head)?.[1];
    const common = existsSync(join(gitDir, 'commondir')) ? resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim()) : gitDir;
    const sha = ref ? readFileSync(join(common, ref), 'utf8').trim() : head;
    return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

/** A git command that failed, with the last lines it printed. */
function gitFailed(args: string[], cwd: string, result: CommandResult): OrchestratorError {
  return new OrchestratorError('internal', `git ${args.join(' ')} failed in ${cwd}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ')}`);
}

/** git with the caller's environment, no pager, no prompt, messages in English (they are parsed). */
function gitEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' };
}
