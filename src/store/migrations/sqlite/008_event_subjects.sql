-- The live views read one task's or one run's history (its attempts, gates, merges) from the
-- event log: by subject, not by scanning the whole log.
CREATE INDEX events_subject ON events (subject, id);
