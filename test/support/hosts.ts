// Several hosts on one machine (../shared/notes/multi-host.md): a network namespace per host on a
// bridge of its own, addresses in a /24 that exists only inside them, and each long-lived process
// in its own UTS, PID and mount namespace with its own host name. A host reaches the others only
// through the network. Cutting a host's cable and healing it are one command each; teardown
// removes every namespace (and with them their processes and addresses).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Host {
  name: string;
  /** The namespace's name and the host's address. */
  ns: string;
  address: string;
  /** A long-lived process on this host, under its own host name (SIGTERM reaches the program). */
  start(argv: string[], options: { env: Record<string, string>; cwd: string; hostname?: string }): Started;
  /** A command on this host, to its end (killed after `timeoutMs`, default 4 minutes). */
  run(argv: string[], options: { env: Record<string, string>; cwd: string; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export interface Started {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in what it printed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends a signal to the program itself (SIGKILL: a host's process killed). */
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<number | null>;
}

export interface Network {
  net: string;
  hosts: Record<string, Host>;
  /** Pulls the host's cable (the switch port goes down); heal puts it back. */
  cut(host: string): void;
  heal(host: string): void;
  teardown(): void;
}

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/** Null when this machine can make test hosts; else why not (the test says so and skips). */
export function cannotMakeHosts(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `o${process.pid}-probe`;
  const made = ip('netns', 'add', probe);
  if (made.status !== 0) return `ip netns add failed: ${(made.stderr || made.error?.message || '').trim()}`;
  ip('netns', 'del', probe);
  if (spawnSync('unshare', ['--uts', '--pid', '--fork', '--mount', '--mount-proc', 'true']).status !== 0) return 'unshare --uts --pid --mount cannot run here';
  return null;
}

/**
 * Namespaces a killed test left behind (named after a process that is gone): their processes are
 * killed and they are removed. A test file killed at its time limit runs no `after`.
 */
function removeStale(): void {
  for (const line of ip('netns', 'list').stdout.split('\n')) {
    const match = /^(o(\d+)-\w+)/.exec(line);
    if (!match || isAlive(Number(match[2]))) continue;
    for (const pid of ip('netns', 'pids', match[1]!).stdout.split(/\s+/).filter(Boolean)) {
      signal(Number(pid), 'SIGKILL');
    }
    ip('netns', 'del', match[1]!);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function makeNetwork(names: string[]): Network {
  removeStale();
  const prefix = `o${process.pid}`;
  const net = `10.213.${(process.pid % 200) + 20}`;
  const sw = `${prefix}-sw`;
  const made: string[] = [];
  const must = (...args: string[]) => {
    const result = ip(...args);
    if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
  };
  const teardown = () => {
    for (const ns of made.reverse()) {
      for (const pid of ip('netns', 'pids', ns).stdout.split(/\s+/).filter(Boolean)) {
        signal(Number(pid), 'SIGKILL');
      }
      ip('netns', 'del', ns);
    }
    made.length = 0;
  };
  try {
    must('netns', 'add', sw);
    made.push(sw);
    must('-n', sw, 'link', 'set', 'lo', 'up');
    must('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    must('-n', sw, 'link', 'set', 'br0', 'up');
    const hosts: Record<string, Host> = {};
    names.forEach((name, i) => {
      const ns = `${prefix}-${name}`;
      const address = `${net}.${10 + i}`;
      must('netns', 'add', ns);
      made.push(ns);
      must('-n', ns, 'link', 'set', 'lo', 'up');
      spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      must('link', 'add', 'name', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p-${name}`, 'netns', sw);
      must('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      must('-n', ns, 'link', 'set', 'eth0', 'up');
      must('-n', sw, 'link', 'set', `p-${name}`, 'master', 'br0');
      must('-n', sw, 'link', 'set', `p-${name}`, 'up');
      hosts[name] = host(name, ns, address);
    });
    return {
      net,
      hosts,
      cut: (name) => must('-n', sw, 'link', 'set', `p-${name}`, 'down'),
      heal: (name) => must('-n', sw, 'link', 'set', `p-${name}`, 'up'),
      teardown,
    };
  } catch (error) {
    teardown();
    throw error;
  }
}

function host(name: string, ns: string, address: string): Host {
  return {
    name,
    ns,
    address,
    start(argv, options) {
      // A fixed script with the host name and the program as arguments: nothing is parsed by a shell.
      const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '--uts', '--pid', '--mount', '--fork', '--mount-proc', '--kill-child=SIGTERM',
        'sh', '-c', 'hostname "$0" && exec "$@"', options.hostname ?? `host-${name}`, ...argv], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const listeners = new Set<() => void>();
      const take = (d: Buffer) => {
        out += d.toString();
        for (const listener of listeners) listener();
      };
      child.stdout!.on('data', take);
      child.stderr!.on('data', take);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return {
        child,
        output: () => out,
        waitFor(pattern, timeoutMs = 60_000) {
          return new Promise((resolve, reject) => {
            const check = () => {
              const match = pattern.exec(out);
              if (match) {
                listeners.delete(check);
                clearTimeout(timer);
                resolve(match);
              }
            };
            const timer = setTimeout(() => {
              listeners.delete(check);
              reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms; it printed:\n${out.slice(-3000)}`));
            }, timeoutMs);
            listeners.add(check);
            check();
            void exited.then(() => {
              if (listeners.has(check)) {
                listeners.delete(check);
                clearTimeout(timer);
                reject(new Error(`${name} ended before printing ${pattern}:\n${out.slice(-3000)}`));
              }
            });
          });
        },
        kill(name) {
          for (const pid of childrenOf(child.pid!)) signal(pid, name);
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          // unshare waits for its child and ignores SIGTERM itself: the program gets it.
          for (const pid of childrenOf(child.pid!)) signal(pid, 'SIGTERM');
          const killer = setTimeout(() => {
            for (const pid of childrenOf(child.pid!)) signal(pid, 'SIGKILL');
            child.kill('SIGKILL');
          }, 30_000);
          const code = await exited;
          clearTimeout(killer);
          return code;
        },
      };
    },
    run(argv, options) {
      return new Promise((resolve) => {
        const child = spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d) => (stdout += d));
        child.stderr!.on('data', (d) => (stderr += d));
        const timer = setTimeout(() => {
          stderr += `\n(killed after ${options.timeoutMs ?? 240_000} ms)`;
          child.kill('SIGKILL');
        }, options.timeoutMs ?? 240_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
  };
}
