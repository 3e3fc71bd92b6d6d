// `orchestrate web` on SQLite and PostgreSQL: a one-time login that becomes a cookie, a foreign
// Host, a cross-origin or non-JSON write and a request without the cookie are refused; the
// snapshot classifies the board; the event stream brings a task pushed from the CLI and resumes
// after a cut with what was missed, no gap and no duplicate (or "reset" when the gap is too old);
// an approval is answered once (the second answer is told who answered first); --read-only
// refuses writes. Then the page in real Chromium (Debian's chromium, playwright-core): it renders,
// a pushed task appears without a reload, Allow answers a pending approval; a screenshot per page
// goes to test/artifacts/. The pages behind the rows after a real master-plan run (command
// agents): a task with its attempts and the gate that refused one, the task graph with its
// critical path, the kanban, the run's timeline, the merge queue, costs, messages; a page follows
// the board without a reload; Priority and Message act through their commands, and the event log
// names the person. Last, Allow in the page answers a real Claude Code worker (scripted model)
// waiting on a Write, the worker goes on, and the costs page counts its tokens.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BACKENDS, cleanupBackends, newBoardUrl, openBoard, tempDir } from './support/backends.js';
import { cleanEnv, cli, MAIN, newProject } from './support/cli.js';
import { until } from './support/until.js';
import { CLAUDE, claudeEnv, claudeHome } from './support/claude.js';
import { startFakeModel } from './support/fake-model/server.js';
import { call, stdioClient } from './support/mcp-client.js';
import { tourAgent, writeTourPlan } from '../scripts/tour-plan.mjs';

after(cleanupBackends);

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function startWeb(cwd: string, args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [MAIN, 'web', '--port', '0', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const login = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`web exited ${code}: ${stderr}`)));
  });
  login.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { login, stop: async () => { child.kill('SIGTERM'); return exited; } };
}

/** A page logged in at `login`, with the script errors and CSP violations it meets. */
async function openPage(browser: Browser, login: string): Promise<{ page: Page; problems: string[] }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
  await page.goto(login);
  return { page, problems };
}

/** An HTTP request with any headers (fetch will not send a foreign Host). */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function logIn(loginUrl: string): Promise<{ base: string; cookie: string; origin: string }> {
  const first = await raw(loginUrl);
  assert.equal(first.status, 303);
  const setCookie = String(first.headers['set-cookie']);
  assert.match(setCookie, /^orchestrate_[0-9a-f]{8}=[\w-]+; HttpOnly; SameSite=Strict; Path=\//);
  const url = new URL(loginUrl);
  return { base: `${url.origin}/`, cookie: setCookie.split(';')[0]!, origin: url.origin };
}

/** Reads server-sent events from a stream until `enough` says stop; returns them. */
async function readEvents(url: string, cookie: string, lastEventId: string | null, enough: (events: { id: string; event: string; data: any }[]) => boolean, timeoutMs = 30_000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: { id: string; event: string; data: any }[] = [];
  try {
    const response = await fetch(new URL('api/stream', url), { headers: { cookie, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }, signal: controller.signal });
    assert.equal(response.status, 200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((line) => !line.startsWith(':') && line.includes(': ')).map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]));
        if (fields.event) events.push({ id: fields.id ?? '', event: fields.event, data: JSON.parse(fields.data ?? 'null') });
      }
    }
    return events;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

for (const backend of BACKENDS) {
  describe(`orchestrate web on ${backend}`, () => {
    test('login once, refusals, snapshot, live stream with resume, actions as commands, one answer per approval, read-only', async () => {
      const dir = newProject();
      const url = newBoardUrl(backend);
      const env = cleanEnv({ ORCHESTRATOR_DB: url, USER: 'alice' });
      const first = (await cli(dir, ['task', 'push', 'first task', '--json'], env)).json;
      const board = await openBoard(url);
      const asked = await board.approvals.request({ agent: 'worker-1', role: 'implementer', tool_name: 'Bash', input: { command: 'rm -rf build <script>alert(1)</script>' }, tool_use_id: null });
      const web = startWeb(dir, [], env);
      try {
        const loginUrl = await web.login;
        assert.match(loginUrl, /^http:\/\/127\.0\.0\.1:\d+\/\?login=[\w-]+$/);
        const noCookie = await raw(new URL('api/snapshot', loginUrl).toString());
        assert.equal(noCookie.status, 401);
        assert.match(noCookie.body, /open the URL that orchestrate web printed/);
        const { base, cookie, origin } = await logIn(loginUrl);
        assert.equal((await raw(loginUrl)).status, 401, 'the login link works once');
        const port = new URL(base).port;
        assert.equal((await raw(`${base}api/snapshot`, { headers: { cookie, host: `evil.example:${port}` } })).status, 403, 'a foreign Host (DNS rebinding) is refused');

        const snapshot = JSON.parse((await raw(`${base}api/snapshot`, { headers: { cookie } })).body);
        const row = (key: string) => snapshot.rows.find((r: { key: string }) => r.key === key);
        assert.equal(row(`task:${first.id}`).attention, 'queued');
        assert.equal(row(`approval:${asked.id}`).attention, 'needs_you');
        assert.equal(snapshot.rows[0].attention, 'needs_you', 'what needs you comes first');
        assert.equal(snapshot.counts.needs_you, 1);

        // Live: a task pushed from the CLI arrives on the stream.
        const live = readEvents(base, cookie, null, (events) => events.some((e) => e.data.rows?.some((r: { title: string }) => r.title === 'second task')));
        await new Promise((resolve) => setTimeout(resolve, 300)); // the stream is open before the push
        await cli(dir, ['task', 'push', 'second task'], env);
        const arrived = await live;
        const lastSeen = arrived.at(-1)!.id;
        // Cut: two more pushes while nobody listens; the reconnect brings both, once.
        await cli(dir, ['task', 'push', 'third task'], env);
        await cli(dir, ['task', 'push', 'fourth task'], env);
        // What the server had read by then comes at once, the rest live after it.
        const titlesOf = (events: { data: any }[]) => events.flatMap((e) => e.data.rows ?? []).map((r: { title: string }) => r.title);
        const resumed = await readEvents(base, cookie, lastSeen, (events) => titlesOf(events).includes('fourth task'));
        assert.ok(resumed.every((e) => e.event === 'change'));
        assert.deepEqual(titlesOf(resumed).sort(), ['fourth task', 'third task'], 'what was missed, each once, nothing else');
        const ids = resumed.flatMap((e) => e.data.events.map((event: { id: number }) => event.id));
        assert.ok(ids.every((id, i) => id > Number(lastSeen) && (i === 0 || id > ids[i - 1]!)), `no event from before the cut, none twice: ${ids}`);
        assert.deepEqual((await readEvents(base, cookie, '0', (events) => events.length > 0))[0]!.event, 'reset', 'a gap older than the view: take a new snapshot');

        // Writes: exact Origin and JSON, or refused.
        const allow = JSON.stringify({ action: 'approval.allow', id: asked.id });
        const post = (headers: Record<string, string>, body = allow) => raw(`${base}api/action`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body });
        assert.equal((await post({})).status, 403, 'no Origin');
        assert.equal((await post({ origin: 'http://evil.example' })).status, 403, 'a foreign Origin');
        assert.equal((await post({ origin, 'content-type': 'text/plain' })).status, 415, 'a form post is not JSON');
        assert.equal((await raw(`${base}api/action`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: allow })).status, 401, 'no cookie');
        const allowed = await post({ origin });
        assert.equal(allowed.status, 200, allowed.body);
        assert.equal(JSON.parse(allowed.body).command, `orchestrate approvals allow ${asked.id}`);
        const again = await post({ origin });
        assert.equal(again.status, 409);
        assert.match(JSON.parse(again.body).output, /already answered: allowed by alice \(web\)/);
        const log = JSON.parse((await raw(`${base}api/actions`, { headers: { cookie } })).body).items;
        assert.deepEqual(log.map((a: { command: string; person: string; ok: boolean }) => [a.command, a.person, a.ok]), [[`orchestrate approvals allow ${asked.id}`, 'alice (web)', true], [`orchestrate approvals allow ${asked.id}`, 'alice (web)', false]]);
        const decided = (await board.approvals.list()).items.find((a) => a.id === asked.id)!;
        assert.equal(decided.state, 'allowed');
        assert.equal(decided.decided_by, 'alice (web)');
      } finally {
        assert.equal(await web.stop(), 0, 'Ctrl-C stops it cleanly');
        await board.close();
      }

      const readOnly = startWeb(dir, ['--read-only'], env);
      try {
        const { base, cookie, origin } = await logIn(await readOnly.login);
        const refused = await raw(`${base}api/action`, { method: 'POST', headers: { cookie, origin, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'task.cancel', id: first.id }) });
        assert.equal(refused.status, 403);
        assert.match(refused.body, /read-only/);
        assert.equal((await cli(dir, ['task', 'get', first.id, '--json'], env)).json.status, 'pending');
      } finally {
        await readOnly.stop();
      }
      assert.match((await cli(dir, ['web', '--host', '0.0.0.0', '--port', '0'], env)).stderr, /^error: binding 0\.0\.0\.0 opens the board beyond this machine: pass --token/);
    });

    test('the page in Chromium: attention first, a pushed task appears live, Allow answers the approval; screenshots', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: apt-get install chromium (.ci/run does)` }, async () => {
      const dir = newProject();
      const url = newBoardUrl(backend);
      const env = cleanEnv({ ORCHESTRATOR_DB: url, USER: 'bob' });
      await cli(dir, ['task', 'push', 'write the parser', '--json'], env);
      const board = await openBoard(url);
      const asked = await board.approvals.request({ agent: 'worker-2', role: 'implementer', tool_name: 'Bash', input: { command: 'echo <b>not bold</b>' }, tool_use_id: null });
      const web = startWeb(dir, [], env);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
      try {
        const { page, problems } = await openPage(browser, await web.login);
        await page.waitForSelector(`tr[data-key="approval:${asked.id}"]`);
        assert.equal(await page.title(), '(1) orchestrate', 'the tab says one thing needs you');
        const input = await page.textContent(`tr[data-key="approval:${asked.id}"] pre`);
        assert.match(input!, /"command": "echo <b>not bold<\/b>"/, 'the tool input, as text');
        assert.equal(await page.locator('b').count(), 0, 'agent text is never HTML');
        await page.screenshot({ path: join(ARTIFACTS, `web-inbox-${backend}.png`) });

        await page.click('nav a:text("Tasks")');
        assert.match(page.url(), /\?view=tasks/, 'the view is in the URL');
        await cli(dir, ['task', 'push', 'write the printer'], env);
        await page.waitForSelector('tr:has-text("write the printer")', { timeout: 30_000 });
        await page.screenshot({ path: join(ARTIFACTS, `web-tasks-${backend}.png`) });

        await page.click('nav a:text("Inbox")');
        // A desktop notification for a new approval while the tab is in the background (the browser's
        // Notification API is recorded here: headless Chromium shows none).
        await page.evaluate(`(() => {
          const shown = [];
          window.shown = shown;
          class Recorded { static permission = 'granted'; static async requestPermission() { return 'granted'; } constructor(title, options) { shown.push({ title, body: options.body }); } addEventListener() {} }
          Object.defineProperty(window, 'Notification', { value: Recorded });
          Object.defineProperty(document, 'hidden', { get: () => true });
        })()`);
        await page.check('#notify');
        const second = await board.approvals.request({ agent: 'worker-5', role: null, tool_name: 'Write', input: { file_path: 'notes.md' }, tool_use_id: null });
        await page.waitForSelector(`tr[data-key="approval:${second.id}"]`, { timeout: 30_000 });
        assert.deepEqual(await page.evaluate('window.shown'), [{ title: 'orchestrate: an approval waits for you', body: 'worker-5 asks to use Write' }]);
        await board.approvals.decide(second.id, 'denied', 'test', null);
        await page.click(`tr[data-key="approval:${asked.id}"] button[data-action="approval.allow"]`);
        await until('the approval is answered', async () => (await board.approvals.list()).items.find((a) => a.id === asked.id)?.state === 'allowed', 30_000, 100);
        await page.waitForSelector(`tr[data-key="approval:${asked.id}"]`, { state: 'detached', timeout: 30_000 });
        await until('the title follows', async () => (await page.title()) === 'orchestrate', 30_000, 100);
        for (const view of ['agents', 'processes', 'runs', 'approvals', 'events', 'actions']) {
          await page.goto(`${new URL(await web.login).origin}/?view=${view}`);
          await page.waitForSelector('nav a.on');
          await page.screenshot({ path: join(ARTIFACTS, `web-${view}-${backend}.png`) });
        }
        assert.match((await page.textContent('#view'))!, /orchestrate approvals allow/, 'the action log shows the command');
        assert.deepEqual(problems, [], 'no script error and no CSP violation');
      } finally {
        await browser.close();
        await web.stop();
        await board.close();
      }
    });

    test('the pages behind the rows after a master-plan run, live; Priority and Message as commands; screenshots', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, async () => {
      const dir = tempDir('orchestrator-web-plan-');
      writeTourPlan(dir);
      const url = newBoardUrl(backend);
      const env = cleanEnv({ ORCHESTRATOR_DB: url, USER: 'frank' });
      const ran = await cli(dir, ['run', 'docs/master-plan.md', '--concurrency', '2', ...tourAgent], env);
      assert.equal(ran.code, 0, ran.stderr);
      const elsewhere = newProject(); // no agent identity there: the person acts
      await cli(elsewhere, ['agent', 'register', '--name', 'Tom'], env);
      const loose = (await cli(elsewhere, ['task', 'push', 'write the changelog', '--json'], env)).json as { id: string };
      const board = await openBoard(url);
      const runId = (await board.runs.latest())!.id;
      const api = `${runId}.c1.2`;
      const tom = (await board.agents.get('Tom')).id;
      const web = startWeb(elsewhere, [], env);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
      try {
        const { page, problems } = await openPage(browser, await web.login);
        const origin = new URL(await web.login).origin;
        const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `web-${name}-${backend}.png`), fullPage: true });

        await page.goto(`${origin}/?view=task&id=${encodeURIComponent(api)}`);
        await page.waitForSelector('h2:has-text("API")');
        assert.equal(await page.locator('.chip:text("✗ grep -q ready api.txt")').count(), 1, 'the gate that refused attempt 1');
        assert.equal(await page.locator('.chip:text("✓ grep -q ready api.txt")').count(), 1, 'and passed attempt 2');
        assert.match((await page.textContent('#view'))!, /needed by: .*c1\.3/);
        assert.match((await page.textContent('#view'))!, /merged [0-9a-f]{10}/);
        await shot('task');

        await page.goto(`${origin}/?view=graph`);
        await page.waitForSelector('svg.graph g.node');
        assert.equal(await page.locator('svg.graph g.node').count(), 3);
        assert.equal(await page.locator('svg.graph g.node.critical').count(), 2, 'the critical path: one first phase, then phase 3');
        await shot('graph');
        await page.click(`svg.graph g.node[data-id="${runId}.c1.3"]`);
        await page.waitForSelector('h2:has-text("Both")');
        assert.match(page.url(), /view=task/);

        await page.goto(`${origin}/?view=tasks&mode=kanban`);
        await page.waitForSelector('.kanban');
        assert.equal(await page.locator('.column[data-status="completed"] .card').count(), 3);
        assert.equal(await page.locator('.column[data-status="pending"] .card').count(), 1);
        await shot('kanban');

        await page.goto(`${origin}/?view=run&id=${encodeURIComponent(runId)}`);
        await page.waitForSelector('svg.timeline rect.bar');
        assert.equal(await page.locator('svg.timeline rect.bar').count(), 4, 'four agent processes: phase 2 ran twice');
        assert.equal(await page.locator('svg.timeline .mark.bad').count(), 1, 'one refused attempt');
        await shot('run');

        await page.goto(`${origin}/?view=merges`);
        await page.waitForSelector('h3:has-text("Merged and refused (3)")');
        await shot('merges');
        // The accounts' windows as routing reads them: Codex with room, Claude refused until a reset.
        await board.accounts.observe('codex', 'login:default', [{ name: 'primary', used: 0.31, resets_at: new Date(Date.now() + 3600_000).toISOString(), source: 'codex session file' }]);
        await board.accounts.refused('claude', 'login:default', new Date(Date.now() + 1800_000).toISOString(), 'usage limit');
        await page.goto(`${origin}/?view=costs`);
        await page.waitForSelector('.uplot canvas');
        assert.match((await page.textContent('#view'))!, /command\s*\$0\.0000\s*0\s*4/, 'four command processes, no spend');
        assert.match((await page.textContent('table.accounts'))!, /claude\s*login:default\s*limited until .*refused 100%.*codex\s*login:default\s*ok · 69% headroom\s*primary 31%/);
        await shot('costs');

        // Priority, from the page: the command runs as the person, and an open page follows the board.
        await page.goto(`${origin}/?view=task&id=${loose.id}`);
        await page.waitForSelector('h2:has-text("write the changelog")');
        page.once('dialog', (dialog) => void dialog.accept('0'));
        await page.click('button[data-action="task.priority"]');
        await until('the priority changes', async () => (await board.tasks.get(loose.id)).priority === 0, 30_000, 100);
        await page.waitForSelector('.facts dd:text-is("0")', { timeout: 30_000 });
        await cli(elsewhere, ['task', 'priority', loose.id, '--priority', '3'], env);
        await page.waitForSelector('.facts dd:text-is("3")', { timeout: 30_000 }); // no reload: the stream said it changed
        const noted = (await board.events.list({ subject: loose.id, type: 'view.action' })).items.map((e) => e.data as { person: string; command: string; ok: boolean });
        assert.deepEqual(noted.map((n) => [n.person, n.command, n.ok]), [['frank (web)', `orchestrate task priority ${loose.id} --priority 0`, true]], 'the event log names the person and the command');

        // The events, filtered in the URL; paused, new ones wait.
        await page.goto(`${origin}/?view=events&q=view.action`);
        await page.waitForSelector('#view tr:has-text("view.action")');
        assert.equal(await page.locator('#view tr').count(), 1);
        await page.fill('#filter', '');
        await page.click('button[data-pause]');
        const late = (await cli(elsewhere, ['task', 'push', 'pushed while paused', '--json'], env)).json as { id: string };
        await page.waitForSelector('button[data-pause]:text("go on (newer events wait)")', { timeout: 30_000 });
        assert.equal(await page.locator(`#view code:text-is("${late.id}")`).count(), 0, 'paused: the list stays as it was');
        await page.click('button[data-pause]');
        await page.waitForSelector(`#view code:text-is("${late.id}")`);

        await page.goto(`${origin}/?view=agent&id=${tom}`);
        await page.waitForSelector('h2:has-text("Tom")');
        page.once('dialog', (dialog) => void dialog.accept('the changelog waits for you'));
        await page.click('button[data-action="agent.message"]');
        await page.waitForSelector('ul.messages li:has-text("the changelog waits for you")', { timeout: 30_000 });
        await shot('agent');
        await page.goto(`${origin}/?view=messages`);
        await page.waitForSelector('ul.messages li:has-text("the changelog waits for you")');
        await shot('messages');
        assert.deepEqual(problems, [], 'no script error and no CSP violation');
      } finally {
        await browser.close();
        await web.stop();
        await board.close();
      }
    });
  });
}

test('Allow in the page answers a real Claude Code worker waiting on a Write (scripted model), and the worker goes on', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, async () => {
  const project = newProject();
  const model = await startFakeModel([{
    name: 'write',
    match: { prompt: 'write approved.txt' },
    turns: [{ tools: [{ name: 'Write', input: { file_path: join(project, 'approved.txt'), content: 'approved\n' } }] }, { text: 'wrote approved.txt' }],
  }]);
  const env = claudeEnv(claudeHome(), model.url, { ORCHESTRATOR_CLAUDE: CLAUDE, ORCHESTRATOR_DB: join(project, 'board.db'), USER: 'dana' });
  const client = await stdioClient(project, env);
  const web = startWeb(project, [], env);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(await web.login);
    mkdirSync(ARTIFACTS, { recursive: true });
    const { dispatch_id } = await call(client, 'dispatch', { agent: 'claude', prompt: 'write approved.txt', approvals: true });
    const button = page.locator('tr:has-text("asks to use Write") button[data-action="approval.allow"]');
    await button.waitFor({ timeout: 90_000 });
    assert.match((await page.textContent('tr:has-text("asks to use Write") pre'))!, /approved\.txt/, 'the full tool input is shown');
    await button.click();
    const result = await call(client, 'get_dispatch_result', { dispatch_id, wait_s: 90 });
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(readFileSync(join(project, 'approved.txt'), 'utf8'), 'approved\n', 'the worker went on and wrote the file');
    // Its log, from the process row: the tool calls only, live from the file.
    await page.goto(`${new URL(await web.login).origin}/?view=processes`);
    await page.click(`tr[data-key="process:${dispatch_id}"] a.log`);
    const logText = async () => (await page.textContent('#log-lines')) ?? '';
    await until('the log shows the Write', async () => /Write/.test(await logText()), 30_000, 100);
    await page.click('button[data-only="tools"]');
    assert.match(page.url(), /only=tools/);
    await until('the tool calls only', async () => {
      const text = await logText();
      return /Write/.test(text) && !/wrote approved\.txt/.test(text);
    }, 30_000, 100);
    await page.screenshot({ path: join(ARTIFACTS, 'web-log-sqlite.png') });
    // What it spent, from its own report: tokens, and dollars as Claude Code estimates them.
    await page.goto(`${new URL(await web.login).origin}/?view=costs`);
    await page.waitForSelector('.uplot canvas');
    const claudeRow = (await page.textContent('table tr:has(td:text-is("claude"))'))!;
    assert.match(claudeRow, /claude\$\d+\.\d{4}[1-9][\d,]* ?1$/, `tokens counted for the one claude process: ${claudeRow}`);
    await page.screenshot({ path: join(ARTIFACTS, 'web-costs-claude.png'), fullPage: true });
    const decided = (await call(client, 'list_approvals', { state: 'allowed' })).items;
    assert.deepEqual(decided.map((a: { tool_name: string; decided_by: string }) => [a.tool_name, a.decided_by]), [['Write', 'dana (web)']]);
  } finally {
    await browser.close();
    await web.stop();
    await client.close();
    await model.close();
  }
});
