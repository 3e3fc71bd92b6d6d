/** The files setup writes whole: two slash commands and a skill. The marker says setup wrote them. */
export const MARKER = '<!-- written by claude-orchestrator setup; setup updates it, --undo removes it -->';

/** `/board`: work with the board (claim a task, report progress, talk to the team). */
export const BOARD_COMMAND = `---
description: Work with the orchestrator board (claim a task, report progress, talk to the team)
argument-hint: [what to do, e.g. "claim the next task" or "status"]
---
${MARKER}

Use the orchestrator MCP tools (server \`orchestrator\`) to do this: $ARGUMENTS

If nothing more specific was asked: call \`server_status\` and \`poll_messages\`, then \`claim_task\`. Start the
task you get (\`start_task\`), work on it as long as it needs — the task stays yours while this session is connected —
and finish with \`complete_task\` and a result that says what changed and how you checked it — or \`block_task\` /
\`fail_task\` with the exact reason.
`;

/**
 * What `/orchestrate` does besides reading: write its context file, and start, watch and resume
 * runs. Setup allows these in the project's settings too: a command's own allowed-tools cover
 * only the turn it was invoked in, and the user answers its questions in the next one.
 */
export function featureCommandRules(program: string): string[] {
  return ['Edit(.orchestrator/context/**)', ...['start', 'status', 'log', 'resume', 'doctor'].map((verb) => `Bash(${program} ${verb}:*)`)];
}

/**
 * `/orchestrate <feature>` (design C's entry point): explore, ask, write the context file, start
 * a detached feature run, then watch it and bring its escalations to the user. `program` is how
 * this machine runs orchestrate, as shell words.
 */
export function featureCommand(program: string): string {
  return `---
description: Build a feature with a team of agents — explore, ask, then start a verified orchestrator run and watch it
argument-hint: <the feature, e.g. "Add a health endpoint">
allowed-tools: Read, Glob, Grep, ${featureCommandRules(program).join(', ')}
---
${MARKER}

You start and look after a feature run of claude-orchestrator for: $ARGUMENTS

1. Explore the codebase first: its layout, conventions, how it is built and tested. Read only; change nothing.
2. Ask the user at least ten clarifying questions, as one numbered list: what done means (acceptance
   criteria), scope and what is out of it, interfaces and data shapes, edge cases and errors, tests, what must
   not change, dependencies, performance or security needs. Then stop and wait for the answers.
3. With the answers, settle the run settings with the user (propose defaults): concurrency (2), the reviewer
   (claude, codex, gemini or none), a budget in dollars (none), review cycles (5).
4. Write the context file \`.orchestrator/context/<short-name>.md\`: the feature, every question with its answer,
   the acceptance criteria, the constraints, and the settings.
5. Start the run in the background and tell the user its run id:
   \`${program} start "<the feature>" --context-file .orchestrator/context/<short-name>.md --detach --concurrency <n> --reviewer <cli> [--budget-usd <d>] [--max-cycles <n>]\`
6. Watch it now and then, not in a tight loop: \`${program} status --run <id>\`, \`${program} log --run <id> -n 50\`.
   When it needs a person (status escalated, blocked or failed: \`.orchestrator/runs/<id>/escalation.json\` says why),
   explain it to the user, ask what to do, and go on with \`${program} resume --run <id> --guidance "<their answer>"\`.
   When it completes, tell the user the branch it left the work on.
`;
}

export const SKILL = `---
name: orchestrator
description: How to work as one agent of a team on the orchestrator board — claiming tasks, reporting honestly, messaging, sharing decisions. Use when the orchestrator MCP tools are available or the user mentions the board, tasks for agents, or the team.
---
${MARKER}

# Working on the orchestrator board

You are one agent of a team. The board (MCP server \`orchestrator\`) holds the tasks, the messages and the shared
decisions; other agents, on this machine or others, read the same board.

## Join
- If you were not registered for this session, call \`register_instance\` with your name and role.
- You stay online, and keep the tasks you hold, while this session is connected to the board: there is nothing to
  renew, so take the time the work needs (a long build or test run is fine). When the session ends, your tasks go
  back to the queue after a short lease. \`heartbeat\` with \`current_task\` says what you work on; it is not needed
  to stay alive. If a call says your lease expired (the session was cut off), your tasks went back to the queue:
  register again.

## Work
1. \`claim_task\` gives you the best task you may do; \`{task: null}\` means none right now (\`wait_for_message\` or
   try later — do not spin).
2. Read the task (\`get_task\` shows what it waits on). Do the work in this repository.
3. Verify it the way the task or the project says (tests, build, the command a user would run).
4. \`complete_task\` with a result that names what changed (files, commits) and how you checked it. Never claim work
   you did not do or check: the orchestrator re-runs the checks.
5. Stuck on something outside your control: \`block_task\` with the exact thing you wait for. Failed: \`fail_task\`
   with the reason. Either way, say it — a task you hold stays yours until this session ends.

## Talk
- \`send_message\` (\`to_name\`) for one agent, \`broadcast: true\` for all, \`request_help\` with the context a helper needs.
- \`poll_messages\` to read without waiting; \`wait_for_message\` to block until something arrives (it marks them read).
- Decisions others depend on (an API shape, a version, a convention) go in \`set_context\`; use \`expected_version\`
  when you update a value someone else may be updating.

## Remember and plan
- \`set_context\` with \`scope: "session"\` keeps your own notes for this project across restarts (\`get_context\`
  without a key lists them; \`clear_context\` removes them); the default scope is the team's shared context.
- \`set_reminder\` brings a note back when a keyword is mentioned, at session start, or always; hooks inject it.
- \`list_workflow_templates\`, \`start_workflow\`, then \`advance_step\` with notes when each step is done.
- \`note_learning\` when a skill taught you a pattern, a gotcha or a tip; \`fold_learnings\` proposes the SKILL.md update.

## Tools
register_instance, heartbeat, list_instances, unregister · push_task, claim_task, start_task, complete_task,
block_task, unblock_task, fail_task, retry_task, cancel_task, list_tasks, get_task · send_message, poll_messages,
wait_for_message, mark_read, dismiss_message, request_help · set_context, get_context, clear_context,
delete_context, list_context_keys · define_workflow, start_workflow, get_workflow_status, advance_step,
list_workflows, list_workflow_templates · create_team, get_team_status, assign_role, dissolve_team · set_reminder,
list_reminders, dismiss_reminder · note_learning, get_learnings, fold_learnings · server_status. Resources:
orchestrator://status, orchestrator://roles (your role's brief), orchestrator://tasks/{id}, orchestrator://events,
orchestrator://workflow-templates.
`;
