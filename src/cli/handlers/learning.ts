import { ensureStateDir } from '../../config/settings.js';
import type { LearningKind } from '../../board/learnings.js';
import { foldSkill, undoFold } from '../../flows/fold-learnings.js';
import { flag, flagOrArg, required, type Call, type Handler } from '../call.js';
import { moreHint, table } from '../format.js';

const skillOf = (call: Call) => required(flagOrArg(call, 'skill'), 'the skill', "the skill's folder name as the argument");

export const note: Handler = async (call) => {
  const learning = await (await call.board()).learnings.note({
    skill: skillOf(call),
    kind: required(flag(call, 'kind'), 'the kind', '--kind pattern, gotcha or tip') as LearningKind,
    text: required(flag(call, 'text') ?? call.positionals[1], 'the learning', '--text "<what you learned>"'),
    source: flag(call, 'source') ?? null,
  }, call.maybeAgent());
  return { data: learning, text: `${learning.id}: ${learning.kind} for ${learning.skill}` };
};

export const list: Handler = async (call) => {
  const page = await (await call.board()).learnings.list({ skill: flagOrArg(call, 'skill'), limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  const rows = page.items.map((l) => [l.id, l.skill, l.kind, l.text.slice(0, 70), l.source ?? '']);
  return { data: page, text: table(['ID', 'SKILL', 'KIND', 'TEXT', 'SOURCE'], rows, 'no learnings') + moreHint(page.next_cursor) };
};

/** `orchestrate learning fold <skill> [--path FILE] [--apply]`, or `--undo` to restore the file the last applied fold changed. */
export const fold: Handler = async (call) => {
  const root = call.settings.projectRoot.value;
  const stateDir = ensureStateDir(root);
  if (call.values.undo) {
    const undone = undoFold(stateDir);
    return { data: undone, text: [...undone.restored.map((p) => `restored ${p}`), ...undone.removed.map((p) => `removed ${p}`)].join('\n') };
  }
  const path = flag(call, 'path');
  const result = await foldSkill(await call.board(), { project: root, stateDir, skill: skillOf(call), path: path === undefined ? null : path, apply: Boolean(call.values.apply), insideProject: false });
  const summary = `${result.added} learnings to fold into ${result.path}, ${result.duplicates} duplicates left out`;
  const after = result.applied ? `\napplied; the original is in ${result.backup} ('orchestrate learning fold --undo' restores it)` : result.diff ? '\n(not written: --apply writes it, with a backup)' : '';
  return { data: result, text: `${result.diff}${summary}${after}` };
};
