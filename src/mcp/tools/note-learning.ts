import { z } from 'zod';
import { LEARNING_KINDS } from '../../board/learnings.js';
import { defineTool } from '../tool.js';
import { rename } from '../aliases.js';

export default defineTool({
  name: 'note_learning',
  description: 'Record what you learned using a skill: a pattern that worked, a gotcha, or a tip, with where it came from. fold_learnings later folds them into the skill\'s SKILL.md.',
  accept: (args) => ({ kind: 'pattern', ...rename(args, 'observation', 'text') }),
  input: { skill: z.string().min(1), kind: z.enum(LEARNING_KINDS), text: z.string().min(1).max(5000), source: z.string().max(500).optional() },
  run: (args, context) => context.board.learnings.note(args, context.maybeAgent()),
});
