import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OrchestratorError } from '../core/errors.js';
import { writeFileAtomic } from './settings.js';

/**
 * Changing files with a way back (`orchestrate setup`, `learning fold --apply`). Before any file
 * changes, the originals are copied byte for byte into a backup folder with a manifest (written
 * last, atomically); `undo` restores the newest backup exactly — files that did not exist are
 * removed again.
 */
export interface FileChange {
  path: string;
  before: string | null;
  after: string;
  summary: string;
}

interface Manifest {
  created_at: string;
  files: { path: string; existed: boolean; copy: string | null }[];
}

export function applyChanges(changes: FileChange[], backupRoot: string, now: Date): string {
  const dir = join(backupRoot, `${now.toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  const manifest: Manifest = { created_at: now.toISOString(), files: [] };
  changes.forEach((change, i) => {
    const copy = change.before === null ? null : `${String(i).padStart(2, '0')}.orig`;
    if (copy) copyFileSync(change.path, join(dir, copy));
    manifest.files.push({ path: change.path, existed: change.before !== null, copy });
  });
  writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const change of changes) {
    mkdirSync(dirname(change.path), { recursive: true });
    writeFileAtomic(change.path, change.after);
  }
  return dir;
}

export function undoLatest(backupRoot: string, what: string): { dir: string; restored: string[]; removed: string[] } {
  const latest = existsSync(backupRoot)
    ? readdirSync(backupRoot).filter((name) => !name.endsWith('.undone') && existsSync(join(backupRoot, name, 'manifest.json'))).sort().pop()
    : undefined;
  if (!latest) throw new OrchestratorError('not_found', `no ${what} to undo: ${backupRoot} holds no backup`);
  const dir = join(backupRoot, latest);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const restored: string[] = [];
  const removed: string[] = [];
  for (const file of manifest.files) {
    if (file.existed && file.copy) {
      mkdirSync(dirname(file.path), { recursive: true });
      copyFileSync(join(dir, file.copy), `${file.path}.restore-tmp`);
      renameSync(`${file.path}.restore-tmp`, file.path);
      restored.push(file.path);
    } else if (existsSync(file.path)) {
      rmSync(file.path);
      removeEmptyParents(dirname(file.path));
      removed.push(file.path);
    }
  }
  renameSync(dir, `${dir}.undone`);
  return { dir, restored, removed };
}

/** Removes the folders setup created for its own files once they are empty (.claude included). */
function removeEmptyParents(dir: string): void {
  let current = dir;
  while (/\/\.claude(\/|$)/.test(current) && existsSync(current) && readdirSync(current).length === 0) {
    rmSync(current, { recursive: true });
    current = dirname(current);
  }
}
