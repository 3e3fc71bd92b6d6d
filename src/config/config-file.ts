import { existsSync, readFileSync } from 'node:fs';
import { OrchestratorError } from '../core/errors.js';

/**
 * `.orchestrator/config.yaml`: one schema for every key the project reads, so a misspelt key or
 * a value of the wrong type is reported — all of them at once, each with the file and line —
 * instead of being ignored. The board's keys (db, lease_ttl, max_retries) and a master plan's
 * (timeout, max_retries, model, strict_compliance, notes_sections, notifications, gates) share the file.
 */
export interface NotificationSettings {
  enabled: boolean;
  provider: 'desktop' | 'ntfy' | 'webhook' | 'none';
  /** ntfy: the topic. */
  topic?: string;
  /** ntfy: the server (default https://ntfy.sh); webhook: the URL the JSON is posted to. */
  url?: string;
}

/** A budget in tokens (new ones: input, output, cache writes) and/or dollars. */
export interface Budget {
  tokens?: number;
  usd?: number;
}

/** A role's settings (`roles.<role>` in config.yaml): its model, the CLIs its tasks may run on, its tools. */
export interface RoleSettings {
  model?: string;
  /** The CLIs its tasks may run on, in order of preference: routing picks by headroom. */
  agents?: ('claude' | 'codex' | 'gemini')[];
  /** The only tools its agents may use (Claude Code's names: Read, Grep, Write, Bash …); none said: the run's own. */
  allowed_tools?: string[];
  /** Tools its agents may never use. */
  denied_tools?: string[];
  /** What its agents may spend in a day (since local midnight, every run together). */
  budget_per_day?: Budget;
}

/** Tools that change files or run programs: a role allowed none of them is read-only on every CLI. */
export const WRITING_TOOLS = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Bash'];

export interface ProjectConfig {
  db?: string;
  lease_ttl?: number;
  max_retries?: number;
  timeout?: number;
  model?: string;
  strict_compliance?: boolean;
  notes_sections?: string[];
  notifications?: NotificationSettings;
  /** A master plan's gates written by name (`- i18n: all strings translated`): name → command. */
  gates?: Record<string, string>;
  roles?: Record<string, RoleSettings>;
  /** What every agent on this board may spend in a day, every run together. */
  budgets?: { per_day?: Budget };
}

/** The schema, built when a config file exists (zod loads only then: most commands start faster). */
async function schemas() {
  const { z } = await import('zod');
  const notifications = z.strictObject({
    enabled: z.boolean().default(true),
    provider: z.enum(['desktop', 'ntfy', 'webhook', 'none']),
    topic: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
  });
  const tool = z.string().regex(/^[A-Za-z][\w.:*()-]{0,99}$/, 'a tool name, such as Read or Bash(git:*)');
  const budget = z.strictObject({ tokens: z.int().min(1).optional(), usd: z.number().positive().optional() });
  const role = z.strictObject({
    model: z.string().min(1).optional(),
    agents: z.array(z.enum(['claude', 'codex', 'gemini'])).min(1).optional(),
    allowed_tools: z.array(tool).optional(),
    denied_tools: z.array(tool).optional(),
    budget_per_day: budget.optional(),
  });
  const config = z.strictObject({
    db: z.string().min(1).optional(),
    lease_ttl: z.number().positive().max(86_400).optional(),
    max_retries: z.int().min(0).max(100).optional(),
    timeout: z.int().min(1).max(86_400).optional(),
    model: z.string().min(1).optional(),
    strict_compliance: z.boolean().optional(),
    notes_sections: z.array(z.string().min(1)).optional(),
    notifications: notifications.optional(),
    gates: z.record(z.string().min(1).max(100), z.string().trim().min(1).max(10_000)).optional(),
    roles: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'a role is a lower-case word'), role).optional(),
    budgets: z.strictObject({ per_day: budget.optional() }).optional(),
  });
  return { config, notifications, role };
}

/** The config file's settings ({} when there is none); every problem in one error, as `file:line: …` lines. */
export async function readProjectConfig(file: string): Promise<ProjectConfig> {
  if (!existsSync(file)) return {};
  const { LineCounter, parseDocument, isMap } = await import('yaml');
  const text = readFileSync(file, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
  if (doc.errors.length > 0) {
    throw configError(file, doc.errors.map((error) => ({ line: lineOf(error.pos[0]), message: `not valid YAML: ${error.message.split('\n')[0]}` })));
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isMap(doc.contents)) throw configError(file, [{ line: 1, message: 'settings must be "key: value" lines' }]);
  const { config, notifications, role } = await schemas();
  const parsed = config.safeParse(value);
  if (parsed.success) return parsed.data as ProjectConfig;
  const problems = parsed.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        line: lineOf(keyNode(doc, [...path, key])?.range?.[0]),
        message: `unknown setting '${[...path, key].join('.')}' (known: ${Object.keys(path[0] === 'notifications' ? notifications.shape : path[0] === 'roles' ? role.shape : config.shape).join(', ')})`,
      }));
    }
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return [{ line: lineOf(node?.range?.[0] ?? keyNode(doc, path)?.range?.[0]), message: `${path.join('.') || 'settings'}: ${issue.message}` }];
  });
  throw configError(file, problems);
}

function configError(file: string, problems: { line: number; message: string }[]): OrchestratorError {
  const list = problems.sort((a, b) => a.line - b.line).map((p) => `${file}:${p.line}: ${p.message}`);
  return new OrchestratorError('invalid_input', `${list.join('\n')}\nfix ${problems.length === 1 ? 'it' : 'them'} in ${file} (or remove the file to use the defaults)`);
}

/** The key node of a mapping entry, for its line. */
function keyNode(doc: { getIn(path: string[], keepScalar: true): unknown }, path: string[]): { range?: [number, number, number] } | undefined {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : (doc as unknown as { contents: unknown }).contents;
  const items = (parent as { items?: { key: { value?: unknown; range?: [number, number, number] } }[] } | undefined)?.items ?? [];
  return items.find((pair) => String(pair.key?.value) === path[path.length - 1])?.key;
}
