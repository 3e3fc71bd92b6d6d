-- The usage windows an agent process reported (its CLI's limit events, session file or refusal
-- text): a JSON list of {name, used, resets_at, source}, the latest figure of each window.
ALTER TABLE processes ADD COLUMN windows TEXT;
