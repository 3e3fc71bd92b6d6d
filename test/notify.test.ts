// Notifications of a run by each provider, against real receivers: a local HTTP server on
// 127.0.0.1 (ntfy, webhook) and a notify-send program on the PATH (desktop). Failures come back
// as words, never as exceptions.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { notify, type Notification } from '../src/flows/notify.js';
import { cleanupBackends, tempDir } from './support/backends.js';

after(cleanupBackends);

const received: { method: string; path: string; headers: IncomingHttpHeaders; body: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    res.statusCode = req.url === '/broken' ? 503 : 200;
    res.end();
  });
});
let base = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const note: Notification = { kind: 'blocked', run_id: 'run-1', title: 'Phase 2 blocked: API — “quotes”', message: 'the key is missing', phase: '2' };
const env = { PATH: process.env.PATH };

describe('notifications', () => {
  test('ntfy: the message POSTed to the server/topic with a title, tags and priority', async () => {
    assert.equal(await notify({ enabled: true, provider: 'ntfy', topic: 'my builds', url: `${base}/` }, note, env), null);
    const got = received.at(-1)!;
    assert.deepEqual([got.method, got.path, got.body], ['POST', '/my%20builds', 'the key is missing']);
    assert.equal(got.headers.title, 'Phase 2 blocked: API ? ?quotes?', 'header-safe title');
    assert.deepEqual([got.headers.tags, got.headers.priority], ['warning', 'high']);
  });

  test('webhook: a JSON POST with the event, run, phase, title, message and time', async () => {
    assert.equal(await notify({ enabled: true, provider: 'webhook', url: `${base}/hook` }, { ...note, kind: 'completed', phase: null }, env), null);
    const got = received.at(-1)!;
    assert.equal(got.headers['content-type'], 'application/json');
    const body = JSON.parse(got.body);
    assert.deepEqual({ ...body, at: undefined }, { event: 'completed', run_id: 'run-1', phase: null, title: note.title, message: note.message, at: undefined });
    assert.ok(!Number.isNaN(Date.parse(body.at)));
  });

  test('desktop: notify-send with the title and message when it is on the PATH; said so when it is not', async () => {
    const bin = tempDir('orchestrator-notify-');
    const out = join(bin, 'args.txt');
    writeFileSync(join(bin, 'notify-send'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\n`);
    chmodSync(join(bin, 'notify-send'), 0o755);
    assert.equal(await notify({ enabled: true, provider: 'desktop' }, note, { PATH: `${bin}:${process.env.PATH}` }), null);
    assert.equal(readFileSync(out, 'utf8'), `--app-name=claude-orchestrator\n${note.title}\n${note.message}\n`);
    assert.equal(await notify({ enabled: true, provider: 'desktop' }, note, { PATH: tempDir('orchestrator-empty-') }), 'desktop notifications need notify-send (libnotify) on the PATH');
  });

  test('failures come back as words: a refused connection, an error status, missing settings; disabled sends nothing', async () => {
    const count = received.length;
    assert.match((await notify({ enabled: true, provider: 'webhook', url: `${base}/broken` }, note, env))!, /answered 503/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.equal(await notify({ enabled: true, provider: 'webhook', url: `http://127.0.0.1:${port}/x` }, note, env), `cannot reach http://127.0.0.1:${port}/x: ECONNREFUSED`);
    assert.equal(await notify({ enabled: true, provider: 'ntfy' }, note, env), 'ntfy notifications need a topic (notifications.topic in config.yaml)');
    assert.equal(await notify({ enabled: true, provider: 'webhook' }, note, env), 'webhook notifications need a URL (notifications.url in config.yaml)');
    assert.equal(await notify({ enabled: false, provider: 'webhook', url: `${base}/hook` }, note, env), null);
    assert.equal(await notify({ enabled: true, provider: 'none' }, note, env), null);
    assert.equal(await notify(null, note, env), null);
    assert.equal(received.length, count + 1, 'only the 503 request reached the receiver');
  });
});
