-- PostgreSQL twin of db/014_intervention_details.sql: the internal unit's intervention as it happened.
-- The official's own words (detail) and where the code came from, the phone (keyed at the
-- end of the call) or the console (the station's intervention form: e.g. after hanging up
-- without keying one, the "not recorded" becomes what the official records, with when).
-- The detail is personal data: retention empties it like a note's text.
ALTER TABLE outcomes ADD COLUMN detail text;
ALTER TABLE outcomes ADD COLUMN recorded_via text NOT NULL DEFAULT 'phone'
  CONSTRAINT outcomes_recorded_via_check CHECK (recorded_via IN ('phone', 'console'));
ALTER TABLE outcomes ADD COLUMN recorded_at timestamptz;
