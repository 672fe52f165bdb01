-- Scheduled jobs (end-of-window carry-over, daily report, nightly backup, retention) record
-- every run here: `ivrctl status` shows the last ones, and the partial unique index is the
-- lock that keeps two instances of a job (the controller's schedule and a sysadmin's
-- `ivrctl jobs run` / `db purge`) from ever running at once.
CREATE TABLE job_runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  job         TEXT NOT NULL,
  trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  -- the instant the run is for: the cron slot, or the time a sysadmin asked for it
  slot        TEXT NOT NULL,
  host        TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  started_at  TEXT NOT NULL,
  ended_at    TEXT,
  status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
  detail      TEXT            -- JSON summary of what the run did, or the error
);
CREATE UNIQUE INDEX job_runs_one_running ON job_runs (job) WHERE status = 'running';
CREATE INDEX job_runs_job ON job_runs (job, id);

-- times a request was moved to the next service window because the window closed first
ALTER TABLE callbacks ADD COLUMN carried_over INTEGER NOT NULL DEFAULT 0;
