// SQL for followups on PostgreSQL (the cluster mode): the twin of storage/followups-repo.ts.
import type { FollowupOpening } from '../call-records';
import type { FollowupRow } from '../followups-repo';
import type { Queryable } from './connection';

const SELECT = `SELECT id, dp, unit, number, call_id AS "callId", callback_id AS "callbackId", opened_by AS "openedBy", opened_at AS "openedAt",
  status, closed_by AS "closedBy", closed_at AS "closedAt", outcome FROM followups`;

export class PgFollowupsRepo {
  async open(db: Queryable, f: FollowupOpening): Promise<number> {
    const row = await db.query<{ id: number }>(
      'INSERT INTO followups (dp, unit, number, call_id, callback_id, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
      [f.dp, f.unit, f.number, f.callId, f.callbackId, f.openedBy, f.at.toISOString()],
    );
    return row.rows[0]!.id;
  }

  async get(db: Queryable, id: number): Promise<FollowupRow | undefined> {
    return (await db.query<FollowupRow>(`${SELECT} WHERE id = $1`, [id])).rows[0];
  }

  /** Oldest first; `unit` null means the operators' worklist, undefined any (as storage/followups-repo.ts). */
  async list(db: Queryable, f: { dp?: string | undefined; unit?: string | null | undefined; status?: 'open' | 'closed' | undefined } = {}): Promise<FollowupRow[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (f.dp) where.push(`dp = $${params.push(f.dp)}`);
    if (f.unit === null) where.push('unit IS NULL');
    else if (f.unit !== undefined) where.push(`unit = $${params.push(f.unit)}`);
    if (f.status) where.push(`status = $${params.push(f.status)}`);
    return (await db.query<FollowupRow>(`${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`, params)).rows;
  }

  /** open -> closed with what was done; false when it was not open. */
  async close(db: Queryable, id: number, by: string, outcome: string, at: Date): Promise<boolean> {
    const r = await db.query("UPDATE followups SET status = 'closed', closed_by = $1, closed_at = $2, outcome = $3 WHERE id = $4 AND status = 'open'", [
      by,
      at.toISOString(),
      outcome,
      id,
    ]);
    return r.rowCount === 1;
  }

  async byNumber(db: Queryable, number: string): Promise<FollowupRow[]> {
    return (await db.query<FollowupRow>(`${SELECT} WHERE number = $1 ORDER BY opened_at, id`, [number])).rows;
  }
}
