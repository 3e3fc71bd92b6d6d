-- The usage windows of each CLI account (a login, an API key, a CODEX_HOME), the latest reading of
-- each window from any source: a run's stream or session file, a refusal, the usage endpoint.
-- Routing picks the allowed CLI whose account has the most headroom; a refusal marks a window
-- full until its reset.
CREATE TABLE account_windows (
  cli         TEXT NOT NULL,
  account     TEXT NOT NULL,
  name        TEXT NOT NULL,             -- the window: five_hour, seven_day, primary, per-day, refused …
  used        DOUBLE PRECISION,          -- 0..1; NULL: the source named the window without a figure
  resets_at   BIGINT,                    -- ms since the epoch; NULL: not said
  source      TEXT NOT NULL,
  observed_at BIGINT NOT NULL,
  PRIMARY KEY (cli, account, name)
);

-- A run's tokens beside its dollars (a flat-rate plan has no meaningful dollars): what its
-- agents' CLIs reported, summed — new input, output, and the cache's writes and reads.
ALTER TABLE runs ADD COLUMN tokens_input BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN tokens_output BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN tokens_cache_write BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN tokens_cache_read BIGINT NOT NULL DEFAULT 0;
