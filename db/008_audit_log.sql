-- Who looked at whose data, and when: every view of a caller's profile in the console, every
-- refused attempt, every note written. The agency must be able to answer that question;
-- supervisors read it in the console (/console/audit) and with `ivrctl audit`. The subject
-- (the caller's number) is masked by retention like every other record of the person.
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        TEXT NOT NULL,
  username  TEXT NOT NULL,
  role      TEXT NOT NULL,
  action    TEXT NOT NULL CHECK (action IN ('profile_view', 'profile_refused', 'note_added')),
  subject   TEXT,
  detail    TEXT
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_user ON audit_log (username, id);
