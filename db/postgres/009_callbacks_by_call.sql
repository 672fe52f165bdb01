-- PostgreSQL twin of db/009_callbacks_by_call.sql: the requests made by a call.
-- The bookings a calling number made today (callback.maxPerCallerPerDay): one calling number
-- must not book callbacks to many different numbers (the agency would call strangers). The
-- count joins the caller's calls to the requests they made.
CREATE INDEX callbacks_call ON callbacks (call_id);
