-- PostgreSQL twin of db/012_operators_paused_at.sql: since when an operator's station is paused.
-- Paused from ivrctl, the console or *41 from the phone: the live board shows who paused and
-- since when.
ALTER TABLE operators ADD COLUMN paused_at timestamptz;
