// The live web view with 10 000 tasks: snapshot time and size, a push committed by another
// connection → its row arriving on the event stream (p50/p99), the server's CPU while nothing
// happens, and its RSS. Prints one JSON line. Args: <board url> <tasks>.
import { Board } from '../src/board/board.js';
import { openDb } from '../src/store/open.js';
import { serveWeb } from '../src/views/web/server.js';

const [url, count = '10000'] = process.argv.slice(2);
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

// Idle: the stream open, nothing happening, for 5 s.
await new Promise((resolve) => setTimeout(resolve, 500));
const cpuBefore = process.cpuUsage();
const idleStart = performance.now();
await new Promise((resolve) => setTimeout(resolve, 5000));
const cpu = process.cpuUsage(cpuBefore);
const idleCpuMsPerS = (cpu.user + cpu.system) / 1000 / ((performance.now() - idleStart) / 1000);
const rssMb = process.memoryUsage().rss / 1024 / 1024;

await reader.cancel().catch(() => undefined);
await web.close();
await db.close();
await seed.close();
await pusher.close();
snapshots.sort((a, b) => a - b);
console.log(JSON.stringify({ tasks: Number(count), snapshotMs: snapshots[2], snapshotKb: bytes / 1024, p50: latencies[49], p99: latencies[98], idleCpuMsPerS, rssMb }));
process.exit(0);
