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
