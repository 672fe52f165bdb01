-- A cluster of controllers on one database (the cluster mode, PostgreSQL): each attempt
-- carries the node that placed it, and each node renews a lease while it lives. A node
-- recovers its own live attempts when it restarts, and those of a node whose lease ran out;
-- on one box the node is the only one (NULL on the attempts placed before this migration).
ALTER TABLE callback_attempts ADD COLUMN node TEXT;
CREATE INDEX callback_attempts_live_node ON callback_attempts (node) WHERE ended_at IS NULL;

CREATE TABLE node_leases (
  node          TEXT PRIMARY KEY,
  started_at    TEXT NOT NULL,
  heartbeat_at  TEXT NOT NULL,
  -- the node is taken for dead from this instant, unless it renews the lease before
  expires_at    TEXT NOT NULL
);
