// SQL for node_leases: each controller of a cluster renews its lease (its heartbeat); one
// whose lease ran out is taken for dead, and its live attempts are recovered by another.
import type { Db } from './database';

export class NodeLeasesRepo {
  constructor(private readonly db: Db) {}

  /** The node is alive until now + leaseMs. */
  renew(node: string, now: Date, leaseMs: number): void {
    const at = now.toISOString();
    this.db
      .prepare(
        `INSERT INTO node_leases (node, started_at, heartbeat_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (node) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`,
      )
      .run(node, at, at, new Date(now.getTime() + leaseMs).toISOString());
  }

  alive(now: Date): string[] {
    return (this.db.prepare('SELECT node FROM node_leases WHERE expires_at > ? ORDER BY node').all(now.toISOString()) as Array<{ node: string }>).map((r) => r.node);
  }
}
