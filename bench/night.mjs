// A simulated night in virtual time: 200 independent tasks of 10–30 minutes, 3 at once, on Claude
// alone (pausing when its window passes the threshold, until the window resets — today's way) and
// routed across Claude and Codex by headroom. Each account has a 5-hour window that opens at its
// first use after a reset and fills with use: a Claude task takes 2.5 % of it (40 tasks a window),
// a Codex task 3 % (33). The decisions are the orchestrator's own (src/board/accounts.ts stateOf,
// src/flows/routing.ts pickCli). Prints one JSON line: tasks done in 10 hours, the makespan of all
// 200, and the time nothing ran while work waited for a reset.
import { stateOf } from '../dist/board/accounts.js';
import { pickCli } from '../dist/flows/routing.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WINDOW_MS = 5 * HOUR;
const SHARE = { claude: 0.025, codex: 0.03 };
const THRESHOLD = 0.8;
const TASKS = 200;
const CONCURRENCY = 3;
const NIGHT_MS = 10 * HOUR;

let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const durations = Array.from({ length: TASKS }, () => (10 + Math.floor(random() * 21)) * MINUTE);

function night(allowed) {
  const windows = Object.fromEntries(allowed.map((cli) => [cli, { used: 0, resets_at: null }]));
  const running = []; // { end, cli }
  let now = 0;
  let next = 0;
  let done = 0;
  let doneByNight = 0;
  let idleWaiting = 0;
  const byCli = Object.fromEntries(allowed.map((cli) => [cli, 0]));
  const state = (cli) => {
    const w = windows[cli];
    if (w.resets_at !== null && w.resets_at <= now) Object.assign(w, { used: 0, resets_at: null });
    return stateOf(cli, 'sim', w.resets_at === null ? [] : [{ name: 'five_hour', used: w.used, resets_at: w.resets_at, source: 'simulation', observed_at: now }], now);
  };
  while (done < TASKS) {
    let waitUntil = null;
    while (next < TASKS && running.length < CONCURRENCY) {
      const choice = pickCli(allowed.map(state), THRESHOLD);
      if (!choice.cli) {
        waitUntil = choice.until;
        break;
      }
      const w = windows[choice.cli];
      if (w.resets_at === null) w.resets_at = now + WINDOW_MS; // the window opens at its first use
      w.used += SHARE[choice.cli];
      running.push({ end: now + durations[next++], cli: choice.cli });
      byCli[choice.cli]++;
    }
    const ends = running.map((r) => r.end);
    const until = Math.min(...ends, waitUntil ?? Infinity);
    if (running.length === 0) idleWaiting += until - now;
    now = until;
    for (let i = running.length - 1; i >= 0; i--) {
      if (running[i].end <= now) {
        running.splice(i, 1);
        done++;
        if (now <= NIGHT_MS) doneByNight++;
      }
    }
  }
  return { doneIn10h: doneByNight, makespanH: now / HOUR, idleWaitingH: idleWaiting / HOUR, byCli };
}

const claudeOnly = night(['claude']);
const routed = night(['claude', 'codex']);
process.stdout.write(JSON.stringify({ tasks: TASKS, concurrency: CONCURRENCY, threshold: THRESHOLD, claudeOnly, routed }));
