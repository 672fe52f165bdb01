-- Operators: the people whose SIP phones ring (switchboard, staff, internal units).
-- SIP passwords are never stored: only the digest HA1 = md5(id:realm:password), which is
-- what Asterisk needs (auth_type=md5) and what cannot be replayed elsewhere.
CREATE TABLE operators (
  id          TEXT PRIMARY KEY,
  dp          TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('switchboard', 'staff', 'unit')),
  unit        TEXT,
  ha1         TEXT NOT NULL,
  paused      INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  CHECK ((role = 'unit') = (unit IS NOT NULL))
);
CREATE INDEX operators_dp ON operators (dp, role);

-- One-off facts about this database, e.g. whether the demo operators were seeded.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
