import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Queryable } from '../store/open.js';
import type { Agent } from './agents.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso, parseJson, requireText } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';
import { normalizeRole } from './roles.js';

const WORKER_KINDS = ['claude', 'codex', 'gemini', 'command'] as const;
import type { TaskStatus } from './task-states.js';

/**
 * Teams (design A's create_team, design B's roles): a named goal and the roles it needs, each
 * with a count and the agent CLI that fills it. Members are board agents that joined it
 * (assign_role, or the workers `orchestrate team up` starts). The team's work is the tasks
 * labelled `team:<name>`; its progress is how many of them are completed. Dissolving unregisters
 * the members, so the tasks they held go back to the queue — nothing is lost. At most one
 * active team has a given name.
 */
export type TeamRole = { role: string; count: number; agent: 'claude' | 'codex' | 'gemini' | 'command' };

export interface Team {
  id: string;
  name: string;
  goal: string;
  roles: TeamRole[];
  status: 'active' | 'dissolved';
  /** `pid:start-time` of the `team up` process running its workers, or null. */
  workers: string | null;
  down_requested_at: string | null;
  created_by: string | null;
  created_at: string | null;
  updated_at: string | null;
  dissolved_at: string | null;
}

export interface TeamMember {
  agent_id: string;
  name: string;
  role: string;
  status: 'online' | 'offline';
  current_task: { id: string; title: string; status: TaskStatus } | null;
}

export interface TeamStatus extends Team {
  members: TeamMember[];
  online: number;
  progress: { completed: number; total: number; by_status: Partial<Record<TaskStatus, number>> };
}

interface TeamRow extends Omit<Team, 'roles' | 'down_requested_at' | 'created_at' | 'updated_at' | 'dissolved_at'> {
  seq: number;
  roles: string;
  down_requested_at: number | null;
  created_at: number;
  updated_at: number;
  dissolved_at: number | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$/;

export const teamLabel = (name: string) => `team:${name}`;

export class Teams {
  constructor(private readonly board: BoardContext) {}

  async create(input: { name: string; goal: string; roles: { role: string; count?: number; agent?: string }[] }, actor: string | null): Promise<Team> {
    const name = requireText('name', input.name, 60);
    if (!NAME.test(name)) throw new OrchestratorError('invalid_input', `team name '${name}' may hold only letters, digits, '.', '_' and '-'`);
    const goal = requireText('goal', input.goal, 5000);
    if (!Array.isArray(input.roles) || input.roles.length === 0) throw new OrchestratorError('invalid_input', 'roles is required: the roles the team needs, each {role, count, agent}');
    const roles: TeamRole[] = input.roles.map((r) => {
      const count = r.count ?? 1;
      if (!Number.isInteger(count) || count < 1 || count > 20) throw new OrchestratorError('invalid_input', `role ${r.role}: count must be a whole number from 1 to 20, not ${count}`);
      const agent = r.agent ?? 'claude';
      if (!(WORKER_KINDS as readonly string[]).includes(agent)) throw new OrchestratorError('invalid_input', `role ${r.role}: agent must be one of ${WORKER_KINDS.join(', ')}, not '${agent}'`);
      return { role: normalizeRole(r.role), count, agent: agent as TeamRole['agent'] };
    });
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [taken] = await tx.query<TeamRow>(`SELECT * FROM teams WHERE name = ? AND status = 'active'`, [name]);
      if (taken) throw new OrchestratorError('conflict', `a team named '${name}' is active (${taken.id}); dissolve it first or choose another name`);
      const [row] = await tx.query<TeamRow>(
        `INSERT INTO teams (id, name, goal, roles, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'active', ?, ?, ?) RETURNING *`,
        [newId('team', now), name, goal, JSON.stringify(roles), actor, now, now],
      );
      await appendEvent(tx, { type: 'team.created', subject: row!.id, actor, data: { name, roles: roles.length } }, now);
      return toTeam(row!);
    });
  }

  /** A team by id, or by name: the active one, else the newest of that name. */
  async get(ref: string, db: Queryable = this.board.db): Promise<Team> {
    const key = requireText('team', ref, 200).trim();
    const [row] = await db.query<TeamRow>(
      `SELECT * FROM teams WHERE id = ? OR name = ? ORDER BY CASE WHEN id = ? THEN 0 WHEN status = 'active' THEN 1 ELSE 2 END, seq DESC LIMIT 1`,
      [key, key, key],
    );
    if (!row) throw new OrchestratorError('not_found', `no team '${excerpt(key)}'; 'orchestrate team status' lists the teams`);
    return toTeam(row);
  }

  async list(options: { all?: boolean; limit?: number; cursor?: string } = {}): Promise<Page<Team>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.board.db.query<TeamRow>(
      `SELECT * FROM teams WHERE seq > ? AND (? = 1 OR status = 'active') ORDER BY seq LIMIT ?`,
      [after, options.all ? 1 : 0, limit + 1],
    );
    return toPage(rows, limit, (row) => row.seq, toTeam);
  }

  /** Who is on the team, what each works on, and how far its tasks are. */
  async status(ref: string): Promise<TeamStatus> {
    await this.board.sweep(true);
    const team = await this.get(ref);
    const members = await this.board.db.query<{ agent_id: string; name: string; role: string; status: 'online' | 'offline'; current_task: string | null; task_title: string | null; task_status: TaskStatus | null }>(
      `SELECT m.agent_id, a.name, a.role, a.status, a.current_task, t.title AS task_title, t.status AS task_status
         FROM team_members m JOIN agents a ON a.id = m.agent_id LEFT JOIN tasks t ON t.id = a.current_task
        WHERE m.team_id = ? ORDER BY m.joined_at, a.name`,
      [team.id],
    );
    const label = `%${JSON.stringify(teamLabel(team.name)).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const counts = await this.board.db.query<{ status: TaskStatus; n: number }>(`SELECT status, count(*) AS n FROM tasks WHERE labels LIKE ? ESCAPE '\\' GROUP BY status`, [label]);
    const by_status = Object.fromEntries(counts.map((c) => [c.status, Number(c.n)])) as Partial<Record<TaskStatus, number>>;
    return {
      ...team,
      members: members.map((m) => ({ agent_id: m.agent_id, name: m.name, role: m.role, status: m.status, current_task: m.current_task ? { id: m.current_task, title: m.task_title ?? '', status: m.task_status ?? 'pending' } : null })),
      online: members.filter((m) => m.status === 'online').length,
      progress: { completed: by_status.completed ?? 0, total: counts.reduce((sum, c) => sum + Number(c.n), 0), by_status },
    };
  }

  /** Puts an agent on the team in a role (a second join updates the role). */
  async join(ref: string, agentId: string, role: string, actor: string | null): Promise<void> {
    const team = await this.active(ref);
    await this.board.db.transaction((tx) => addMember(tx, team.id, agentId, role, actor, this.board.now()));
  }

  /** assign_role: an agent gets a role and, with a team, joins it — both or neither (an unknown team changes nothing). */
  async assignRole(agentRef: string, role: string, teamRef: string | null, actor: string | null): Promise<{ agent: Agent; team: string | null }> {
    const team = teamRef === null ? null : await this.active(teamRef);
    const agent = await this.board.agents.setRole(agentRef, role, actor, async (tx, changed) => {
      if (team) await addMember(tx, team.id, changed.id, changed.role, actor, this.board.now());
    });
    return { agent, team: team?.name ?? null };
  }

  /** Ends the team: its online members are unregistered (their tasks go back to the queue), its workers asked to stop. */
  async dissolve(ref: string, actor: string | null): Promise<{ team: Team; unregistered: string[] }> {
    const team = await this.active(ref);
    const now = this.board.now();
    const online = await this.board.db.query<{ agent_id: string }>(
      `SELECT m.agent_id FROM team_members m JOIN agents a ON a.id = m.agent_id WHERE m.team_id = ? AND a.status = 'online'`,
      [team.id],
    );
    const unregistered: string[] = [];
    for (const { agent_id } of online) {
      await this.board.agents.unregister(agent_id).then(() => unregistered.push(agent_id), (error: unknown) => {
        if (!(error instanceof OrchestratorError && error.code === 'conflict')) throw error; // went offline meanwhile
      });
    }
    const row = await this.board.db.transaction(async (tx) => {
      const [done] = await tx.query<TeamRow>(
        `UPDATE teams SET status = 'dissolved', dissolved_at = ?, down_requested_at = COALESCE(down_requested_at, ?), updated_at = ? WHERE id = ? AND status = 'active' RETURNING *`,
        [now, now, now, team.id],
      );
      if (!done) throw new OrchestratorError('conflict', `team ${team.name} was dissolved by someone else`);
      await appendEvent(tx, { type: 'team.dissolved', subject: team.id, actor, data: { unregistered: unregistered.length } }, now);
      return done;
    });
    return { team: toTeam(row), unregistered };
  }

  /** Asks the team's workers (its `team up` process) to stop. */
  async requestDown(ref: string, actor: string | null): Promise<Team> {
    const team = await this.get(ref);
    const now = this.board.now();
    const row = await this.board.db.transaction(async (tx) => {
      const [changed] = await tx.query<TeamRow>('UPDATE teams SET down_requested_at = ?, updated_at = ? WHERE id = ? RETURNING *', [now, now, team.id]);
      await appendEvent(tx, { type: 'team.down_requested', subject: team.id, actor }, now);
      return changed!;
    });
    return toTeam(row);
  }

  /** Records which process runs the team's workers (null: none); a new run clears an old stop request. */
  async setWorkers(ref: string, workers: string | null): Promise<Team> {
    const team = await this.get(ref);
    const now = this.board.now();
    const row = await this.board.db.transaction(async (tx) => {
      const [changed] = await tx.query<TeamRow>(
        workers === null ? 'UPDATE teams SET workers = NULL, updated_at = ? WHERE id = ? RETURNING *' : 'UPDATE teams SET workers = ?, down_requested_at = NULL, updated_at = ? WHERE id = ? RETURNING *',
        workers === null ? [now, team.id] : [workers, now, team.id],
      );
      await appendEvent(tx, { type: workers ? 'team.up' : 'team.down', subject: team.id, data: workers ? { workers } : {} }, now);
      return changed!;
    });
    return toTeam(row);
  }

  private async active(ref: string): Promise<Team> {
    const team = await this.get(ref);
    if (team.status !== 'active') throw new OrchestratorError('conflict', `team ${team.name} (${team.id}) is dissolved`);
    return team;
  }
}

function toTeam(row: TeamRow): Team {
  const { seq: _seq, ...rest } = row;
  return {
    ...rest,
    roles: parseJson(row.roles, []) as TeamRole[],
    down_requested_at: iso(row.down_requested_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    dissolved_at: iso(row.dissolved_at),
  };
}

async function addMember(tx: Queryable, teamId: string, agentId: string, role: string, actor: string | null, now: number): Promise<void> {
  await tx.exec(
    `INSERT INTO team_members (team_id, agent_id, role, joined_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (team_id, agent_id) DO UPDATE SET role = excluded.role`,
    [teamId, agentId, normalizeRole(role), now],
  );
  await appendEvent(tx, { type: 'team.joined', subject: teamId, actor, data: { agent: agentId, role } }, now);
}
