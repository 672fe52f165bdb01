-- Callback requests. A request is committed here before the caller hears it is registered.
-- At most one live request (pending or being dialled) per number per directorate: enforced
-- by the partial unique index, not only by the code that checks it first.
CREATE TABLE callbacks (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  dp            TEXT NOT NULL,
  number        TEXT NOT NULL,
  language      TEXT NOT NULL CHECK (language IN ('it', 'en')),
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
  closed_reason TEXT
);
CREATE UNIQUE INDEX callbacks_one_live ON callbacks (dp, number) WHERE status IN ('pending', 'dialing');
CREATE INDEX callbacks_queue ON callbacks (dp, status, id);
CREATE INDEX callbacks_number ON callbacks (number, requested_at);

-- What happened in each call, in order: the raw material of the caller's profile.
CREATE TABLE call_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id  TEXT NOT NULL REFERENCES calls (id),
  at       TEXT NOT NULL,
  type     TEXT NOT NULL,
  data     TEXT            -- JSON
);
CREATE INDEX call_events_call ON call_events (call_id, id);

ALTER TABLE calls ADD COLUMN language TEXT NOT NULL DEFAULT 'it';
ALTER TABLE calls ADD COLUMN menu_path TEXT;
ALTER TABLE calls ADD COLUMN answered_by TEXT;       -- operator id, when an operator answered
ALTER TABLE calls ADD COLUMN ring_count INTEGER;     -- rings heard, when the group rang
ALTER TABLE calls ADD COLUMN callback_id INTEGER REFERENCES callbacks (id);
