-- PostgreSQL twin of db/017_call_nodes.sql: each call carries the node that handled it, so
-- that a controller starting again closes the calls it left open ("lost") and never those of
-- another node, which are still going on.
ALTER TABLE calls ADD COLUMN node text;
CREATE INDEX calls_open_node ON calls (node) WHERE ended_at IS NULL;
