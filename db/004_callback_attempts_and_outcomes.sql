-- Each try at calling a request back. A row is written (ended_at NULL) before the first
-- originate of the attempt, and the partial unique index makes a second live attempt for
-- the same request impossible, whatever the code does: one request is never dialled twice
-- at the same time. The channel ids are chosen before the originate, so a restarted
-- controller can find (and hang up) what a dead one left ringing.
CREATE TABLE callback_attempts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  callback_id      INTEGER NOT NULL REFERENCES callbacks (id),
  operator         TEXT NOT NULL,
  -- operator: ringing / whispering the operator; caller: the caller is being dialled;
  -- talking: caller and operator bridged; ended: closed (see outcome)
  stage            TEXT NOT NULL CHECK (stage IN ('operator', 'caller', 'talking', 'ended')),
  -- the caller-side attempt number (callbacks.attempts after this one dialled the caller)
  caller_attempt   INTEGER,
  operator_channel TEXT NOT NULL,
  caller_channel   TEXT,
  started_at       TEXT NOT NULL,
  caller_dialed_at TEXT,
  connected_at     TEXT,
  ended_at         TEXT,
  outcome          TEXT CHECK (outcome IN ('connected', 'no_answer', 'busy', 'rejected', 'unreachable', 'failed',
                                           'no_confirmation', 'operator_passed', 'operator_no_answer',
                                           'operator_hangup', 'interrupted', 'cancelled')),
  cause            INTEGER
);
CREATE UNIQUE INDEX callback_attempts_one_live ON callback_attempts (callback_id) WHERE ended_at IS NULL;
CREATE INDEX callback_attempts_callback ON callback_attempts (callback_id, id);

ALTER TABLE callbacks ADD COLUMN last_outcome TEXT;

-- What the officials recorded at the end of a conversation, and each transfer to an internal
-- unit: the "basic information given" and "internal unit's intervention" of the profile.
CREATE TABLE outcomes (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  dp           TEXT NOT NULL,
  number       TEXT,                                   -- the caller's number, key of the profile
  call_id      TEXT REFERENCES calls (id),             -- inbound call answered by an operator
  callback_id  INTEGER REFERENCES callbacks (id),      -- or the callback that connected
  attempt_id   INTEGER REFERENCES callback_attempts (id),
  kind         TEXT NOT NULL CHECK (kind IN ('operator', 'unit', 'transfer')),
  official     TEXT NOT NULL,                          -- operator id
  unit         TEXT,
  code         TEXT NOT NULL,
  label        TEXT NOT NULL,
  by_default   INTEGER NOT NULL DEFAULT 0,             -- 1: nobody keyed it, the default was taken
  at           TEXT NOT NULL
);
CREATE INDEX outcomes_number ON outcomes (number, at);
CREATE INDEX outcomes_callback ON outcomes (callback_id);
