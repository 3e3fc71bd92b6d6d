-- The coordination board: agents, tasks, messages, shared context, the leader, the event log.
-- Times are milliseconds since the epoch. JSON is stored as text. Keep this file and
-- ../postgres/001_board.sql describing the same tables and columns (a test compares them).

CREATE TABLE agents (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  name             TEXT NOT NULL,
  role             TEXT NOT NULL,
  kind             TEXT NOT NULL,
  work_dir         TEXT,
  metadata         TEXT NOT NULL DEFAULT '{}',
  status           TEXT NOT NULL,            -- online | offline
  current_task     TEXT,
  registered_at    BIGINT NOT NULL,
  last_seen_at     BIGINT NOT NULL,
  lease_ttl_ms     BIGINT NOT NULL,
  lease_expires_at BIGINT NOT NULL,
  offline_reason   TEXT
);
CREATE UNIQUE INDEX agents_online_name ON agents (name) WHERE status = 'online';
CREATE INDEX agents_lease ON agents (status, lease_expires_at);
CREATE INDEX agents_name ON agents (name, seq);

CREATE TABLE tasks (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  title        TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL,
  priority     INTEGER NOT NULL,
  role         TEXT,
  assignee     TEXT,
  depends_on   TEXT NOT NULL DEFAULT '[]', -- JSON list, fixed at push; task_deps holds the same edges
  claimed_by   TEXT,
  run_id       TEXT,
  labels       TEXT NOT NULL DEFAULT '[]',
  metadata     TEXT NOT NULL DEFAULT '{}',
  result       TEXT,
  reason       TEXT,
  retry_count  INTEGER NOT NULL DEFAULT 0,
  max_retries  INTEGER NOT NULL,
  created_by   TEXT,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  claimed_at   BIGINT,
  started_at   BIGINT,
  finished_at  BIGINT
);
-- The claim reads pending tasks in (priority, seq) order: this index holds exactly those rows.
CREATE INDEX tasks_pending ON tasks (priority, seq) WHERE status = 'pending';
CREATE INDEX tasks_run ON tasks (run_id, seq);

CREATE TABLE task_deps (
  task_id    TEXT NOT NULL,
  depends_on TEXT NOT NULL,
  PRIMARY KEY (task_id, depends_on)
);
CREATE INDEX task_deps_reverse ON task_deps (depends_on);

CREATE TABLE messages (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL,                  -- direct | broadcast | help
  from_agent TEXT,
  to_agent   TEXT,                           -- NULL for broadcast and help
  content    TEXT NOT NULL,
  context    TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX messages_inbox ON messages (to_agent, seq);

CREATE TABLE message_receipts (
  message_id TEXT NOT NULL,
  agent_id   TEXT NOT NULL,
  state      TEXT NOT NULL,                  -- read | dismissed
  at         BIGINT NOT NULL,
  PRIMARY KEY (message_id, agent_id)
);

CREATE TABLE context (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  version    BIGINT NOT NULL,
  updated_by TEXT,
  updated_at BIGINT NOT NULL
);

CREATE TABLE leader (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  agent_id         TEXT,
  term             BIGINT NOT NULL,
  lease_expires_at BIGINT NOT NULL,
  acquired_at      BIGINT
);
INSERT INTO leader (id, agent_id, term, lease_expires_at, acquired_at) VALUES (1, NULL, 0, 0, NULL);

CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  at      BIGINT NOT NULL,
  type    TEXT NOT NULL,
  subject TEXT,
  actor   TEXT,
  data    TEXT NOT NULL DEFAULT '{}'
);

-- A claim is one statement (see board/tasks.ts); SQLite has no INSERT inside WITH, so the
-- claim's event is written here, in the same statement. PostgreSQL does it with a CTE.
CREATE TRIGGER task_claimed_event AFTER UPDATE OF status ON tasks
  WHEN NEW.status = 'claimed' AND OLD.status = 'pending'
BEGIN
  INSERT INTO events (at, type, subject, actor, data)
  VALUES (NEW.claimed_at, 'task.claimed', NEW.id, NEW.claimed_by, json_object('title', NEW.title));
END;
