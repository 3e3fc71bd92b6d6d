import { z } from 'zod';
import { foldSkill } from '../../flows/fold-learnings.js';
import { defineTool, stateDir } from '../tool.js';

export default defineTool({
  name: 'fold_learnings',
  description: 'Fold a skill\'s learnings into its SKILL.md (.claude/skills/<skill>/SKILL.md, or path inside the project): grouped by kind and de-duplicated, as a unified diff to review. apply: true writes it, with a backup that `orchestrate learning fold --undo` restores.',
  input: { skill: z.string().min(1), path: z.string().min(1).optional(), apply: z.boolean().optional() },
  run: (args, context) => foldSkill(context.board, { project: context.project, stateDir: stateDir(context), skill: args.skill, path: args.path ?? null, apply: args.apply ?? false, insideProject: true }),
});
