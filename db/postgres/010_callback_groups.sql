-- PostgreSQL twin of db/010_callback_groups.sql: who a request is for.
-- The directorate's operators (switchboard or staff), or an office (internal unit) the caller
-- chose in the menu: 'operators' or 'unit:<unit id>'. An office's requests are placed by
-- that unit's officials.
ALTER TABLE callbacks ADD COLUMN callback_group text NOT NULL DEFAULT 'operators';
