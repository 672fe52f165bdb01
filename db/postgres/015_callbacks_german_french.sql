-- PostgreSQL twin of db/015_callbacks_german_french.sql: a callback's language may now also be German or French.
-- A callback keeps the language its caller chose, now also German and French. SQLite cannot
-- change a CHECK, so there the table is rebuilt; PostgreSQL can, so the CHECK named in 003 is
-- replaced in place: the table, its ids, its identity counter, its indexes and every
-- reference to it (calls, attempts, outcomes, notes, follow-ups) stay as they are. Existing
-- rows already satisfy the wider CHECK, so adding it cannot fail.
ALTER TABLE callbacks
  DROP CONSTRAINT callbacks_language_check,
  ADD CONSTRAINT callbacks_language_check CHECK (language IN ('it', 'en', 'de', 'fr'));
