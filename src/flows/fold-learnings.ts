import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Board } from '../board/board.js';
import { checkSkill, type Learning, type LearningKind } from '../board/learnings.js';
import { applyChanges, undoLatest } from '../config/backup.js';
import { excerpt, OrchestratorError } from '../core/errors.js';
import { parseMarkdown, textOf } from './plan-files.js';

/**
 * Folding a skill's learnings into its SKILL.md: the learnings are grouped by kind (Patterns,
 * Gotchas, Tips) under one `## Learnings` section — the one the file has, else a new one at its
 * end — and de-duplicated, among themselves and against the bullets already there (whitespace,
 * case and a final full stop do not make two learnings different). The result is the new text
 * and a unified diff of it; nothing is written here (`learning fold --apply` does, with a backup).
 */
export interface Fold {
  before: string | null;
  after: string;
  /** Unified diff, `a/`→`b/` with the file's path as given; empty when nothing changes. */
  diff: string;
  /** Learnings that were not in the file yet, and those skipped as duplicates. */
  added: number;
  duplicates: number;
}

export interface FoldResult {
  skill: string;
  path: string;
  diff: string;
  added: number;
  duplicates: number;
  applied: boolean;
  /** Where the original went (with apply), for `learning fold --undo`. */
  backup: string | null;
}

/**
 * Folds the board's learnings of a skill into its SKILL.md — `.claude/skills/<skill>/SKILL.md`
 * in the project unless `path` says otherwise — and, with `apply`, writes it after backing the
 * original up under `.orchestrator/backups/learnings/`. The path is checked by skillFile: from MCP
 * it must stay inside the project; the CLI's `--path` may point anywhere a person chooses (a global
 * skill, say), but never into a repository's or a board's own folder.
 */
export async function foldSkill(board: Board, options: { project: string; stateDir: string; skill: string; path: string | null; apply: boolean; insideProject: boolean }): Promise<FoldResult> {
  const skill = checkSkill(options.skill);
  const path = skillFile(options.project, skill, options.path, options.insideProject);
  const label = relative(realpathSync(options.project), path);
  const learnings = await board.learnings.all(skill);
  if (learnings.length === 0) throw new OrchestratorError('not_found', `no learnings noted for skill '${excerpt(skill)}'; note_learning records them`);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const fold = foldLearnings(skill, label.startsWith('..') ? path : label, before, learnings);
  let backup: string | null = null;
  if (options.apply && fold.after !== before) {
    backup = applyChanges([{ path, before, after: fold.after, summary: `folded ${fold.added} learnings of ${skill}` }], join(options.stateDir, 'backups', 'learnings'), new Date());
  }
  return { skill, path, diff: fold.diff, added: fold.added, duplicates: fold.duplicates, applied: backup !== null, backup };
}

/** A SKILL.md is small; a bigger file is not one (and a device would never end). */
const MAX_SKILL_BYTES = 1024 * 1024;

/**
 * Where a fold may read and write: the project's `.claude/skills/<skill>/SKILL.md`, or a
 * markdown file a person names — never inside a `.git` or `.orchestrator` folder (the repository,
 * the board and its backups), never a folder, a device or a file over 1 MB, and from MCP never
 * outside the project. Symlinks are followed and the real path is checked again; it is the real
 * file that is read and written.
 */
export function skillFile(project: string, skill: string, given: string | null, insideProject: boolean): string {
  const asked = given === null ? join(project, '.claude', 'skills', skill, 'SKILL.md') : resolve(project, given);
  const real = realPath(asked);
  const shown = given ?? asked;
  const refuse = (why: string) => new OrchestratorError('invalid_input', `${shown} ${why}`);
  for (const candidate of [asked, real]) {
    if (candidate.split(sep).some((part) => part === '.git' || part === '.orchestrator')) {
      throw refuse("is inside a .git or .orchestrator folder (the repository, or the board and its backups); fold into a skill's SKILL.md");
    }
  }
  if (extname(real).toLowerCase() !== '.md') throw refuse(`is not a markdown file${real !== asked ? ` (it leads to ${real})` : ''}; a skill's learnings go into its SKILL.md`);
  const inside = relative(realPath(project), real);
  if (insideProject && (inside.startsWith('..') || isAbsolute(inside))) throw refuse(`is outside the project${real !== asked ? ` (it leads to ${real})` : ''}; give a path inside ${project}`);
  if (existsSync(real)) {
    const stat = statSync(real);
    if (stat.isDirectory()) throw refuse('is a folder; name the SKILL.md in it');
    if (!stat.isFile()) throw refuse('is not a regular file');
    if (stat.size > MAX_SKILL_BYTES) throw refuse(`is ${stat.size} bytes, over the ${MAX_SKILL_BYTES} a skill file may have`);
  }
  return real;
}

/** The path with every symlink resolved — of the file, or of its nearest existing folder when it does not exist yet. */
function realPath(path: string): string {
  const rest: string[] = [];
  let existing = path;
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    rest.unshift(basename(existing));
    existing = parent;
  }
  return join(realpathSync(existing), ...rest);
}

/** Restores the SKILL.md the newest applied fold changed. */
export function undoFold(stateDir: string): ReturnType<typeof undoLatest> {
  return undoLatest(join(stateDir, 'backups', 'learnings'), 'applied fold');
}

const HEADINGS: Record<LearningKind, string> = { pattern: 'Patterns', gotcha: 'Gotchas', tip: 'Tips' };
const KINDS: LearningKind[] = ['pattern', 'gotcha', 'tip'];

export function foldLearnings(skill: string, label: string, before: string | null, learnings: Learning[]): Fold {
  const text = before ?? `---\nname: ${skill}\ndescription: What sessions learned using ${skill}.\n---\n\n# ${skill}\n`;
  const section = learningsSection(text);
  const existing = section ? bulletsByKind(text.slice(section.start, section.end)) : { pattern: [], gotcha: [], tip: [], other: [] };
  const seen = new Set([...existing.pattern, ...existing.gotcha, ...existing.tip, ...existing.other].map(normal));
  const merged: Record<LearningKind, string[]> = { pattern: [...existing.pattern], gotcha: [...existing.gotcha], tip: [...existing.tip] };
  let added = 0;
  let duplicates = 0;
  for (const learning of learnings) {
    const key = normal(learning.text);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    merged[learning.kind].push(oneLine(learning.text) + (learning.source ? ` (${oneLine(learning.source)})` : ''));
    added++;
  }
  if (added === 0) return { before, after: text, diff: before === null ? unifiedDiff(label, null, text) : '', added, duplicates };
  const body = [
    '## Learnings',
    '',
    ...KINDS.filter((kind) => merged[kind].length > 0).flatMap((kind) => [`### ${HEADINGS[kind]}`, '', ...merged[kind].map((item) => `- ${item}`), '']),
    ...(existing.other.length ? ['### Other', '', ...existing.other.map((item) => `- ${item}`), ''] : []),
  ].join('\n');
  const after = section
    ? `${text.slice(0, section.start)}${body}${section.end < text.length ? `\n${text.slice(section.end).replace(/^\n+/, '')}` : ''}`
    : `${text.replace(/\n*$/, '\n')}\n${body}`;
  return { before, after, diff: unifiedDiff(label, before, after), added, duplicates };
}

/** Where the `## Learnings` section is: from its heading to the next heading of level 1 or 2. */
function learningsSection(text: string): { start: number; end: number } | null {
  const tree = parseMarkdown(text);
  const index = tree.children.findIndex((node) => node.type === 'heading' && node.depth === 2 && textOf(node).trim().toLowerCase() === 'learnings');
  if (index < 0) return null;
  const next = tree.children.slice(index + 1).find((node) => node.type === 'heading' && node.depth <= 2);
  return { start: tree.children[index]!.position!.start.offset!, end: next ? next.position!.start.offset! : text.length };
}

/** The bullets of a Learnings section, by the `###` heading they are under. */
function bulletsByKind(section: string): Record<LearningKind | 'other', string[]> {
  const found: Record<LearningKind | 'other', string[]> = { pattern: [], gotcha: [], tip: [], other: [] };
  let kind: LearningKind | 'other' = 'other';
  for (const node of parseMarkdown(section).children) {
    if (node.type === 'heading') {
      const title = textOf(node).trim().toLowerCase();
      kind = KINDS.find((k) => HEADINGS[k].toLowerCase() === title || k === title) ?? 'other';
    } else if (node.type === 'list') {
      for (const item of node.children) found[kind].push(oneLine(section.slice(item.children[0]?.position?.start.offset ?? 0, item.position!.end.offset!)));
    }
  }
  return found;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const normal = (text: string) => oneLine(text).replace(/\s*\([^)]*\)$/, '').replace(/[.!]+$/, '').toLowerCase();

/** A unified diff (3 lines of context) of two texts; `before` null is a new file. */
export function unifiedDiff(label: string, before: string | null, after: string): string {
  const a = before === null ? [] : splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  if (ops.every((op) => op.kind === ' ')) return '';
  const out = [`--- ${before === null ? '/dev/null' : `a/${label}`}`, `+++ b/${label}`];
  const CONTEXT = 3;
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') {
      i++;
      continue;
    }
    // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change that is near.
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    while (end < ops.length) {
      if (ops[end]!.kind !== ' ') {
        end++;
        continue;
      }
      let run = end;
      while (run < ops.length && ops[run]!.kind === ' ') run++;
      if (run === ops.length || run - end > CONTEXT * 2) {
        end = Math.min(ops.length, end + CONTEXT);
        break;
      }
      end = run;
    }
    const hunk = ops.slice(start, end);
    const aStart = ops.slice(0, start).filter((op) => op.kind !== '+').length;
    const bStart = ops.slice(0, start).filter((op) => op.kind !== '-').length;
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? aStart : aStart + 1},${aCount} +${bCount === 0 ? bStart : bStart + 1},${bCount} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.line}`);
    i = end;
  }
  return `${out.join('\n')}\n`;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Line operations from a longest common subsequence (files here are small). */
function diffLines(a: string[], b: string[]): { kind: ' ' | '-' | '+'; line: string }[] {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const lcs = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * cols + j] = a[i] === b[j] ? lcs[(i + 1) * cols + j + 1]! + 1 : Math.max(lcs[(i + 1) * cols + j]!, lcs[i * cols + j + 1]!);
    }
  }
  const ops: { kind: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * cols + j]! >= lcs[i * cols + j + 1]!) {
      ops.push({ kind: '-', line: a[i++]! });
    } else {
      ops.push({ kind: '+', line: b[j++]! });
    }
  }
  while (i < a.length) ops.push({ kind: '-', line: a[i++]! });
  while (j < b.length) ops.push({ kind: '+', line: b[j++]! });
  return ops;
}
