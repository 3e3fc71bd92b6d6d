-- Work orders: an attempt at a run's task that a worker on any host takes (orchestrate worker),
-- runs in a worktree of the task branch fetched from the run's git remote, and settles with the
-- commit it pushed. claims counts the claims: a settle names its claim, so a host that lost the
-- order (its lease ran out) cannot settle it late.
CREATE TABLE work_orders (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  run_id     TEXT,
  task_id    TEXT,
  cli        TEXT NOT NULL,              -- the agent CLI it needs: claude | codex | gemini | command
  role       TEXT,
  spec       TEXT NOT NULL,              -- JSON: the dispatch spec, without its folder
  remote     TEXT NOT NULL,              -- the git URL workers fetch from and push to
  branch     TEXT NOT NULL,              -- the task branch
  base       TEXT NOT NULL,              -- the commit the engine pushed it at
  state      TEXT NOT NULL,              -- queued | claimed | settled | cancelled
  worker     TEXT,                       -- the worker's agent id while claimed (and after)
  host       TEXT,
  claims     INTEGER NOT NULL DEFAULT 0,
  result     TEXT,                       -- JSON: outcome, process id, log path, the commit pushed
  created_at BIGINT NOT NULL,
  claimed_at BIGINT,
  settled_at BIGINT
);
CREATE INDEX work_orders_state ON work_orders (state, seq);
CREATE INDEX work_orders_worker ON work_orders (worker) WHERE state = 'claimed';
