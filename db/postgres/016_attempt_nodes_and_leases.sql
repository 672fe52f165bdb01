-- PostgreSQL twin of db/016_attempt_nodes_and_leases.sql: a cluster of controllers on one
-- database: each attempt carries the node that placed it, and each node renews a lease
-- while it lives. A node recovers its own live attempts when it restarts, and those of a
-- node whose lease ran out.
ALTER TABLE callback_attempts ADD COLUMN node text;
CREATE INDEX callback_attempts_live_node ON callback_attempts (node) WHERE ended_at IS NULL;

CREATE TABLE node_leases (
  node          text PRIMARY KEY,
  started_at    timestamptz NOT NULL,
  heartbeat_at  timestamptz NOT NULL,
  -- the node is taken for dead from this instant, unless it renews the lease before
  expires_at    timestamptz NOT NULL
);
