// The usage windows of CLI accounts on the board, and routing's choice by headroom — on SQLite and
// PostgreSQL with a manual clock: figures live until their window resets; a full window limits the
// account until its reset; a refusal that names no reset limits it for a while; an API key with no
// windows is unknown, not zero. The end-to-end runs (real Claude Code and Codex refusing) are in
// routing.test.ts.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { REFUSAL_WITHOUT_RESET_MS } from '../src/board/accounts.js';
import { chooseCli } from '../src/flows/routing.js';
import { accountOf } from '../src/runner/accounts.js';
import { BACKENDS, cleanupBackends, manualClock, newBoardUrl, openBoard } from './support/backends.js';

after(cleanupBackends);

const iso = (ms: number) => new Date(ms).toISOString();

test('an account is named by its key (hashed), its token (hashed), its login folder, else the default login', () => {
  assert.match(accountOf('claude', { ANTHROPIC_API_KEY: 'sk-ant-secret' }), /^api-key:[0-9a-f]{8}$/);
  assert.ok(!accountOf('claude', { ANTHROPIC_API_KEY: 'sk-ant-secret' }).includes('secret'), 'never the key itself');
  assert.equal(accountOf('claude', { ANTHROPIC_API_KEY: 'k' }), accountOf('claude', { ANTHROPIC_API_KEY: 'k', CLAUDE_CONFIG_DIR: '/x' }), 'the key wins: it is what the CLI uses');
  assert.match(accountOf('claude', { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-x' }), /^login:token-[0-9a-f]{8}$/);
  assert.equal(accountOf('codex', { CODEX_HOME: '/home/a/.codex' }), 'login:/home/a/.codex');
  assert.equal(accountOf('gemini', {}), 'login:default');
  assert.notEqual(accountOf('codex', { OPENAI_API_KEY: 'a' }), accountOf('codex', { OPENAI_API_KEY: 'b' }));
});

for (const backend of BACKENDS) {
  test(`accounts on ${backend}: figures until their reset, limited by a full window or a refusal, unknown without figures; routing picks the most headroom`, async () => {
    const clock = manualClock();
    const board = await openBoard(newBoardUrl(backend), { now: clock.now });
    try {
      const t0 = clock.now();
      assert.deepEqual(await board.accounts.list(), []);
      assert.equal((await board.accounts.state('claude', 'login:default')).state, 'unknown', 'no figures: unknown, not zero');

      await board.accounts.observe('claude', 'login:default', [
        { name: 'five_hour', used: 0.86, resets_at: iso(t0 + 3600_000), source: 'claude rate_limit_event' },
        { name: 'seven_day', used: 0.2, resets_at: iso(t0 + 5 * 86_400_000), source: 'claude rate_limit_event' },
      ]);
      await board.accounts.observe('codex', 'login:/c', [{ name: 'primary', used: 0.31, resets_at: iso(t0 + 7200_000), source: 'codex session file' }]);
      const claude = await board.accounts.state('claude', 'login:default');
      assert.deepEqual([claude.state, claude.fullest, claude.limited_until], ['ok', 0.86, null]);
      const env = { CODEX_HOME: '/c' };
      let choice = await chooseCli(board, ['claude', 'codex'], 0.8, env);
      assert.equal(choice.cli, 'codex', 'Claude over the threshold: the task goes to Codex');
      assert.equal(choice.reason, 'claude: 86% used, over the threshold 80%; codex: 31% used');
      assert.equal((await chooseCli(board, ['claude', 'codex'], 0.9, env)).cli, 'codex', 'under both thresholds: the most headroom wins');
      assert.equal((await chooseCli(board, ['claude', 'gemini'], 0.9, env)).cli, 'claude', 'a known account with room before one with no figures');
      assert.equal((await chooseCli(board, ['gemini', 'codex'], 0.2, env)).cli, 'gemini', 'no figures: allowed, when nothing known has room');

      // A refusal: the windows it reported are full until its reset; the account is limited until then.
      await board.accounts.observe('codex', 'login:/c', [{ name: 'primary', used: 1, resets_at: iso(t0 + 600_000), source: 'codex session file' }]);
      const limited = await board.accounts.refused('codex', 'login:/c', iso(t0 + 600_000), "You've hit your usage limit");
      assert.deepEqual([limited.state, limited.limited_until], ['limited', t0 + 600_000]);
      choice = await chooseCli(board, ['claude', 'codex'], 0.8, env);
      assert.deepEqual([choice.cli, choice.until], [null, t0 + 600_000], 'nothing has room: the earliest time one may (Codex resets before Claude\'s window)');
      assert.equal(choice.reason, `claude: 86% used, over the threshold 80%; codex: limited until ${iso(t0 + 600_000)}`);

      // A refusal that names no reset (Gemini's daily quota) limits the account for a while.
      const gemini = await board.accounts.refused('gemini', 'api-key:abcd1234', null, 'You exceeded your current quota');
      assert.deepEqual([gemini.state, gemini.limited_until], ['limited', t0 + REFUSAL_WITHOUT_RESET_MS]);
      assert.match(gemini.windows[0]!.source, /named no reset \(assumed 15 min\)/);

      clock.advance(600_001); // Codex's window resets: its figure says nothing any more
      const codex = await board.accounts.state('codex', 'login:/c');
      assert.deepEqual([codex.state, codex.windows.length], ['unknown', 0]);
      assert.equal((await chooseCli(board, ['claude', 'codex'], 0.8, env)).cli, 'codex', 'after its reset Codex may take work again');

      clock.advance(3600_000); // and Claude's five-hour window resets: only the seven-day figure is left
      assert.deepEqual([(await board.accounts.state('claude', 'login:default')).fullest], [0.2]);
      assert.equal((await board.accounts.state('gemini', 'api-key:abcd1234')).state, 'unknown', 'the assumed 15 minutes are over');
      assert.deepEqual((await board.accounts.list()).map((a) => [a.cli, a.account, a.state]), [['claude', 'login:default', 'ok'], ['codex', 'login:/c', 'unknown'], ['gemini', 'api-key:abcd1234', 'unknown']]);
      const events = (await board.events.list({ type: 'account.limited' })).items.map((e) => [e.subject, (e.data as { until: string | null }).until]);
      assert.deepEqual(events, [['codex:login:/c', iso(t0 + 600_000)], ['gemini:api-key:abcd1234', iso(t0 + REFUSAL_WITHOUT_RESET_MS)]]);
    } finally {
      await board.close();
    }
  });
}
