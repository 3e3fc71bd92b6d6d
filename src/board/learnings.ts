import { OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso, optionalText, requireText, trimSpace } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';

/**
 * Skill learnings (design A): what a session found out while using a skill — a pattern that
 * worked, a gotcha, a tip — kept per skill until someone folds them into the skill's SKILL.md
 * (flows/fold-learnings.ts).
 */
export type LearningKind = 'pattern' | 'gotcha' | 'tip';
export const LEARNING_KINDS: LearningKind[] = ['pattern', 'gotcha', 'tip'];

export interface Learning {
  id: string;
  skill: string;
  kind: LearningKind;
  text: string;
  source: string | null;
  created_by: string | null;
  created_at: string | null;
}

interface LearningRow extends Omit<Learning, 'created_at'> {
  seq: number;
  created_at: number;
}

const SKILL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export class Learnings {
  constructor(private readonly board: BoardContext) {}

  async note(input: { skill: string; kind: LearningKind; text: string; source?: string | null }, actor: string | null): Promise<Learning> {
    const skill = checkSkill(input.skill);
    if (!LEARNING_KINDS.includes(input.kind)) throw new OrchestratorError('invalid_input', `kind must be one of ${LEARNING_KINDS.join(', ')}, not '${String(input.kind)}'`);
    const text = trimSpace(requireText('text', input.text, 5000));
    const source = optionalText('source', input.source ?? null, 500);
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<LearningRow>(
        'INSERT INTO learnings (id, skill, kind, text, source, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
        [newId('learn', now), skill, input.kind, text, source, actor, now],
      );
      await appendEvent(tx, { type: 'learning.noted', subject: skill, actor, data: { id: row!.id, kind: input.kind } }, now);
      return toLearning(row!);
    });
  }

  /** A skill's learnings, oldest first (every skill's without one). */
  async list(options: { skill?: string; limit?: number; cursor?: string } = {}): Promise<Page<Learning>> {
    const skill = options.skill === undefined ? null : checkSkill(options.skill);
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.board.db.query<LearningRow>(
      'SELECT * FROM learnings WHERE seq > ? AND (CAST(? AS TEXT) IS NULL OR skill = ?) ORDER BY seq LIMIT ?',
      [after, skill, skill, limit + 1],
    );
    return toPage(rows, limit, (row) => row.seq, toLearning);
  }

  /** Every learning of a skill, oldest first. */
  async all(skill: string): Promise<Learning[]> {
    const rows = await this.board.db.query<LearningRow>('SELECT * FROM learnings WHERE skill = ? ORDER BY seq', [checkSkill(skill)]);
    return rows.map(toLearning);
  }
}

export function checkSkill(skill: unknown): string {
  const name = requireText('skill', skill, 100);
  if (!SKILL.test(name)) throw new OrchestratorError('invalid_input', `skill '${name}' must be a skill's folder name: letters, digits, '.', '_' and '-'`);
  return name;
}

function toLearning(row: LearningRow): Learning {
  const { seq: _seq, ...rest } = row;
  return { ...rest, created_at: iso(row.created_at) };
}
