-- PostgreSQL twin of db/001_schema_version_and_operators.sql: operators and meta.
-- Operators: the people whose SIP phones ring (switchboard, staff, internal units).
-- SIP passwords are never stored: only the digest HA1 = md5(id:realm:password), which is
-- what Asterisk needs (auth_type=md5) and what cannot be replayed elsewhere.
-- schema_version is not created here: as with SQLite, the migration runner creates it
-- (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL).
-- CHECK constraints are named so that later migrations can drop and re-add them by name.
CREATE TABLE operators (
  id          text PRIMARY KEY,
  dp          text NOT NULL,
  role        text NOT NULL CONSTRAINT operators_role_check CHECK (role IN ('switchboard', 'staff', 'unit')),
  unit        text,
  ha1         text NOT NULL,
  -- 0/1 like in SQLite (not boolean), so the same values work on both engines
  paused      smallint NOT NULL DEFAULT 0 CONSTRAINT operators_paused_check CHECK (paused IN (0, 1)),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  CONSTRAINT operators_unit_check CHECK ((role = 'unit') = (unit IS NOT NULL))
);
CREATE INDEX operators_dp ON operators (dp, role);

-- One-off facts about this database, e.g. whether the demo operators were seeded.
CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
