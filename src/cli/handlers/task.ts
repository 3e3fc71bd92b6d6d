import type { Task } from '../../board/tasks.js';
import type { TaskStatus } from '../../board/task-states.js';
import { flag, flagOrArg, json, list as commaList, required, seconds, type Call, type Handler } from '../call.js';
import { details, moreHint, table } from '../format.js';

function taskId(call: Call): string {
  return required(flagOrArg(call, 'task-id'), 'the task id', '--task-id <id> or the id as the argument');
}

export const push: Handler = async (call) => {
  const board = await call.board();
  const task = await board.tasks.push({
    id: flag(call, 'id'),
    title: required(flagOrArg(call, 'title'), 'the task title', '--title "<what to do>"'),
    description: flag(call, 'description'),
    priority: flag(call, 'priority') as never,
    role: flag(call, 'role'),
    assignee: flag(call, 'assignee'),
    depends_on: commaList(flag(call, 'depends-on')),
    max_retries: flag(call, 'max-retries') as never,
    labels: commaList(flag(call, 'labels')),
    metadata: json(flag(call, 'metadata'), 'metadata'),
    run_id: flag(call, 'run-id'),
    link: flag(call, 'link'),
    chain_id: flag(call, 'chain-id'),
  }, call.maybeAgent());
  return { data: task, text: `pushed ${line(task)}` };
};

export const claim: Handler = async (call) => {
  const board = await call.board();
  const task = await board.tasks.claim(call.agent(), { task_id: flag(call, 'task-id') });
  return { data: task, text: task ? `claimed ${line(task)}` : 'nothing to claim' };
};

const move = (verb: string, run: (call: Call, id: string) => Promise<Task>): Handler => async (call) => {
  const task = await run(call, taskId(call));
  return { data: task, text: `${verb} ${line(task)}` };
};

export const start = move('started', async (call, id) => (await call.board()).tasks.start(id, call.maybeAgent()));
export const complete = move('completed', async (call, id) => (await call.board()).tasks.complete(id, call.maybeAgent(), flag(call, 'result') ?? null));
export const block = move('blocked', async (call, id) =>
  (await call.board()).tasks.block(id, call.maybeAgent(), required(flag(call, 'reason'), 'the reason', '--reason "<what it waits for>"')));
export const unblock = move('unblocked', async (call, id) => (await call.board()).tasks.unblock(id, call.maybeAgent()));
export const fail = move('failed', async (call, id) =>
  (await call.board()).tasks.fail(id, call.maybeAgent(), required(flag(call, 'reason'), 'the reason', '--reason "<why>"')));
export const retry = move('retried', async (call, id) => (await call.board()).tasks.retry(id, call.maybeAgent()));
export const cancel = move('cancelled', async (call, id) => (await call.board()).tasks.cancel(id, call.maybeAgent(), flag(call, 'reason') ?? null));

export const priority = move('reprioritized', async (call, id) =>
  (await call.board()).tasks.setPriority(id, required(flag(call, 'priority'), 'the priority', '--priority <0-3> (0 is the highest)'), call.maybeAgent()));

export const get: Handler = async (call) => {
  const task = await (await call.board()).tasks.get(taskId(call));
  return {
    data: task,
    text: details([
      ['id', task.id], ['title', task.title], ['status', task.status], ['priority', task.priority], ['role', task.role],
      ['assignee', task.assignee], ['held by', task.claimed_by], ['depends on', task.depends_on], ['waiting on', task.waiting_on],
      ['retries', `${task.retry_count} of ${task.max_retries}`], ['result', task.result], ['reason', task.reason],
      ['run', task.run_id], ['labels', task.labels], ['link', task.link], ['chain', task.chain_id], ['created', task.created_at], ['updated', task.updated_at],
      ['description', task.description],
    ]),
  };
};

export const list: Handler = async (call) => {
  const page = await (await call.board()).tasks.list({
    status: commaList(flag(call, 'status')) as TaskStatus[] | undefined,
    role: flag(call, 'role'),
    assignee: flag(call, 'assignee'),
    claimed_by: flag(call, 'claimed-by'),
    run_id: flag(call, 'run-id'),
    chain_id: flag(call, 'chain-id'),
    limit: flag(call, 'limit') as never,
    cursor: flag(call, 'cursor'),
  });
  const rows = page.items.map((t) => [t.id, t.status, t.priority, t.role, t.claimed_by, t.depends_on.join(','), t.title]);
  return { data: page, text: table(['ID', 'STATUS', 'PRI', 'ROLE', 'HELD BY', 'DEPENDS ON', 'TITLE'], rows, 'no tasks') + moreHint(page.next_cursor) };
};

export const watch: Handler = async (call) => {
  const timeoutMs = seconds(flag(call, 'timeout'), 'timeout', 30);
  const task = await (await call.board()).tasks.watch({
    timeout_ms: timeoutMs,
    role: flag(call, 'role'),
    status: flag(call, 'status') as TaskStatus | undefined,
    onWaiting: () => call.progress(`waiting up to ${timeoutMs / 1000} s for a new task…`),
  });
  return { data: task, text: task ? `new task ${line(task)}` : `no new task within ${timeoutMs / 1000} s` };
};

function line(task: Task): string {
  return `${task.id} [${task.status}] p${task.priority}${task.role ? ` ${task.role}` : ''}: ${task.title}`;
}
