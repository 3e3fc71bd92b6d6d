import { OrchestratorError } from '../core/errors.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { parseJson } from './input.js';

/**
 * The runner's settings, kept on the board so every orchestrator process that shares it runs
 * agents alike, and changed at run time (configure_orchestrator): limits, timeouts, default
 * models per agent kind, and the approval policy (allow and deny lists of tool names per role).
 */
export interface RunnerConfig {
  concurrency: number;
  per_kind: Record<string, number>;
  idle_timeout_s: number;
  total_timeout_s: number;
  models: Record<string, string>;
  approval_timeout_s: number;
  approval_policy: Record<string, { allow?: string[]; deny?: string[] }>;
}

export const RUNNER_DEFAULTS: RunnerConfig = {
  concurrency: 4,
  per_kind: {},
  idle_timeout_s: 300,
  total_timeout_s: 1800,
  models: {},
  approval_timeout_s: 120,
  approval_policy: {},
};

const KEYS = Object.keys(RUNNER_DEFAULTS) as (keyof RunnerConfig)[];

export class RunnerSettings {
  constructor(private readonly board: BoardContext) {}

  async get(): Promise<RunnerConfig> {
    const rows = await this.board.db.query<{ key: string; value: string }>('SELECT key, value FROM runner_config');
    const config: Record<string, unknown> = { ...RUNNER_DEFAULTS };
    for (const row of rows) if ((KEYS as string[]).includes(row.key)) config[row.key] = parseJson(row.value, config[row.key]);
    return config as unknown as RunnerConfig;
  }

  /** Changes some settings (checked by the caller's schema); the others keep their values. */
  async set(changes: Partial<RunnerConfig>): Promise<RunnerConfig> {
    const unknown = Object.keys(changes).filter((key) => !(KEYS as string[]).includes(key));
    if (unknown.length > 0) throw new OrchestratorError('invalid_input', `unknown runner setting(s): ${unknown.join(', ')}; known: ${KEYS.join(', ')}`);
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) continue;
        await tx.exec(
          'INSERT INTO runner_config (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
          [key, JSON.stringify(value), now],
        );
      }
      await appendEvent(tx, { type: 'runner.configured', subject: null, data: changes as Record<string, unknown> }, now);
    });
    return this.get();
  }
}
