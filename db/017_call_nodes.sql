-- A cluster of controllers on one database: each call carries the node that handled it, so
-- that a controller starting again closes the calls it left open ("lost") and never those of
-- another node, which are still going on. NULL on one box and on the calls before this
-- migration (one box's controller is the only one: its recovery closes every open call).
ALTER TABLE calls ADD COLUMN node TEXT;
CREATE INDEX calls_open_node ON calls (node) WHERE ended_at IS NULL;
