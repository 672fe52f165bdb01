-- PostgreSQL twin of db/007_callbacks_by_day_index.sql: indexes for the daily capacity check
-- and the dispatcher's pending-queue lookups.
-- The daily capacity check of a booking counts a directorate's requests since the start of
-- the day. Without this index it walked every request the directorate ever had: 83 ms per
-- booking with a million historic rows (make bench, database), against 0.1 ms with it.
CREATE INDEX callbacks_dp_requested ON callbacks (dp, requested_at);

-- The dispatcher's queries all ask for pending requests (the next to dial, the next due
-- time, those past their validity, the counts per directorate). Pending requests are a
-- handful among years of closed ones: indexes over the pending rows alone keep these
-- lookups proportional to the queue, not to the history.
CREATE INDEX callbacks_pending_queue ON callbacks (dp, requested_at, id) WHERE status = 'pending';
CREATE INDEX callbacks_pending_due ON callbacks (due_at) WHERE status = 'pending';
CREATE INDEX callbacks_pending_expiry ON callbacks (expires_at) WHERE status = 'pending';
