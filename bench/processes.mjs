// What the bench scripts read back from a board: every agent process, page by page.
import { execFileSync } from 'node:child_process';

const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** Every agent process of the board in `cwd` (`orchestrate ps --json`, all its pages). */
export function allProcesses(env, cwd) {
  const items = [];
  for (let cursor = null; ;) {
    const page = JSON.parse(execFileSync(process.execPath, [MAIN, 'ps', '--limit', '1000', '--json', ...(cursor ? ['--cursor', cursor] : [])], { env, cwd, encoding: 'utf8', maxBuffer: 1 << 30 }));
    items.push(...page.items);
    if (!page.next_cursor) return items;
    cursor = page.next_cursor;
  }
}

