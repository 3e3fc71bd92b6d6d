-- What the earlier designs kept that the board did not. Design E v0.3's task chains: a task may
-- carry a link (an issue, a PR, a document) and the id of its chain; `task list --chain-id` finds them.
ALTER TABLE tasks ADD COLUMN link TEXT;
ALTER TABLE tasks ADD COLUMN chain_id TEXT;
CREATE INDEX tasks_chain_id ON tasks (chain_id, seq) WHERE chain_id IS NOT NULL;
-- Design A's reminders matched a keyword anywhere in the text; ours match whole words unless a
-- reminder asks for 'substring'.
ALTER TABLE reminders ADD COLUMN match_kind TEXT NOT NULL DEFAULT 'word';
