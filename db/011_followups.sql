-- Follow-up items: a case an official marked "needs follow-up" (operator outcome 4, unit
-- intervention 2) stays open on its directorate's (or unit's) worklist until somebody closes
-- it with what was done; the outcome goes into the caller's profile.
CREATE TABLE followups (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  dp           TEXT NOT NULL,
  unit         TEXT,                               -- NULL: the operators' worklist
  number       TEXT,                               -- the caller's number (profile key; masked by retention)
  call_id      TEXT REFERENCES calls (id),
  callback_id  INTEGER REFERENCES callbacks (id),
  opened_by    TEXT NOT NULL,                      -- the official who keyed the code
  opened_at    TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  closed_by    TEXT,
  closed_at    TEXT,
  outcome      TEXT                                -- what was done (free text; emptied by retention)
);
CREATE INDEX followups_open ON followups (dp, status, id);
CREATE INDEX followups_number ON followups (number, opened_at);
