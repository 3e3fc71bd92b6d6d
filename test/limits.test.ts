// Usage limits as the pinned agent CLIs report them today, driven by the fake model server's
// copies of each vendor's refusal: every run ends rate_limited with the reset the vendor gave
// (none for Gemini's daily quota, and it says so), and the windows it saw are recorded with the
// process. The readers of the reset texts are checked on their own too, zones and dates included.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Board } from '../src/board/board.js';
import type { UsageWindow } from '../src/board/processes.js';
import { openDb } from '../src/store/open.js';
import type { Adapter } from '../src/runner/adapter.js';
import { claude, limitFromText } from '../src/runner/adapters/claude.js';
import { codex, resetTime } from '../src/runner/adapters/codex.js';
import { gemini } from '../src/runner/adapters/gemini.js';
import { Supervisor } from '../src/runner/supervisor.js';
import { cleanupBackends, newBoardUrl, tempDir } from './support/backends.js';
import { CLAUDE, claudeEnv, claudeHome } from './support/claude.js';
import { CODEX, codexEnv } from './support/codex.js';
import { anthropicUsageLimit, geminiDailyQuota, openaiUsageLimit, type LimitTurn } from './support/fake-model/limits.js';
import { startFakeModel, type FakeModel } from './support/fake-model/server.js';
import { GEMINI, geminiEnv } from './support/gemini.js';

after(cleanupBackends);

describe('reset times as the CLIs print them', () => {
  const now = new Date('2026-12-01T20:00:00Z');
  const reset = (text: string) => {
    const event = limitFromText(text, now);
    return event?.type === 'limits' ? event.resets_at : undefined;
  };

  test("Claude Code: the zone it names, the date beyond a day, the end of the minute it prints", () => {
    assert.equal(reset("You've hit your 5-hour limit · resets 9:25pm (UTC)"), '2026-12-01T21:26:00.000Z');
    assert.equal(reset("You've hit your 5-hour limit · resets 9pm (America/New_York)"), '2026-12-02T02:01:00.000Z', 'EST is UTC-5');
    assert.equal(reset("You've hit your 5-hour limit · resets 4pm (America/New_York)"), '2026-12-01T21:01:00.000Z', 'later today there');
    assert.equal(reset("You've hit your 5-hour limit · resets 3pm (America/New_York)"), '2026-12-01T20:01:00.000Z', 'the minute under way there');
    assert.equal(reset("You've hit your 5-hour limit · resets 2:59pm (America/New_York)"), '2026-12-02T20:00:00.000Z', 'a minute ago there: tomorrow');
    assert.equal(reset("You've hit your weekly limit · resets Dec 3, 9am (Europe/Paris)"), '2026-12-03T08:01:00.000Z');
    assert.equal(reset("You've hit your weekly limit · resets Jan 2, 2027, 9:30am (UTC)"), '2027-01-02T09:31:00.000Z');
    assert.equal(reset("You've hit your 5-hour limit · resets 9pm (Mars/Olympus_Mons)"), null, 'an unknown zone: no reset, rather than a wrong one');
    assert.equal(reset('Claude AI usage limit reached|1796166786'), '2026-12-01T23:13:06.000Z', 'the format before 2.1');
    assert.equal(reset('API Error: Request rejected (429)'), undefined);
    const event = limitFromText("You've hit your weekly limit · resets Dec 3, 9am (UTC)", now);
    assert.deepEqual(event?.type === 'limits' && event.windows.map((w) => [w.name, w.used]), [['seven_day', 1]]);
  });

  test('Codex: the next such time, or the date it names, in this machine\'s zone', () => {
    const local = new Date(2026, 11, 1, 20, 0);
    assert.equal(resetTime('or try again at 9:25 PM.', local), new Date(2026, 11, 1, 21, 26).toISOString());
    assert.equal(resetTime('or try again at 7:05 PM.', local), new Date(2026, 11, 2, 19, 6).toISOString());
    assert.equal(resetTime('or try again at Dec 3rd, 2026 1:15 AM.', local), new Date(2026, 11, 3, 1, 16).toISOString());
  });
});

interface Case {
  name: string;
  adapter: Adapter<any>;
  env: (url: string) => Record<string, string>;
  options: (prompt: string, env: Record<string, string>) => unknown;
  refusal: LimitTurn;
  windows: [string, number, string][];
}

/** A Claude Code home logged in with a subscription token (OAuth), not an API key: then it reports its windows. */
function subscriptionEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  const env = claudeEnv(claudeHome(), url, { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test-not-real', ...extra });
  delete env.ANTHROPIC_API_KEY;
  return env;
}

const inSeconds = 3 * 3600;
const cases: Case[] = [
  {
    name: 'Claude Code (subscription login, zone America/New_York)',
    adapter: claude,
    env: (url) => subscriptionEnv(url, { TZ: 'America/New_York' }),
    options: (prompt) => ({ program: CLAUDE, prompt }),
    refusal: anthropicUsageLimit(inSeconds),
    windows: [['five_hour', 1, 'claude rate_limit_event'], ['seven_day', 0.4, 'claude rate_limit_event']],
  },
  {
    name: 'Codex',
    adapter: codex,
    env: (url) => codexEnv(url),
    options: (prompt) => ({ program: CODEX, prompt, sandbox: 'bypass' }),
    refusal: openaiUsageLimit(inSeconds),
    windows: [['usage limit', 1, 'codex error text'], ['five_hour', 1, 'codex session file'], ['seven_day', 0.42, 'codex session file']],
  },
  {
    name: 'Gemini CLI (daily quota)',
    adapter: gemini,
    env: (url) => geminiEnv(url),
    options: (prompt, env) => ({ program: GEMINI, prompt, model: 'gemini-2.5-pro', userHome: env.HOME }),
    refusal: geminiDailyQuota(),
    windows: [['daily', 1, 'gemini quota error']],
  },
];

describe('each CLI refused by its vendor ends rate_limited with the reset given, and its windows recorded', () => {
  let model: FakeModel;
  let board: Board;
  before(async () => {
    model = await startFakeModel();
    board = new Board(await openDb(newBoardUrl('sqlite')));
  });
  after(async () => {
    await board.close();
    await model.close();
  });

  for (const c of cases) {
    test(c.name, async () => {
      const prompt = `use up ${c.name}`;
      model.setScenarios([{ name: c.name, match: { prompt }, turns: [c.refusal] }]);
      const env = c.env(model.url);
      const supervisor = new Supervisor({ board, env, host: 'test', supervisor: `${process.pid}:test`, logDir: join(tempDir(), 'logs'), concurrency: 1, idleTimeoutMs: 60_000, totalTimeoutMs: 90_000 });
      const result = await supervisor.run({ adapter: c.adapter, options: c.options(prompt, env), cwd: tempDir() });
      const { outcome } = result;
      assert.equal(outcome.kind, 'rate_limited', JSON.stringify(outcome));
      // The reset the vendor sent (the last refusal, if the CLI asked more than once), to the second.
      const sent = c.refusal.resets.at(-1);
      const expected = sent === undefined ? null : sent * 1000;
      if (expected === null) {
        assert.equal(outcome.reset_at, null);
        assert.match(outcome.message, /no reset time given/);
      } else {
        assert.equal(outcome.reset_at, new Date(expected).toISOString());
      }
      const record = await board.processes.get(result.processIds[0]!);
      const seen = (record.windows as UsageWindow[]).map((w) => [w.name, w.used, w.source]);
      assert.deepEqual(seen, c.windows);
      const fromWords = readFileSync(record.log_path!, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((e) => e.type === 'limits' && e.precise === false);
      if (expected !== null) {
        // Words name the minute: the reset read from them is the end of that minute, in the zone the CLI printed.
        assert.ok(fromWords.length > 0, 'the refusal was printed in words too');
        for (const event of fromWords) {
          const at = Date.parse(event.resets_at);
          assert.ok(at >= expected && at <= expected + 61_000, `read from the words: ${event.resets_at}`);
        }
      }
    });
  }
});
