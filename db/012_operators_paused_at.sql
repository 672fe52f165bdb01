-- Since when an operator's station is paused (ivrctl, the console or *41 from the phone):
-- the live board shows who paused and since when.
ALTER TABLE operators ADD COLUMN paused_at TEXT;
