-- Agent processes the runner started: one row per attempt, from queued to exited.
-- Keep this file and ../sqlite/002_processes.sql describing the same columns.
CREATE TABLE processes (
  seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  kind            TEXT NOT NULL,               -- claude | codex | gemini | command
  argv            TEXT NOT NULL,               -- JSON list, secrets masked
  cwd             TEXT NOT NULL,
  state           TEXT NOT NULL,               -- queued | running | exited
  priority        INTEGER NOT NULL,
  task_id         TEXT,
  attempt         INTEGER NOT NULL,
  host            TEXT NOT NULL,               -- recovery settles only its own machine's processes
  supervisor      TEXT NOT NULL,               -- pid:start-time of the orchestrator process that runs it
  pid             INTEGER,
  pid_start       TEXT,                        -- the kernel's start time of pid: tells a reused pid apart
  outcome         TEXT,
  outcome_message TEXT,
  reset_at        TEXT,
  session_id      TEXT,
  usage           TEXT,
  cost_usd        DOUBLE PRECISION,
  log_path        TEXT,
  queued_at       BIGINT NOT NULL,
  started_at      BIGINT,
  ended_at        BIGINT
);
CREATE INDEX processes_state ON processes (state, seq);
