-- foreign_keys: off
-- A callback keeps the language its caller chose, now also German and French. SQLite cannot
-- change a CHECK, so the table is rebuilt the way SQLite documents (new table, copy, drop,
-- rename), with its columns, ids and indexes as they were; calls, attempts, outcomes, notes
-- and follow-ups keep referring to it by name. The runner turns foreign keys off around this
-- migration and checks every reference before it commits.
CREATE TABLE callbacks_rebuilt (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  dp            TEXT NOT NULL,
  number        TEXT NOT NULL,
  language      TEXT NOT NULL CHECK (language IN ('it', 'en', 'de', 'fr')),
  status        TEXT NOT NULL CHECK (status IN ('pending', 'dialing', 'done', 'failed', 'cancelled', 'expired')),
  requested_at  TEXT NOT NULL,
  -- the callback is placed from this instant (the next service window when booked closed)
  due_at        TEXT NOT NULL,
  expires_at    TEXT NOT NULL,
  call_id       TEXT REFERENCES calls (id),
  menu_path     TEXT,
  ring_count    INTEGER,
  attempts      INTEGER NOT NULL DEFAULT 0,
  updated_at    TEXT NOT NULL,
  closed_reason TEXT,
  last_outcome  TEXT,
  carried_over  INTEGER NOT NULL DEFAULT 0,
  callback_group TEXT NOT NULL DEFAULT 'operators'
);
INSERT INTO callbacks_rebuilt (id, dp, number, language, status, requested_at, due_at, expires_at, call_id, menu_path, ring_count,
                               attempts, updated_at, closed_reason, last_outcome, carried_over, callback_group)
  SELECT id, dp, number, language, status, requested_at, due_at, expires_at, call_id, menu_path, ring_count,
         attempts, updated_at, closed_reason, last_outcome, carried_over, callback_group
  FROM callbacks;
-- an id is never given twice, even the ids of requests retention deleted: the counter is kept
CREATE TEMP TABLE callbacks_counter AS SELECT seq FROM sqlite_sequence WHERE name = 'callbacks';
DROP TABLE callbacks;
ALTER TABLE callbacks_rebuilt RENAME TO callbacks;
DELETE FROM sqlite_sequence WHERE name = 'callbacks';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'callbacks', MAX(COALESCE((SELECT seq FROM callbacks_counter), 0), COALESCE((SELECT MAX(id) FROM callbacks), 0));
DROP TABLE callbacks_counter;

CREATE UNIQUE INDEX callbacks_one_live ON callbacks (dp, number) WHERE status IN ('pending', 'dialing');
CREATE INDEX callbacks_queue ON callbacks (dp, status, id);
CREATE INDEX callbacks_number ON callbacks (number, requested_at);
CREATE INDEX callbacks_dp_requested ON callbacks (dp, requested_at);
CREATE INDEX callbacks_pending_queue ON callbacks (dp, requested_at, id) WHERE status = 'pending';
CREATE INDEX callbacks_pending_due ON callbacks (due_at) WHERE status = 'pending';
CREATE INDEX callbacks_pending_expiry ON callbacks (expires_at) WHERE status = 'pending';
CREATE INDEX callbacks_call ON callbacks (call_id);
