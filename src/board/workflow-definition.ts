import { z } from 'zod';
import { OrchestratorError } from '../core/errors.js';

/**
 * A workflow definition as data: its schema (the define_workflow tool's, and the template files'),
 * the whole-definition check, and the inputs filled into its steps. Kept apart from workflows.ts
 * so that zod loads only where definitions are read.
 */
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
const AGENT_KINDS = ['claude', 'codex', 'gemini', 'command'] as const;

export const stepDefinition = z.strictObject({
  id: z.string().regex(ID, 'use 1–40 letters, digits, _ or -').optional().describe('default: s1, s2, … in order'),
  title: z.string().min(1).max(200),
  role: z.string().min(1).max(40).optional().describe('architect, implementer, tester, reviewer, devops, documenter or generalist (default)'),
  instructions: z.string().min(1).max(20_000).describe('what to do; {{name}} is replaced by the input of that name'),
  depends_on: z.array(z.string()).max(50).optional().describe('ids of steps that must be done first'),
  agent: z.enum(AGENT_KINDS).optional().describe('the CLI an automatic run uses for this step (default: the run\'s)'),
});

export const workflowInput = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'use letters, digits and _'),
  description: z.string().max(500).optional(),
  required: z.boolean().optional(),
  default: z.string().max(20_000).optional(),
});

export const workflowDefinition = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'use lower-case letters, digits and -'),
  description: z.string().min(1).max(2000),
  inputs: z.array(workflowInput).max(20).optional(),
  steps: z.array(stepDefinition).min(1).max(50),
});

export type StepDefinition = z.infer<typeof stepDefinition>;
export type WorkflowDefinition = z.infer<typeof workflowDefinition>;

/**
 * A definition checked whole: its shape, then every problem at once (duplicate ids, unknown or
 * circular dependencies, placeholders no input declares). Steps get ids s1, s2, … where absent.
 */
export function checkDefinition(input: unknown): WorkflowDefinition {
  const parsed = workflowDefinition.safeParse(input);
  if (!parsed.success) throw new OrchestratorError('invalid_input', `the workflow is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'workflow'}: ${i.message}`).join('; ')}`);
  const definition = { ...parsed.data, steps: parsed.data.steps.map((step, i) => ({ ...step, id: step.id ?? `s${i + 1}` })) };
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const step of definition.steps) {
    if (ids.has(step.id)) problems.push(`the step id '${step.id}' is used twice`);
    ids.add(step.id);
  }
  for (const step of definition.steps) {
    for (const dep of step.depends_on ?? []) if (!ids.has(dep)) problems.push(`step ${step.id} depends on '${dep}', which is not a step of this workflow`);
  }
  const cycle = findCycle(definition.steps);
  if (cycle) problems.push(`the steps depend on each other in a circle: ${cycle.join(' → ')}`);
  const declared = new Set((definition.inputs ?? []).map((i) => i.name));
  for (const step of definition.steps) {
    for (const [, name] of step.instructions.matchAll(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g)) {
      if (!declared.has(name!)) problems.push(`step ${step.id} uses {{${name}}}, which is not among the inputs (declare it under inputs)`);
    }
  }
  if (problems.length > 0) throw new OrchestratorError('invalid_input', `the workflow is not valid: ${[...new Set(problems)].join('; ')}`);
  return definition;
}

/** The steps with the inputs filled in (defaults for absent ones); missing required or unknown inputs are refused. */
export function fillInputs(definition: WorkflowDefinition, given: Record<string, string>): { steps: (StepDefinition & { id: string })[]; inputs: Record<string, string> } {
  const declared = definition.inputs ?? [];
  const unknown = Object.keys(given).filter((name) => !declared.some((i) => i.name === name));
  if (unknown.length) throw new OrchestratorError('invalid_input', `${definition.name} has no input ${unknown.map((n) => `'${n}'`).join(', ')}; its inputs: ${declared.map((i) => i.name).join(', ') || 'none'}`);
  const inputs: Record<string, string> = {};
  const missing: string[] = [];
  for (const input of declared) {
    const value = given[input.name] ?? input.default;
    if (value === undefined) {
      if (input.required) missing.push(`${input.name}${input.description ? ` (${input.description})` : ''}`);
      else inputs[input.name] = '';
    } else inputs[input.name] = value;
  }
  if (missing.length) throw new OrchestratorError('invalid_input', `${definition.name} needs the input${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: pass ${missing.length > 1 ? 'them' : 'it'} as name=value`);
  const fill = (text: string) => text.replace(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => inputs[name] ?? '');
  return { steps: definition.steps.map((step, i) => ({ ...step, id: step.id ?? `s${i + 1}`, title: fill(step.title), instructions: fill(step.instructions) })), inputs };
}

function findCycle(steps: { id?: string; depends_on?: string[] }[]): string[] | null {
  const deps = new Map(steps.map((s) => [s.id!, s.depends_on ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (state.get(dep) === 'visiting') return [...stack.slice(stack.indexOf(dep)), dep];
      if (!state.has(dep) && deps.has(dep)) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of deps.keys()) {
    if (state.has(id)) continue;
    const found = visit(id);
    if (found) return found;
  }
  return null;
}

