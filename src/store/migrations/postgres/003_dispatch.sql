-- Dispatches, input to waiting agents, central permission approvals and the runner's settings.
-- Keep this file and ../sqlite/003_dispatch.sql describing the same columns.
ALTER TABLE processes ADD COLUMN spec TEXT;              -- JSON: what was asked (agent, prompt, cwd, model, …), to retry it whole
ALTER TABLE processes ADD COLUMN output TEXT;            -- the agent's final answer (bounded)
ALTER TABLE processes ADD COLUMN created_by TEXT;        -- the agent (id) that dispatched it, if any
ALTER TABLE processes ADD COLUMN stop_requested_at BIGINT;
ALTER TABLE processes ADD COLUMN awaiting_input INTEGER NOT NULL DEFAULT 0;

CREATE TABLE process_inputs (
  seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  process_id   TEXT NOT NULL,
  text         TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX process_inputs_pending ON process_inputs (process_id, delivered_at);

CREATE TABLE approvals (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  agent       TEXT,                 -- who asks (agent id or configured name), if known
  role        TEXT,
  tool_name   TEXT NOT NULL,
  input       TEXT NOT NULL,        -- JSON
  tool_use_id TEXT,
  state       TEXT NOT NULL,        -- pending | allowed | denied
  decided_by  TEXT,                 -- a person's name, 'policy', or 'timeout'
  reason      TEXT,
  created_at  BIGINT NOT NULL,
  decided_at  BIGINT
);
CREATE INDEX approvals_state ON approvals (state, seq);

CREATE TABLE runner_config (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,         -- JSON
  updated_at BIGINT NOT NULL
);
