import { z } from 'zod';
import { Schedule } from './scheduler.js';

/**
 * A plan as data: what a planner agent submits (submit_plan) and what the engine runs. Every
 * problem is found at once and said in words an agent can act on, so an invalid plan can go back
 * to its planner with the list.
 */
export const planTask = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'use 1–40 letters, digits, _ or -, starting with a letter or digit'),
  title: z.string().min(1).max(200),
  description: z.string().min(1).max(20_000),
  role: z.string().min(1).max(40).optional(),
  agents: z.array(z.enum(['claude', 'codex', 'gemini'])).min(1).max(3).optional().describe('the agent CLIs this task may run on, in order of preference; each attempt goes to the one with the most headroom (default: the run\'s workers)'),
  depends_on: z.array(z.string()).max(50).optional(),
  files: z.array(z.string().min(1).max(500)).max(100).optional(),
  gates: z.array(z.string().min(1).max(2000)).max(20).optional(),
});

export const planShape = {
  summary: z.string().max(20_000).optional(),
  tasks: z.array(planTask).min(1).max(100),
  gates: z.array(z.string().min(1).max(2000)).max(20).optional().describe('integration gates: commands run on the run branch after each merge'),
};

export type PlanTask = z.infer<typeof planTask>;
export type Plan = { summary?: string; tasks: PlanTask[]; gates?: string[] };

/** Every problem of a submitted plan (empty when it is good). */
export function planProblems(input: unknown): string[] {
  const parsed = z.strictObject(planShape).safeParse(input);
  if (!parsed.success) return parsed.error.issues.map((issue) => `${issue.path.join('.') || 'plan'}: ${issue.message}`);
  const plan = parsed.data;
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const task of plan.tasks) {
    if (ids.has(task.id)) problems.push(`tasks: the id '${task.id}' is used twice`);
    ids.add(task.id);
  }
  for (const task of plan.tasks) {
    for (const dep of task.depends_on ?? []) {
      if (!ids.has(dep)) problems.push(`tasks.${task.id}.depends_on: '${dep}' is not a task of this plan`);
      if (dep === task.id) problems.push(`tasks.${task.id}.depends_on: a task cannot depend on itself`);
    }
  }
  if (problems.length === 0) {
    try {
      new Schedule(plan.tasks.map((task) => ({ id: task.id, depends_on: task.depends_on ?? [], files: task.files ?? [] })), 1);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}

/** The plan as markdown, for people (plan-v<N>.md). */
export function planMarkdown(title: string, version: number, plan: Plan): string {
  const lines = [`# Plan v${version}: ${title}`, ''];
  if (plan.summary) lines.push(plan.summary.trim(), '');
  lines.push('| id | task | role | depends on | files | gates |', '|---|---|---|---|---|---|');
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  for (const task of plan.tasks) {
    lines.push(`| ${task.id} | ${cell(task.title)} | ${task.role ?? ''} | ${(task.depends_on ?? []).join(', ')} | ${cell((task.files ?? []).join(', '))} | ${cell((task.gates ?? []).map((g) => `\`${g}\``).join(', '))} |`);
  }
  lines.push('', `Integration gates: ${(plan.gates ?? []).map((g) => `\`${g}\``).join(', ') || 'none'}`, '');
  for (const task of plan.tasks) lines.push(`## ${task.id}: ${task.title}`, '', task.description.trim(), '');
  return lines.join('\n');
}
