-- The persistent tooling of a Claude Code session (designs A and B): workflow templates defined
-- on the board and workflow instances with their steps, teams with their members, reminders,
-- skill learnings, and the session scope of context. Keep this file and
-- ../postgres/005_tooling.sql alike.
CREATE TABLE workflow_templates (
  name        TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  definition  TEXT NOT NULL,             -- JSON: {inputs, steps}
  created_by  TEXT,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE workflows (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  template   TEXT,                       -- null: custom steps
  name       TEXT NOT NULL,
  status     TEXT NOT NULL,              -- active | completed | failed | cancelled
  mode       TEXT NOT NULL,              -- manual (advance_step) | auto (workflow run)
  inputs     TEXT NOT NULL,              -- JSON object
  run_id     TEXT,                       -- the engine run of an automatic workflow
  created_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  ended_at   BIGINT
);

CREATE TABLE workflow_steps (
  workflow_id  TEXT NOT NULL,
  position     INTEGER NOT NULL,
  id           TEXT NOT NULL,
  title        TEXT NOT NULL,
  role         TEXT NOT NULL,
  agent        TEXT,                     -- claude | codex | gemini | command; null: the run's choice
  instructions TEXT NOT NULL,
  depends_on   TEXT NOT NULL,            -- JSON list of step ids
  status       TEXT NOT NULL,            -- pending | active | done | failed
  notes        TEXT,
  outputs      TEXT,                     -- JSON object
  started_at   BIGINT,
  ended_at     BIGINT,
  PRIMARY KEY (workflow_id, id)
);

CREATE TABLE teams (
  seq               INTEGER PRIMARY KEY,
  id                TEXT NOT NULL UNIQUE,
  name              TEXT NOT NULL,
  goal              TEXT NOT NULL,
  roles             TEXT NOT NULL,       -- JSON: [{role, count, agent}]
  status            TEXT NOT NULL,       -- active | dissolved
  workers           TEXT,                -- pid:start-time of the `team up` process running its workers
  down_requested_at BIGINT,
  created_by        TEXT,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  dissolved_at      BIGINT
);
CREATE UNIQUE INDEX teams_active_name ON teams (name) WHERE status = 'active';

CREATE TABLE team_members (
  team_id   TEXT NOT NULL,
  agent_id  TEXT NOT NULL,
  role      TEXT NOT NULL,
  joined_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE reminders (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  text          TEXT NOT NULL,
  trigger_kind  TEXT NOT NULL,           -- keyword | event | always
  words         TEXT NOT NULL,           -- JSON list (keyword)
  event         TEXT,                    -- a Claude Code hook event name (event)
  once          INTEGER NOT NULL,
  expires_at    BIGINT,
  fired_count   INTEGER NOT NULL,
  last_fired_at BIGINT,
  dismissed_at  BIGINT,
  created_by    TEXT,
  created_at    BIGINT NOT NULL
);

CREATE TABLE learnings (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  skill      TEXT NOT NULL,
  kind       TEXT NOT NULL,              -- pattern | gotcha | tip
  text       TEXT NOT NULL,
  source     TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX learnings_skill ON learnings (skill, seq);

CREATE TABLE session_context (
  project    TEXT NOT NULL,
  session    TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  version    INTEGER NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (project, session, key)
);

CREATE INDEX processes_task ON processes (task_id);
