-- PostgreSQL twin of db/002_calls.sql: one row per inbound call handled by the controller.
-- The start of the per-caller record ("profilo utente"). Events of the call are added by
-- later migrations.
CREATE TABLE calls (
  id            text PRIMARY KEY,          -- the caller's channel id
  dp            text NOT NULL,
  caller        text,                      -- ANI as received, NULL when withheld
  dialed        text NOT NULL,
  started_at    timestamptz NOT NULL,
  answered_at   timestamptz,
  ended_at      timestamptz,
  hangup_cause  integer,
  end_reason    text                       -- completed | caller_hangup | error | lost
);
CREATE INDEX calls_caller ON calls (caller, started_at);
CREATE INDEX calls_dp ON calls (dp, started_at);
