-- One row per inbound call handled by the controller: the start of the per-caller record
-- ("profilo utente"). Events of the call are added by later migrations.
CREATE TABLE calls (
  id            TEXT PRIMARY KEY,          -- the caller's channel id
  dp            TEXT NOT NULL,
  caller        TEXT,                      -- ANI as received, NULL when withheld
  dialed        TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  answered_at   TEXT,
  ended_at      TEXT,
  hangup_cause  INTEGER,
  end_reason    TEXT                       -- completed | caller_hangup | error | lost
);
CREATE INDEX calls_caller ON calls (caller, started_at);
CREATE INDEX calls_dp ON calls (dp, started_at);
