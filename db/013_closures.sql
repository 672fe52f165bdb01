-- Extraordinary closures of a directorate (ivrctl dp close|open, the console): from starts_at
-- to ends_at (or until reopened early) callers hear the closure message instead of the menu,
-- with the callback offer for the next open window when offer_callback is set, and no
-- callback is placed. The messages are spoken texts (synthesized like the other prompts).
CREATE TABLE closures (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  dp             TEXT NOT NULL,
  starts_at      TEXT NOT NULL,
  ends_at        TEXT NOT NULL,
  message_it     TEXT,                              -- NULL: the generated "closed until ..." text
  message_en     TEXT,
  offer_callback INTEGER NOT NULL DEFAULT 1 CHECK (offer_callback IN (0, 1)),
  created_by     TEXT NOT NULL,                     -- "ivrctl:<system user>" or "console:<user>"
  created_at     TEXT NOT NULL,
  reopened_by    TEXT,                              -- ended early (dp open, or replaced by a new closure)
  reopened_at    TEXT,
  CHECK (ends_at > starts_at)
);
CREATE INDEX closures_live ON closures (dp, ends_at) WHERE reopened_at IS NULL;
