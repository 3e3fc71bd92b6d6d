// The hosts a multi-host test file works with (hosts.ts): a "db" host running the board's
// PostgreSQL (pg-host.mjs) and a git daemon serving bare repositories, and worker hosts w1, w2.
// Made before the file's tests and torn down after; only the board URL and git URLs cross hosts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { writeTourPlan } from '../../scripts/tour-plan.mjs';
import { tempDir } from './backends.js';
import { cleanEnv, MAIN } from './cli.js';
import { makeNetwork, type Network, type Started } from './hosts.js';
import { until } from './until.js';

const PG_HOST = new URL('./pg-host.mjs', import.meta.url).pathname;

export interface Cluster {
  network: Network;
  /** The board (PostgreSQL on the db host) and the git daemon's base URL. */
  url: string;
  gitUrl: string;
  /** Keeps a process to stop at the end. */
  keep(started: Started): Started;
  /** `orchestrate worker` on a host, for the command agent, one order at a time. */
  worker(host: 'w1' | 'w2', name: string, env?: Record<string, string>): Started;
  /** An `orchestrate` command on the db host, its JSON. */
  ask(args: string[]): Promise<any>;
  /** The tour's plan in a new folder, and a bare repository `<repo>.git` on the git host. */
  project(repo: string): string;
  /** A bare repository's folder (for the test to read, not the code under test). */
  bare(repo: string): string;
}

export function cluster(): Cluster {
  let network: Network | undefined;
  let db: Started | undefined;
  let gitDaemon: Started | undefined;
  let url = '';
  let gitUrl = '';
  let repos = '';
  const started: Started[] = [];

  before(async () => {
    network = makeNetwork(['db', 'w1', 'w2']);
    const home = tempDir('orchestrator-hosts-');
    const env = cleanEnv();
    const host = network.hosts.db!;
    db = host.start([process.execPath, PG_HOST, host.address, `${network.net}.0/24`], { env, cwd: home, hostname: 'host-db' });
    url = JSON.parse((await db.waitFor(/^\{.*\}$/m, 60_000))[0]).url;
    repos = join(home, 'git');
    mkdirSync(repos);
    gitDaemon = host.start(['git', 'daemon', '--reuseaddr', `--base-path=${repos}`, '--export-all', '--enable=receive-pack', `--listen=${host.address}`, '--port=9418', repos], { env, cwd: repos, hostname: 'host-db' });
    gitUrl = `git://${host.address}:9418`;
    spawnSync('git', ['init', '-q', '--bare', join(repos, 'probe.git')]);
    await until('the git daemon listens', async () => (await network!.hosts.w1!.run(['git', 'ls-remote', `${gitUrl}/probe.git`], { env, cwd: home })).code === 0, 30_000, 200);
  });

  after(async () => {
    for (const process of started.reverse()) await process.stop();
    await gitDaemon?.stop();
    await db?.stop();
    network?.teardown();
  });

  const self: Cluster = {
    get network() {
      return network!;
    },
    get url() {
      return url;
    },
    get gitUrl() {
      return gitUrl;
    },
    keep(process) {
      started.push(process);
      return process;
    },
    worker(host, name, extra = {}) {
      const dir = tempDir(`orchestrator-${host}-`);
      return self.keep(network!.hosts[host]!.start([process.execPath, MAIN, 'worker', '--name', name, '--agents', 'command', '--max', '1', '--work-dir', join(dir, 'work')], { env: { ...cleanEnv(), ORCHESTRATOR_DB: url, ...extra }, cwd: dir }));
    },
    async ask(args) {
      const result = await network!.hosts.db!.run([process.execPath, MAIN, ...args, '--json'], { env: { ...cleanEnv(), ORCHESTRATOR_DB: url }, cwd: tempDir() });
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout);
    },
    project(repo) {
      const dir = tempDir('orchestrator-hosts-plan-');
      writeTourPlan(dir);
      spawnSync('git', ['init', '-q', '--bare', self.bare(repo)]);
      return dir;
    },
    bare(repo) {
      return join(repos, `${repo}.git`);
    },
  };
  return self;
}
