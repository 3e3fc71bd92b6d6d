import type { Handler } from './call.js';

/**
 * The command table: every `orchestrate <noun> <verb>` with its options, the flat names design
 * E's CLI used (kept as aliases so its users' scripts keep working), and a lazy import of its
 * handler, so a command loads only what it uses.
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The flag may repeat; its value is then a list. */
  multiple?: boolean;
  description: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Positional arguments, for the usage line (`<task-id>`). */
  args?: string;
  aliases?: string[];
  options?: Record<string, OptionSpec>;
  /** Runs until stopped (a server, workers, a run), so it waits out a store outage instead of exiting 9; may depend on the flags. */
  longRunning?: boolean | ((values: Record<string, unknown>) => boolean);
  load: () => Promise<Handler>;
}

const agent = () => import('./handlers/agent.js');
const task = () => import('./handlers/task.js');
const msg = () => import('./handlers/msg.js');
const ctx = () => import('./handlers/ctx.js');
const board = () => import('./handlers/board.js');
const mcp = () => import('./handlers/mcp.js');
const setup = () => import('./handlers/setup.js');
const processes = () => import('./handlers/ps.js');
const dispatch = () => import('./handlers/dispatch.js');
const runs = () => import('./handlers/run.js');
const plans = () => import('./handlers/plan.js');
const workflows = () => import('./handlers/workflow.js');
const teams = () => import('./handlers/team.js');
const reminders = () => import('./handlers/reminder.js');
const learnings = () => import('./handlers/learning.js');
const sessionContext = () => import('./handlers/context.js');
const views = () => import('./handlers/views.js');
const workers = () => import('./handlers/worker.js');
const limits = () => import('./handlers/limits.js');
const audits = () => import('./handlers/audit.js');

/** Where a run's agents run: here, or as work orders that workers on any host take (`orchestrate worker`). */
const workOrders = {
  'local-workers': { type: 'string', description: 'agents run here at once; the rest go to workers on other hosts (orchestrate worker) through the board and --remote. 0: none here (default: --concurrency)' },
  remote: { type: 'string', description: 'the git remote every worker reaches: with it, each attempt is a work order any host may take (default with --local-workers 0: origin)' },
} as const;

const page = {
  limit: { type: 'string', description: 'at most this many rows (default 50, at most 1000)' },
  cursor: { type: 'string', description: 'continue after the previous page (its next_cursor)' },
} as const;
const timeout = { type: 'string', description: 'seconds to wait (default 30)' } as const;
const taskId = { type: 'string', description: 'the task (or give it as the argument)' } as const;
const stalledAfter = { type: 'string', description: 'minutes without an event before working becomes stalled (default 10)' } as const;
const key = { type: 'string', description: 'the context key (or give it as the argument)' } as const;
const inputs = { type: 'string', multiple: true, description: "a template input, name=value (repeat it)" } as const;
const sessionOption = { type: 'string', description: 'whose memory (default: your agent name, else "default")' } as const;

export const COMMANDS: Command[] = [
  {
    name: 'agent register', aliases: ['register'], summary: 'join the board as an agent and save the identity in .orchestrator/; with --work-dir, stay and answer its messages (design E v0.3 worker)',
    longRunning: (values) => values['work-dir'] !== undefined,
    options: {
      name: { type: 'string', description: 'unique among online agents (required)' },
      role: { type: 'string', description: 'architect, implementer (developer), tester, reviewer, devops, documenter, generalist, leader, or a custom word (default generalist)' },
      kind: { type: 'string', description: 'claude, codex, gemini, human or command (default claude)' },
      'work-dir': { type: 'string', description: 'be a persistent worker there: each message to this agent becomes an agent run in that folder, its answer sent back (until Ctrl-C)' },
      command: { type: 'string', description: 'with --work-dir: run this program on each message instead of Claude Code (the message is its last argument, or replaces {prompt} in an --arg)' },
      arg: { type: 'string', multiple: true, description: 'with --command: an argument (repeat it)' },
      model: { type: 'string', description: "with --work-dir: Claude Code's model" },
      metadata: { type: 'string', description: 'a JSON object kept with the agent' },
    },
    load: async () => (await agent()).register,
  },
  {
    name: 'agent heartbeat', aliases: ['heartbeat'], summary: "renew the agent's lease, optionally saying what it works on",
    options: { 'current-task': { type: 'string', description: 'the task it works on (a claimed task is started)' }, 'task-id': { type: 'string', description: 'same as --current-task' } },
    load: async () => (await agent()).heartbeat,
  },
  {
    name: 'agent list', aliases: ['list-instances'], summary: 'the agents online (--all: offline too)',
    options: { all: { type: 'boolean', description: 'include offline agents' }, role: { type: 'string', description: 'only this role' }, ...page },
    load: async () => (await agent()).list,
  },
  {
    name: 'agent get', args: '[<id|name>]', summary: 'one agent (default: yourself)',
    load: async () => (await agent()).get,
  },
  {
    name: 'agent unregister', aliases: ['unregister'], summary: 'leave the board; the tasks you hold go back to the queue',
    load: async () => (await agent()).unregister,
  },
  {
    name: 'task push', aliases: ['push-task'], args: '[<title>]', summary: 'add a task to the queue',
    options: {
      title: { type: 'string', description: 'what to do (or give it as the argument)' },
      description: { type: 'string', description: 'details' },
      priority: { type: 'string', description: '0 (highest) to 3 (lowest), default 2' },
      role: { type: 'string', description: 'only agents of this role (or generalists) may claim it' },
      assignee: { type: 'string', description: 'only this agent (id or name) may claim it' },
      'depends-on': { type: 'string', description: 'task ids, comma-separated, that must complete first' },
      'max-retries': { type: 'string', description: 'retries before it fails for good (default 3)' },
      labels: { type: 'string', description: 'comma-separated labels' },
      metadata: { type: 'string', description: 'a JSON object kept with the task' },
      'run-id': { type: 'string', description: 'the run the task belongs to' },
      link: { type: 'string', description: 'an issue, PR or document the task is about (design E v0.3)' },
      'chain-id': { type: 'string', description: 'the chain of tasks it belongs to (design E v0.3)' },
      id: { type: 'string', description: 'choose the task id (default: generated)' },
    },
    load: async () => (await task()).push,
  },
  {
    name: 'task claim', aliases: ['claim-task'], summary: 'take the next task you may do (prints null when there is none)',
    options: { 'task-id': { type: 'string', description: 'claim this task only' } },
    load: async () => (await task()).claim,
  },
  { name: 'task start', args: '<task-id>', summary: 'start a task you claimed', options: { 'task-id': taskId }, load: async () => (await task()).start },
  {
    name: 'task complete', aliases: ['complete-task'], args: '<task-id>', summary: 'finish a task with its result',
    options: { 'task-id': taskId, result: { type: 'string', description: 'what was done (a PR, a summary)' } },
    load: async () => (await task()).complete,
  },
  {
    name: 'task block', aliases: ['task-block'], args: '<task-id>', summary: 'stop a task until something it waits for arrives',
    options: { 'task-id': taskId, reason: { type: 'string', description: 'what it waits for (required)' } },
    load: async () => (await task()).block,
  },
  { name: 'task unblock', args: '<task-id>', summary: 'put a blocked task back in the queue', options: { 'task-id': taskId }, load: async () => (await task()).unblock },
  {
    name: 'task fail', aliases: ['task-fail'], args: '<task-id>', summary: 'mark a task failed',
    options: { 'task-id': taskId, reason: { type: 'string', description: 'why (required)' } },
    load: async () => (await task()).fail,
  },
  {
    name: 'task retry', aliases: ['task-retry'], args: '<task-id>', summary: 'put a failed or blocked task back in the queue (counts a retry)',
    options: { 'task-id': taskId }, load: async () => (await task()).retry,
  },
  {
    name: 'task cancel', args: '<task-id>', summary: 'cancel a task for good',
    options: { 'task-id': taskId, reason: { type: 'string', description: 'why' } }, load: async () => (await task()).cancel,
  },
  {
    name: 'task priority', args: '<task-id>', summary: 'change a task\'s priority (0 is the highest, 3 the lowest)',
    options: { 'task-id': taskId, priority: { type: 'string', description: '0 to 3 (required)' } }, load: async () => (await task()).priority,
  },
  { name: 'task get', args: '<task-id>', summary: 'one task with its dependencies', options: { 'task-id': taskId }, load: async () => (await task()).get },
  {
    name: 'task list', aliases: ['list-tasks'], summary: 'tasks in the order they were pushed',
    options: {
      status: { type: 'string', description: 'comma-separated: pending, claimed, in_progress, blocked, completed, failed, cancelled' },
      role: { type: 'string', description: 'only this role' },
      assignee: { type: 'string', description: 'only tasks assigned to this agent' },
      'claimed-by': { type: 'string', description: 'only tasks this agent holds or held' },
      'run-id': { type: 'string', description: 'only tasks of this run' },
      'chain-id': { type: 'string', description: 'only tasks of this chain' },
      ...page,
    },
    load: async () => (await task()).list,
  },
  {
    name: 'task watch', aliases: ['watch-tasks'], summary: 'wait for a new task (prints null on timeout)',
    options: { role: { type: 'string', description: 'only tasks of this role' }, status: { type: 'string', description: 'only tasks in this state' }, timeout },
    load: async () => (await task()).watch,
  },
  {
    name: 'msg send', aliases: ['send-message'], summary: 'send a message to an agent (or --broadcast to all)',
    options: {
      to: { type: 'string', description: 'the recipient agent id (or name)' },
      'to-name': { type: 'string', description: 'the recipient agent name (@name works; @all sends to everyone)' },
      content: { type: 'string', description: 'the message' },
      broadcast: { type: 'boolean', description: 'send to every agent' },
    },
    load: async () => (await msg()).send,
  },
  { name: 'msg broadcast', summary: 'send a message to every agent', options: { content: { type: 'string', description: 'the message' } }, load: async () => (await msg()).broadcast },
  {
    name: 'msg help', aliases: ['request-help'], summary: 'ask every agent for help',
    options: { question: { type: 'string', description: 'what you need' }, content: { type: 'string', description: 'same as --question' }, context: { type: 'string', description: 'what a helper needs to know' } },
    load: async () => (await msg()).help,
  },
  {
    name: 'msg poll', aliases: ['poll-messages'], summary: 'your unread messages, marked read as they are shown (--peek: left unread; --all: read ones too)',
    options: { all: { type: 'boolean', description: 'include read messages' }, peek: { type: 'boolean', description: 'leave them unread' }, ...page }, load: async () => (await msg()).poll,
  },
  {
    name: 'msg wait', aliases: ['wait-for-message'], summary: 'wait for a message, then print your unread messages and mark them read',
    options: { timeout, limit: page.limit }, load: async () => (await msg()).wait,
  },
  {
    name: 'msg read', aliases: ['mark-read'], args: '<message-id>', summary: 'mark a message read',
    options: { 'message-id': { type: 'string', description: 'the message (or give it as the argument)' } }, load: async () => (await msg()).read,
  },
  {
    name: 'msg dismiss', aliases: ['dismiss-message'], args: '<message-id>', summary: 'remove a message from your inbox',
    options: { 'message-id': { type: 'string', description: 'the message (or give it as the argument)' } }, load: async () => (await msg()).dismiss,
  },
  {
    name: 'ctx set', aliases: ['set-context'], args: '[<key> <value>]', summary: 'write a shared value',
    options: { key, value: { type: 'string', description: 'the value' }, 'expected-version': { type: 'string', description: 'write only if the key is at this version (0: only if absent)' } },
    load: async () => (await ctx()).set,
  },
  { name: 'ctx get', aliases: ['get-context'], args: '<key>', summary: 'read a shared value', options: { key }, load: async () => (await ctx()).get },
  {
    name: 'ctx delete', aliases: ['delete-context'], args: '<key>', summary: 'remove a shared value',
    options: { key, 'expected-version': { type: 'string', description: 'delete only if the key is at this version' } }, load: async () => (await ctx()).remove,
  },
  {
    name: 'ctx list', aliases: ['list-context-keys'], summary: 'the shared keys with their versions',
    options: { prefix: { type: 'string', description: 'only keys starting with this' }, ...page }, load: async () => (await ctx()).list,
  },
  {
    name: 'ctx watch', aliases: ['watch-context'], args: '<key>', summary: 'wait until a key changes (prints null on timeout)',
    options: { key, timeout }, load: async () => (await ctx()).watch,
  },
  { name: 'leader status', summary: 'who leads the board', load: async () => (await board()).leaderStatus },
  { name: 'leader acquire', summary: 'become the leader if nobody leads', load: async () => (await board()).leaderAcquire },
  { name: 'leader resign', summary: 'stop leading', load: async () => (await board()).leaderResign },
  {
    // After the leader verbs: findCommand takes the first command whose words match.
    name: 'leader', longRunning: true, summary: 'lead the board from the live view (design E: orchestrate leader --name Tom); it leads while the view is open',
    options: {
      name: { type: 'string', description: 'register (or return) as this agent first' },
      role: { type: 'string', description: 'its role (default architect)' },
      'no-tui': { type: 'boolean', description: 'take the leadership and return (keep it with heartbeats); the default in no terminal' },
    },
    load: async () => (await board()).leader,
  },
  {
    name: 'events', args: '', summary: 'the event log, oldest first',
    options: { subject: { type: 'string', description: 'only events about this task, agent or key' }, type: { type: 'string', description: 'only this event type' }, ...page },
    load: async () => (await board()).events,
  },
  { name: 'mcp', longRunning: true, summary: 'serve the board to one Claude Code session over stdio (MCP)', load: async () => (await mcp()).mcp },
  {
    name: 'serve', longRunning: true, summary: 'serve the board over Streamable HTTP at /mcp, to many sessions',
    options: {
      host: { type: 'string', description: 'the address to bind (default 127.0.0.1; any other needs --token)' },
      port: { type: 'string', description: 'the port (default 3100; 0 picks a free one)' },
      token: { type: 'string', description: 'require "Authorization: Bearer <token>" on every request (env ORCHESTRATOR_TOKEN)' },
      'allowed-host': { type: 'string', description: 'comma-separated Host names to accept when bound to 0.0.0.0 or ::' },
    },
    load: async () => (await mcp()).serve,
  },
  {
    name: 'setup', summary: 'make this project ready for Claude Code sessions to join the board (merges, backs up, undoable)',
    options: {
      name: { type: 'string', description: 'the agent name sessions here use (default claude-<folder>)' },
      role: { type: 'string', description: 'the role the SessionStart hook registers (default generalist)' },
      http: { type: 'string', description: "connect to a shared 'orchestrate serve' at this URL instead of spawning 'orchestrate mcp'" },
      hooks: { type: 'boolean', description: 'also register on SessionStart and unregister on SessionEnd' },
      command: { type: 'string', description: "run orchestrate by this name on the PATH (default: this program's absolute path)" },
      token: { type: 'string', description: 'with --http: the server needs a token; sessions send $ORCHESTRATOR_TOKEN' },
      global: { type: 'boolean', description: 'set up your user Claude Code config (~/.claude.json, ~/.claude/) instead of this project' },
      'dry-run': { type: 'boolean', description: 'print what would change, change nothing' },
      undo: { type: 'boolean', description: 'restore the files the last setup changed, byte for byte' },
    },
    load: async () => (await setup()).setup,
  },
  {
    name: 'dispatch result', args: '<id>', summary: "a dispatch's status, and once it ended its outcome, answer, usage and cost",
    options: { id: { type: 'string', description: 'the dispatch (or give it as the argument)' }, wait: { type: 'string', description: 'seconds to wait for it to end (default 0)' } },
    load: async () => (await dispatch()).result,
  },
  {
    name: 'dispatch cancel', args: '<id>', summary: 'stop a queued or running dispatch, whichever orchestrator process runs it',
    options: { id: { type: 'string', description: 'the dispatch (or give it as the argument)' } },
    load: async () => (await dispatch()).stop,
  },
  {
    name: 'dispatch retry', args: '<id>', summary: 'run a dispatch again with its full original prompt, in the foreground',
    options: { id: { type: 'string', description: 'the dispatch (or give it as the argument)' } },
    load: async () => (await dispatch()).retry,
  },
  {
    name: 'dispatch list', summary: 'the dispatches, oldest first, with status and cost',
    options: { state: { type: 'string', description: 'queued, running or exited' }, ...page },
    load: async () => (await dispatch()).listDispatches,
  },
  {
    name: 'dispatch', longRunning: true, args: '<prompt>', summary: 'run one agent on a prompt, supervised, and report its outcome (exit 12 when it is not ok)',
    options: {
      cli: { type: 'string', description: 'the agent CLI: claude, codex, gemini or command (default claude; --agent claude still works)' },
      prompt: { type: 'string', description: 'the prompt (or give it as the argument)' },
      model: { type: 'string', description: 'the model (default: the runner setting for the agent, else the CLI default)' },
      program: { type: 'string', description: "the program to run (default: claude, codex or gemini on the PATH, or $ORCHESTRATOR_CLAUDE/_CODEX/_GEMINI; command: required)" },
      arg: { type: 'string', multiple: true, description: "an argument (repeat it; write --arg=-x for one that starts with -): for command its arguments, where '{prompt}' is replaced by the prompt; for the agent CLIs, extra CLI arguments" },
      cwd: { type: 'string', description: 'where the agent works (default: the current folder)' },
      timeout: { type: 'string', description: 'seconds the run may take in all (default: the runner setting, 1800)' },
      'idle-timeout': { type: 'string', description: 'seconds without output before it is stopped (default: the runner setting, 300)' },
      'allowed-tools': { type: 'string', description: 'claude: comma-separated tools to allow (e.g. Write,mcp__orchestrator)' },
      verbose: { type: 'boolean', description: 'print a readable line per event as it runs' },
    },
    load: async () => (await dispatch()).dispatch,
  },
  {
    name: 'stop', args: '[<process-id>]', summary: 'stop a run (--run, default the newest), or one agent process by its id, whichever orchestrator process drives it',
    options: { id: { type: 'string', description: 'the process (or give it as the argument)' }, run: { type: 'string', description: 'the run to stop (default: the newest)' } },
    load: async () => (await runs()).stop,
  },
  {
    name: 'start', longRunning: true, args: '"<feature>"', summary: 'plan a feature, build it with parallel agents in worktrees, merge what the gates verify, review in cycles (exit 13: it needs a person, 14: paused or stopped)',
    options: {
      feature: { type: 'string', description: 'what to build (or give it as the argument)' },
      concurrency: { type: 'string', description: 'agents at once (default 2)' },
      'max-cycles': { type: 'string', description: 'review cycles before it escalates (default 5)' },
      planner: { type: 'string', description: 'claude, codex or gemini (default claude)' },
      worker: { type: 'string', description: 'claude, codex or gemini (default claude); several, comma-separated (claude,codex): each task goes to the one with the most headroom, and to the next when one refuses with a usage limit' },
      reviewer: { type: 'string', description: 'claude, codex, gemini or none (default claude)' },
      'skip-codex': { type: 'boolean', description: 'use no Codex at all (design C): a Codex planner, worker or reviewer is refused' },
      'usage-threshold': { type: 'string', description: 'pause above this share of the usage window, 0..1 (default 0.8; read from the usage endpoint when one is configured)' },
      'budget-usd': { type: 'string', description: 'pause and escalate once the run has spent this much' },
      'budget-tokens': { type: 'string', description: 'pause and escalate once the run has used this many new tokens (input, output, cache writes): for flat-rate plans' },
      'context-file': { type: 'string', description: 'a file with the requirements (default: the feature text is the context)' },
      'no-auto-resume': { type: 'boolean', description: 'after a usage limit, stay paused instead of resuming at the reset time' },
      'dry-run': { type: 'boolean', description: 'plan only: write and print the plan, start no work' },
      detach: { type: 'boolean', description: 'run in the background; returns once the run exists (follow it with orchestrate log --follow)' },
      tui: { type: 'boolean', description: 'run in the background and open the live view on it (q closes the view; the run goes on)' },
      ...workOrders,
      verbose: { type: 'boolean', description: "print the agents' readable lines as they work" },
    },
    load: async () => (await runs()).start,
  },
  {
    name: 'run', longRunning: true, args: '<master-plan.md>', summary: "run a master plan's phases as a DAG, each verified by its gates and a compliance check (exit 2: the plan has problems, 13: a phase failed or blocked, 14: paused or stopped)",
    options: {
      plan: { type: 'string', description: 'the master plan (or give it as the argument)' },
      'dry-run': { type: 'boolean', short: 'n', description: 'validate the plan and print the phase DAG; run nothing' },
      phase: { type: 'string', short: 'p', description: 'start from this phase: the phases listed before it are skipped' },
      model: { type: 'string', short: 'm', description: 'haiku, sonnet, opus or a model id (default: config.yaml model, else the CLI\'s own)' },
      cli: { type: 'string', description: 'the agent CLI: claude, codex, gemini or command (default claude; required agents need claude; --agent claude still works); several agent CLIs, comma-separated (claude,codex): each phase goes to the one with the most headroom' },
      program: { type: 'string', description: "for the command agent: the program (the phase's prompt is its last argument, or replaces '{prompt}' in one)" },
      arg: { type: 'string', multiple: true, description: "for the command agent: an argument (repeat it; write --arg=-x for one that starts with -)" },
      concurrency: { type: 'string', description: 'phases at once, each in its own worktree (default 2)' },
      sequential: { type: 'boolean', description: 'one phase at a time in the working tree itself (design D)' },
      quiet: { type: 'boolean', description: "do not print the agents' readable lines" },
      detach: { type: 'boolean', description: 'run in the background; returns once the run exists (follow it with orchestrate log --follow)' },
      tui: { type: 'boolean', description: 'run in the background and open the live view on it (q closes the view; the run goes on)' },
      ...workOrders,
    },
    load: async () => (await plans()).run,
  },
  {
    name: 'done', summary: 'report your phase of a master-plan run finished, blocked or failed (for the agent running it)',
    options: {
      phase: { type: 'string', description: 'the phase id' },
      status: { type: 'string', description: 'completed, blocked (a person is asked) or failed (tried again)' },
      reason: { type: 'string', description: 'why it is blocked or failed' },
      report: { type: 'string', description: 'your account as a JSON object (steps completed, agents invoked); kept, not counted as evidence' },
      run: { type: 'string', description: 'the run (default: the newest master-plan run)' },
    },
    load: async () => (await import('./handlers/done.js')).done,
  },
  {
    name: 'history', summary: 'the newest runs first (feature and master-plan), with status, duration and cost',
    options: { limit: { type: 'string', description: 'how many (default 20)' } },
    load: async () => (await runs()).history,
  },
  {
    name: 'resume', longRunning: true, summary: 'go on with a paused, escalated, blocked, failed, stopped or crashed run (default: the newest)',
    options: {
      run: { type: 'string', description: 'the run' },
      guidance: { type: 'string', description: 'your answer to the escalation, passed to the agents' },
      'budget-usd': { type: 'string', description: 'a new budget for the run (after it reached the old one)' },
      'budget-tokens': { type: 'string', description: 'a new token budget for the run (after it reached the old one)' },
      detach: { type: 'boolean', description: 'go on in the background; returns once the run is resumed (follow it with orchestrate log --follow)' },
      ...workOrders,
      verbose: { type: 'boolean', description: "print the agents' readable lines (feature runs)" },
      quiet: { type: 'boolean', description: "do not print the agents' readable lines (master-plan runs)" },
    },
    load: async () => (await runs()).resume,
  },
  {
    name: 'runs', summary: 'every run with its status, cycle and cost',
    options: { ...page },
    load: async () => (await runs()).runs,
  },
  {
    name: 'log', summary: "what a run did (default: the newest), from the board's event log",
    options: { run: { type: 'string', description: 'the run' }, lines: { type: 'string', short: 'n', description: 'the last N events (default 100)' }, follow: { type: 'boolean', description: 'keep printing until the run ends' } },
    load: async () => (await runs()).log,
  },
  {
    name: 'workflow define', summary: 'save a workflow template on the board (steps with title, role, instructions, depends_on, agent)',
    options: { file: { type: 'string', description: 'the definition, YAML or JSON (or give it as the argument)' } },
    load: async () => (await workflows()).define,
  },
  {
    name: 'workflow start', args: '<template>', summary: 'start a workflow you advance step by step (--file: custom steps)',
    options: { template: { type: 'string', description: 'the template (or give it as the argument)' }, input: inputs, file: { type: 'string', description: 'custom steps, YAML or JSON' }, name: { type: 'string', description: 'a name for this workflow' } },
    load: async () => (await workflows()).start,
  },
  {
    name: 'workflow status', args: '[<id>]', summary: 'a workflow with its current step and progress; without an id, every workflow',
    options: { id: { type: 'string', description: 'the workflow (or give it as the argument)' }, ...page },
    load: async () => (await workflows()).status,
  },
  {
    name: 'workflow advance', args: '<id>', summary: 'complete the current step with notes and outputs, and move to the next',
    options: { id: { type: 'string', description: 'the workflow (or give it as the argument)' }, notes: { type: 'string', description: 'what was done and found' }, output: { type: 'string', multiple: true, description: 'a named output, name=value (repeat it)' } },
    load: async () => (await workflows()).advance,
  },
  { name: 'workflow templates', summary: 'the workflow templates: built-in, .orchestrator/workflows/, and defined on the board', load: async () => (await workflows()).templates },
  {
    name: 'workflow run', longRunning: true, args: '<template>', summary: 'run a workflow by itself: its steps become engine tasks with roles, run by agents (exit 13: a step failed)',
    options: {
      template: { type: 'string', description: 'the template (or give it as the argument)' },
      input: inputs,
      file: { type: 'string', description: 'custom steps, YAML or JSON' },
      name: { type: 'string', description: 'a name for this workflow' },
      cli: { type: 'string', description: "every step's agent CLI: claude, codex, gemini or command (default: each step's, else claude; --agent claude still works)" },
      program: { type: 'string', description: "for the command agent: the program (the prompt is its last argument, or replaces '{prompt}' in one)" },
      arg: { type: 'string', multiple: true, description: "for the command agent: an argument (repeat it; '{prompt}' becomes the prompt)" },
      concurrency: { type: 'string', description: 'steps at once where dependencies allow (default 2)' },
      model: { type: 'string', description: "the agents' model" },
      ...workOrders,
      verbose: { type: 'boolean', description: "print the agents' readable lines" },
    },
    load: async () => (await workflows()).run,
  },
  {
    name: 'team create', args: '<team>', summary: 'create a team: a goal and the roles it needs',
    options: { team: { type: 'string', description: 'the name (or give it as the argument)' }, goal: { type: 'string', description: 'what the team is for' }, role: { type: 'string', multiple: true, description: 'role[:count[:agent]], such as implementer:2:claude (repeat it)' } },
    load: async () => (await teams()).create,
  },
  {
    name: 'team status', args: '[<team>]', summary: "a team's members, their tasks and its progress; without a name, the active teams",
    options: { team: { type: 'string', description: 'the team (or give it as the argument)' }, all: { type: 'boolean', description: 'dissolved teams too' } },
    load: async () => (await teams()).status,
  },
  {
    name: 'team dissolve', args: '<team>', summary: "end a team: its members unregister, their tasks go back to the queue",
    options: { team: { type: 'string', description: 'the team (or give it as the argument)' } },
    load: async () => (await teams()).dissolve,
  },
  {
    name: 'team assign', args: '[<agent>]', summary: 'give an agent (default: you) a role, and with --team make it a member',
    options: { 'agent-ref': { type: 'string', description: 'the agent, by id or name (or give it as the argument)' }, role: { type: 'string', description: 'the role' }, team: { type: 'string', description: 'the team it joins' } },
    load: async () => (await teams()).assign,
  },
  {
    name: 'team up', longRunning: true, args: '<team>', summary: "run the team's workers here until 'team down': each claims its role's tasks and runs its agent on them",
    options: {
      team: { type: 'string', description: 'the team (or give it as the argument)' },
      program: { type: 'string', description: "for command workers: the program (the prompt is its last argument, or replaces '{prompt}' in one)" },
      arg: { type: 'string', multiple: true, description: "for command workers: an argument (repeat it; '{prompt}' becomes the prompt)" },
      model: { type: 'string', description: "the agents' model" },
      verbose: { type: 'boolean', description: "print the agents' readable lines" },
    },
    load: async () => (await teams()).up,
  },
  {
    name: 'team down', args: '<team>', summary: "stop the team's workers (from any terminal); their tasks go back to the queue",
    options: { team: { type: 'string', description: 'the team (or give it as the argument)' } },
    load: async () => (await teams()).down,
  },
  {
    name: 'reminder set', args: '"<text>"', summary: 'keep a reminder that comes back at a keyword, a hook event, or always',
    options: {
      text: { type: 'string', description: 'the reminder (or give it as the argument)' },
      keyword: { type: 'string', description: 'fire when one of these words is mentioned (comma-separated)' },
      substring: { type: 'boolean', description: 'a keyword fires anywhere in a word too (design A), not only as a whole word' },
      event: { type: 'string', description: 'fire at this Claude Code hook event (SessionStart, UserPromptSubmit, …)' },
      always: { type: 'boolean', description: 'fire at every session start' },
      once: { type: 'boolean', description: 'dismiss it once it fired' },
      'expires-in': { type: 'string', description: 'seconds until it is gone' },
    },
    load: async () => (await reminders()).set,
  },
  {
    name: 'reminder list', summary: 'the live reminders (--all: dismissed and expired ones too)',
    options: { all: { type: 'boolean', description: 'dismissed and expired ones too' }, ...page },
    load: async () => (await reminders()).listReminders,
  },
  {
    name: 'reminder match', summary: 'the reminders a context fires (marked fired); --hook: as a Claude Code hook, JSON in and out',
    options: {
      context: { type: 'string', description: 'the text to match keywords against' },
      event: { type: 'string', description: 'a hook event name' },
      'no-fire': { type: 'boolean', description: 'look without marking them fired' },
      hook: { type: 'boolean', description: "read the hook's JSON on stdin and print additional context for it" },
    },
    load: async () => (await reminders()).match,
  },
  {
    name: 'reminder dismiss', args: '<id>', summary: 'remove a reminder for good',
    options: { id: { type: 'string', description: 'the reminder (or give it as the argument)' } },
    load: async () => (await reminders()).dismiss,
  },
  {
    name: 'learning note', args: '<skill> ["<text>"]', summary: 'record a pattern, gotcha or tip for a skill',
    options: { skill: { type: 'string', description: "the skill's folder name (or give it as the argument)" }, kind: { type: 'string', description: 'pattern, gotcha or tip' }, text: { type: 'string', description: 'what you learned' }, source: { type: 'string', description: 'where it came from' } },
    load: async () => (await learnings()).note,
  },
  {
    name: 'learning list', args: '[<skill>]', summary: "a skill's learnings (every skill's without one)",
    options: { skill: { type: 'string', description: 'the skill (or give it as the argument)' }, ...page },
    load: async () => (await learnings()).list,
  },
  {
    name: 'learning fold', args: '<skill>', summary: "fold a skill's learnings into its SKILL.md: a diff to review; --apply writes it with a backup, --undo restores",
    options: {
      skill: { type: 'string', description: 'the skill (or give it as the argument)' },
      path: { type: 'string', description: 'the SKILL.md (default .claude/skills/<skill>/SKILL.md in the project)' },
      apply: { type: 'boolean', description: 'write it, backing the original up' },
      undo: { type: 'boolean', description: 'restore the file the last applied fold changed' },
    },
    load: async () => (await learnings()).fold,
  },
  {
    name: 'context set', args: '<key> <value>', summary: "keep a value in this project's session memory (--session, default your agent name)",
    options: { key, value: { type: 'string', description: 'the value (or give it after the key)' }, session: sessionOption, 'expected-version': { type: 'string', description: 'write only if the key is at this version (0: only if absent)' } },
    load: async () => (await sessionContext()).set,
  },
  {
    name: 'context get', args: '<key>', summary: "read a value of this project's session memory",
    options: { key, session: sessionOption },
    load: async () => (await sessionContext()).get,
  },
  {
    name: 'context list', summary: "everything this project's session memory keeps",
    options: { session: sessionOption, ...page },
    load: async () => (await sessionContext()).list,
  },
  {
    name: 'context clear', args: '[<key>]', summary: "remove one key of the session memory, or all of it",
    options: { key, session: sessionOption },
    load: async () => (await sessionContext()).clear,
  },
  {
    name: 'respond', args: '<process-id> <text>', summary: 'send a follow-up prompt to a waiting Claude Code session (dispatched interactive)',
    options: { id: { type: 'string', description: 'the process (or give it as the first argument)' }, text: { type: 'string', description: 'the prompt (or give it as the second argument)' } },
    load: async () => (await dispatch()).respond,
  },
  {
    name: 'approvals list', summary: "workers' permission requests (default: the pending ones)",
    options: { state: { type: 'string', description: 'pending (default), allowed, denied or all' }, ...page },
    load: async () => (await dispatch()).approvals,
  },
  {
    name: 'approvals allow', args: '<approval-id>', summary: 'let a worker use the tool it asked for',
    options: { id: { type: 'string', description: 'the request (or give it as the argument)' }, reason: { type: 'string', description: 'why, for the record' } },
    load: async () => (await dispatch()).allow,
  },
  {
    name: 'approvals deny', args: '<approval-id>', summary: 'refuse a worker the tool it asked for',
    options: { id: { type: 'string', description: 'the request (or give it as the argument)' }, reason: { type: 'string', description: 'why; the worker is told' } },
    load: async () => (await dispatch()).deny,
  },
  {
    name: 'runner config', summary: "the runner's settings on this board (limits, timeouts, models, approval policy); flags change them",
    options: {
      concurrency: { type: 'string', description: 'agents at once, in all' },
      'per-kind': { type: 'string', description: 'a JSON object of limits per agent kind, e.g. {"claude":2}' },
      'idle-timeout': { type: 'string', description: 'seconds without output before an agent is stopped' },
      timeout: { type: 'string', description: 'seconds an agent run may take in all' },
      models: { type: 'string', description: 'a JSON object of default models per agent kind' },
      'approval-timeout': { type: 'string', description: 'seconds a permission request waits before it is denied' },
      'approval-policy': { type: 'string', description: 'a JSON object: role (or "*") → {"allow":[tools],"deny":[tools]}' },
    },
    load: async () => (await dispatch()).runnerConfig,
  },
  {
    name: 'doctor', summary: "each agent CLI's version, login and permission mode, and a real smoke run (exit 12 when one fails)",
    options: { 'skip-smoke': { type: 'boolean', description: 'only the facts: no smoke run (a smoke run costs a tiny prompt)' } },
    load: async () => (await dispatch()).doctor,
  },
  { name: 'limits', summary: "each CLI account's usage windows: how full, when each resets, where the figure came from; limited accounts and until when", load: async () => (await limits()).limits },
  {
    name: 'audit', summary: 'every permission decision: who (a person, the role\'s policy, the timeout, the CLI\'s own flags), what tool, for whom, why',
    options: { limit: { type: 'string', description: 'the newest N (default 100)' } },
    load: async () => (await audits()).audit,
  },
  { name: 'worker list', summary: 'the workers on every host: CLIs, what they run now, what they did, their last sign of life', load: async () => (await workers()).workerList },
  {
    // After 'worker list': findCommand takes the first command whose words match.
    name: 'worker', longRunning: true, summary: "take work orders from the board on this host until Ctrl-C: the tasks of runs started with --remote (and --local-workers 0 or fewer than the concurrency)",
    options: {
      name: { type: 'string', description: 'its agent name (default worker-<host name>)' },
      agents: { type: 'string', description: 'the CLIs it may run, comma-separated (default claude,codex,gemini,command: those that work here)' },
      max: { type: 'string', description: 'work orders at once (default 2)' },
      roles: { type: 'string', description: "only the tasks of these roles, comma-separated (default: any; an order with no role is a generalist's)" },
      'work-dir': { type: 'string', description: 'where it keeps repositories and worktrees (default .orchestrator/worker)' },
    },
    load: async () => (await workers()).worker,
  },
  {
    name: 'tui', longRunning: true, summary: 'the live view in this terminal: what needs you first, then who works, live; keys act (? for help)',
    options: { 'stalled-after': stalledAfter },
    load: async () => (await views()).tui,
  },
  {
    name: 'web', longRunning: true, summary: 'the live view in a browser: what needs you first, then who works, live; actions run the same commands',
    options: {
      host: { type: 'string', description: 'the address to bind (default 127.0.0.1; any other needs --token)' },
      port: { type: 'string', description: 'the port (default 3200; 0 picks a free one)' },
      'read-only': { type: 'boolean', description: 'show only: every action is refused' },
      open: { type: 'boolean', description: 'open the login URL in the default browser' },
      'stalled-after': stalledAfter,
    },
    load: async () => (await views()).web,
  },
  { name: 'dashboard', summary: 'processes running and queued, recent outcomes, tasks, approvals and limits', load: async () => (await dispatch()).dashboard },
  {
    name: 'ps', summary: 'the agent processes the runner started, with their outcomes',
    options: { state: { type: 'string', description: 'queued, running or exited' }, ...page },
    load: async () => (await processes()).ps,
  },
  {
    name: 'logs', args: '<process-id>', summary: "what an agent process did, one readable line per event",
    options: { 'process-id': { type: 'string', description: 'the process (or give it as the argument)' }, lines: { type: 'string', description: 'only the last N lines' } },
    load: async () => (await processes()).logs,
  },
  {
    name: 'status', summary: 'health: store reachable, schema version, counts, the newest run; --run: one run in full',
    options: { run: { type: 'string', description: 'show this run: phase, cycle, tasks, cost' } },
    load: async () => (await runs()).status,
  },
  { name: 'config', summary: 'the resolved settings and where each came from', load: async () => (await board()).config },
];

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  db: { type: 'string', description: 'the board: a SQLite file path or a postgres:// URL (env ORCHESTRATOR_DB)' },
  project: { type: 'string', description: 'the project folder (default: the git root, else the current folder)' },
  agent: { type: 'string', description: 'act as this agent, by id or name (env ORCHESTRATOR_AGENT)' },
  'instance-id': { type: 'string', short: 'i', description: 'same as --agent (design E)' },
  'lease-ttl': { type: 'string', description: 'seconds an agent this command registers stays online after its last renewal (default 30; env ORCHESTRATOR_LEASE_TTL)' },
  json: { type: 'boolean', description: 'print JSON for programs' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

/** Finds the command named by the first words of argv (or an alias); returns it and the rest. */
/**
 * Why these arguments would hold a view's command line until they end (a run, a server, a
 * follow, a wait), or null: such a command belongs in its own terminal, or with --detach.
 */
export function holdsUntilStopped(argv: string[]): string | null {
  const found = findCommand(argv);
  if (!found || argv.includes('--detach')) return null;
  const { command } = found;
  const waits = /\b(watch|wait)$/.test(command.name) || argv.includes('--follow') || argv.includes('-f');
  // The flags as the command's own test reads them: `--name` or `--name=value` given.
  const given = Object.fromEntries(found.rest.filter((word) => word.startsWith('--')).map((word) => [word.slice(2).split('=')[0]!, true]));
  const runs = typeof command.longRunning === 'function' ? command.longRunning(given) : command.longRunning === true;
  if (!runs && !waits) return null;
  const detachable = command.name === 'start' || command.name === 'run' || command.name === 'resume';
  return `'orchestrate ${command.name}' ${waits ? 'waits' : 'runs'} until it ends: ${detachable ? 'add --detach, or ' : ''}run it in a terminal of its own`;
}

export function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  const [first, second] = argv;
  if (first === undefined) return null;
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.length === 2 && words[0] === first && words[1] === second) return { command, rest: argv.slice(2) };
    if (words.length === 1 && words[0] === first) return { command, rest: argv.slice(1) };
  }
  for (const command of COMMANDS) {
    if (command.aliases?.includes(first)) return { command, rest: argv.slice(1) };
  }
  return null;
}
