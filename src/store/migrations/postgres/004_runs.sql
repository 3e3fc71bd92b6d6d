-- Runs of the engine (feature runs first): their state, plan versions and reviews. Their tasks
-- are board tasks with run_id set. Keep this file and ../sqlite/004_runs.sql alike.
CREATE TABLE runs (
  seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  kind         TEXT NOT NULL,            -- feature
  title        TEXT NOT NULL,
  status       TEXT NOT NULL,            -- planning | running | reviewing | paused | escalated | completed | failed | stopped
  phase        TEXT NOT NULL,            -- what it does now, in words
  cycle        INTEGER NOT NULL,
  project      TEXT NOT NULL,
  branch       TEXT NOT NULL,
  base         TEXT NOT NULL,            -- the commit the run branch started from
  options      TEXT NOT NULL,            -- JSON: concurrency, max_cycles, agents, thresholds
  plan_version INTEGER NOT NULL,
  supervisor   TEXT,                     -- pid:start-time of the orchestrator driving it
  paused_until BIGINT,
  escalation   TEXT,                     -- JSON, when escalated
  guidance     TEXT,                     -- a person's answer, for the next step
  cost_usd     REAL NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  ended_at     BIGINT
);

CREATE TABLE run_plans (
  run_id     TEXT NOT NULL,
  version    INTEGER NOT NULL,
  source     TEXT NOT NULL,              -- planner | revision | fixes
  plan       TEXT NOT NULL,              -- JSON: {summary, tasks, gates}
  created_at BIGINT NOT NULL,
  PRIMARY KEY (run_id, version)
);

CREATE TABLE run_reviews (
  seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id     TEXT NOT NULL,
  cycle      INTEGER NOT NULL,
  subject    TEXT NOT NULL,              -- plan | code
  verdict    TEXT NOT NULL,              -- approve | changes
  findings   TEXT NOT NULL,              -- JSON list
  created_at BIGINT NOT NULL
);
