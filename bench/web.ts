// The live web view with 10 000 tasks: snapshot time and size, a push committed by another
// connection → its row arriving on the event stream (p50/p99), the server's CPU while nothing
// happens and its RSS (a real `orchestrate web` process, read from /proc). Prints one JSON line.
// Args: <board url> <tasks>.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Board } from '../src/board/board.js';
import { openDb } from '../src/store/open.js';
import { serveWeb } from '../src/views/web/server.js';

const [url, count = '10000'] = process.argv.slice(2);
const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;
const seed = new Board(await openDb(url!));
for (let i = 0; i < Number(count); i += 1000) await seed.tasks.pushMany(Array.from({ length: Math.min(1000, Number(count) - i) }, (_, j) => ({ title: `task ${i + j}`, priority: (i + j) % 4 })));
const pusher = new Board(await openDb(url!)); // another connection: its commits wake the view as another process's would

const db = await openDb(url!);
const web = await serveWeb({ db, host: '127.0.0.1', port: 0, token: null, readOnly: true, person: 'bench', run: async () => ({ code: 0, stdout: '', stderr: '' }) });
const login = await fetch(web.loginUrl, { redirect: 'manual' });
const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;

const snapshots: number[] = [];
let bytes = 0;
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  const body = await (await fetch(`${web.url}api/snapshot`, { headers: { cookie } })).text();
  snapshots.push(performance.now() - start);
  bytes = Buffer.byteLength(body);
}

// The stream: each pushed task's row, timed from just before the push until it arrives.
const response = await fetch(`${web.url}api/stream`, { headers: { cookie } });
const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
const waiting = new Map<string, (at: number) => void>();
let buffer = '';
void (async () => {
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (!data) continue;
      const at = performance.now();
      for (const row of (JSON.parse(data.slice(6)) as { rows: { title: string }[] }).rows) waiting.get(row.title)?.(at);
    }
  }
})();
const latencies: number[] = [];
for (let i = 0; i < 100; i++) {
  const title = `live ${i}`;
  const arrived = new Promise<number>((resolve) => waiting.set(title, resolve));
  const start = performance.now();
  await pusher.tasks.push({ title });
  latencies.push((await arrived) - start);
  waiting.delete(title);
}
latencies.sort((a, b) => a - b);

// Idle: `orchestrate web` as people run it, its stream open, nothing happening, for 10 s; its CPU
// time and RSS from /proc.
const child = spawn(process.execPath, [MAIN, 'web', '--port', '0', '--db', url!], { stdio: ['ignore', 'pipe', 'inherit'] });
const childLogin = await new Promise<string>((resolve) => {
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
    const match = /open (http:\/\/\S+)/.exec(out);
    if (match) resolve(match[1]!);
  });
});
const childCookie = String((await fetch(childLogin, { redirect: 'manual' })).headers.get('set-cookie')).split(';')[0]!;
const idleStream = await fetch(new URL('api/stream', childLogin), { headers: { cookie: childCookie } });
const idleReader = idleStream.body!.getReader();
void idleReader.read();
await new Promise((resolve) => setTimeout(resolve, 5000)); // it settles after start
const ticks = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).reduce((sum, n) => sum + Number(n), 0);
const before = ticks();
const idleStart = performance.now();
await new Promise((resolve) => setTimeout(resolve, 10_000));
const idleCpuMsPerS = ((ticks() - before) * 10) / ((performance.now() - idleStart) / 1000); // 100 ticks a second
const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
await idleReader.cancel().catch(() => undefined);
child.kill('SIGTERM');

await reader.cancel().catch(() => undefined);
await web.close();
await db.close();
await seed.close();
await pusher.close();
snapshots.sort((a, b) => a - b);
console.log(JSON.stringify({ tasks: Number(count), snapshotMs: snapshots[2], snapshotKb: bytes / 1024, p50: latencies[49], p99: latencies[98], idleCpuMsPerS, rssMb }));
process.exit(0);
