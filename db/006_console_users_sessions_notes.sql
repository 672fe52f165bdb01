-- The web console (controller HTTP, /console): its accounts, their sessions, and the notes
-- operators write about a caller (basic information given, free text), kept in the profile.
CREATE TABLE console_users (
  username       TEXT PRIMARY KEY,
  -- scrypt: "scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>"; never the password itself
  password_hash  TEXT NOT NULL,
  role           TEXT NOT NULL CHECK (role IN ('supervisor', 'operator')),
  -- the operator (SIP phone) this account works at; its calls fill the operator view
  operator       TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

CREATE TABLE console_sessions (
  -- SHA-256 of the cookie's value: a copy of the database opens no session
  token_hash  TEXT PRIMARY KEY,
  username    TEXT NOT NULL REFERENCES console_users (username) ON DELETE CASCADE,
  csrf        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (username);

CREATE TABLE notes (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  number       TEXT,                               -- the caller's number, key of the profile
  dp           TEXT,
  call_id      TEXT REFERENCES calls (id),
  callback_id  INTEGER REFERENCES callbacks (id),
  author       TEXT NOT NULL,                      -- console username
  operator     TEXT,                               -- the author's operator id, if any
  -- the basic information given (a topic from the console's list), when the note records one
  info         TEXT,
  text         TEXT NOT NULL,
  at           TEXT NOT NULL
);
CREATE INDEX notes_number ON notes (number, at);
