// The layering, checked: only src/store imports a database driver, only src/cli reads argv,
// the environment or stdin, only src/runner may spawn processes, and dependencies point one way.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = new URL('../src/', import.meta.url).pathname;

function sources(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const files = sources().map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));
const imports = (text: string) => [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
const layerOf = (path: string) => path.split('/')[0]!;

test('only src/store imports a database driver', () => {
  for (const { path, text } of files) {
    const drivers = imports(text).filter((name) => name === 'pg' || name === 'better-sqlite3');
    if (drivers.length > 0) assert.equal(layerOf(path), 'store', `${path} imports ${drivers}`);
  }
});

test('only src/runner spawns processes', () => {
  for (const { path, text } of files) {
    if (imports(text).some((name) => name === 'node:child_process' || name === 'child_process')) {
      assert.equal(layerOf(path), 'runner', `${path} imports child_process`);
    }
  }
});

test('every command loads the board and the settings without zod or yaml (they cost a CLI start ~130 and ~70 ms)', () => {
  const staticImports = (text: string) => [...text.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gm)].filter((m) => !/^import type/.test(m[0])).map((m) => m[1]!);
  for (const { path, text } of files) {
    if (!['board', 'config', 'store', 'core'].includes(layerOf(path)) || path === 'board/workflow-definition.ts') continue;
    const heavy = staticImports(text).filter((name) => name === 'zod' || name === 'yaml');
    assert.deepEqual(heavy, [], `${path} imports ${heavy} at load; import it where it is needed`);
  }
  const board = files.find((f) => f.path === 'board/workflows.ts')!.text;
  assert.doesNotMatch(board, /^import \{[^}]*\} from '\.\/workflow-definition\.js'/m, 'board/workflows.ts loads workflow-definition (zod) only when defining a template');
});

test('only the CLI entry point reads argv, the environment, stdin or exits', () => {
  for (const { path, text } of files) {
    if (/process\.(argv|env|stdin|exit\b|exitCode)/.test(text)) assert.equal(path, 'cli/main.ts', `${path} reads process state`);
  }
});

test('dependencies point one way: cli → views → mcp, setup → runner → board → store → core', () => {
  const rank: Record<string, number> = { core: 0, store: 1, board: 2, config: 2, runner: 3, engine: 4, flows: 5, mcp: 6, setup: 6, views: 7, cli: 8 };
  for (const { path, text } of files) {
    const own = rank[layerOf(path)];
    assert.notEqual(own, undefined, `${path} is in a folder the layering does not know; add it here and in docs/architecture.md`);
    for (const name of imports(text).filter((n) => n.startsWith('.'))) {
      const target = relative(SRC, join(SRC, path, '..', name));
      const theirs = rank[layerOf(target)];
      assert.ok(theirs !== undefined && theirs <= own!, `${path} imports ${target}, a layer above it`);
      if (theirs === own && layerOf(target) !== layerOf(path)) assert.fail(`${path} imports ${target}, a sibling layer`);
    }
  }
});
