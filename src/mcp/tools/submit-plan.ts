import { z } from 'zod';
import { OrchestratorError } from '../../core/errors.js';
import { planProblems, planShape } from '../../engine/plan.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'submit_plan',
  description:
    'Submit the plan of a feature run (you were asked to plan run_id): tasks with ids, titles, descriptions precise enough for another agent, dependencies (depends_on: ids), the files each expects to touch (tasks touching the same file never run at once), and gates (shell commands whose exit code proves the task done, e.g. "npm test"); gates at the top level run on the run branch after every merge. Every problem is reported at once: fix them and submit again.',
  alwaysLoad: true,
  input: { run_id: z.string().min(1), ...planShape },
  async run({ run_id, ...plan }, context) {
    const run = await context.board.runs.get(run_id);
    if (run.status !== 'planning') throw new OrchestratorError('conflict', `run ${run_id} is ${run.status}, not planning: it takes no plan now`);
    const problems = planProblems(plan);
    if (problems.length > 0) throw new OrchestratorError('invalid_input', `the plan was not accepted; fix these and call submit_plan again:\n- ${problems.join('\n- ')}`);
    const version = await context.board.runs.addPlan(run_id, plan, 'planner');
    return { run_id, version, tasks: plan.tasks.length, accepted: true };
  },
});
