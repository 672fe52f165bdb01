// SQL for node_leases on PostgreSQL: each controller of the cluster renews its lease (its
// heartbeat); one whose lease ran out is taken for dead, and its live attempts are
// recovered by another.
import type { Queryable } from './connection';

export class PgNodeLeasesRepo {
  async renew(db: Queryable, node: string, now: Date, leaseMs: number): Promise<void> {
    await db.query(
      `INSERT INTO node_leases (node, started_at, heartbeat_at, expires_at) VALUES ($1, $2, $2, $3)
       ON CONFLICT (node) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at`,
      [node, now.toISOString(), new Date(now.getTime() + leaseMs).toISOString()],
    );
  }

  /** Every node that ever renewed a lease, by id. */
  async list(db: Queryable): Promise<Array<{ node: string; startedAt: string; heartbeatAt: string; expiresAt: string }>> {
    return (
      await db.query<{ node: string; startedAt: string; heartbeatAt: string; expiresAt: string }>(
        'SELECT node, started_at AS "startedAt", heartbeat_at AS "heartbeatAt", expires_at AS "expiresAt" FROM node_leases ORDER BY node',
      )
    ).rows;
  }

  async alive(db: Queryable, now: Date): Promise<string[]> {
    return (await db.query<{ node: string }>('SELECT node FROM node_leases WHERE expires_at > $1 ORDER BY node', [now.toISOString()])).rows.map((r) => r.node);
  }
}
