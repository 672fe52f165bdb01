// SQL for followups on PostgreSQL (the cluster mode): the twin of storage/followups-repo.ts.
import type { FollowupOpening } from '../call-records';
import type { FollowupRow } from '../followups-repo';
import type { Queryable } from './connection';

export class PgFollowupsRepo {
  async open(db: Queryable, f: FollowupOpening): Promise<number> {
    const row = await db.query<{ id: number }>(
      'INSERT INTO followups (dp, unit, number, call_id, callback_id, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
      [f.dp, f.unit, f.number, f.callId, f.callbackId, f.openedBy, f.at.toISOString()],
    );
    return row.rows[0]!.id;
  }

  async byNumber(db: Queryable, number: string): Promise<FollowupRow[]> {
    return (
      await db.query<FollowupRow>(
        `SELECT id, dp, unit, number, call_id AS "callId", callback_id AS "callbackId", opened_by AS "openedBy", opened_at AS "openedAt",
           status, closed_by AS "closedBy", closed_at AS "closedAt", outcome FROM followups WHERE number = $1 ORDER BY opened_at, id`,
        [number],
      )
    ).rows;
  }
}
