// SQL for followups on PostgreSQL (the cluster mode): the twin of storage/followups-repo.ts.
import type { FollowupOpening } from '../call-records';
import type { Queryable } from './connection';

export class PgFollowupsRepo {
  async open(db: Queryable, f: FollowupOpening): Promise<number> {
    const row = await db.query<{ id: number }>(
      'INSERT INTO followups (dp, unit, number, call_id, callback_id, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
      [f.dp, f.unit, f.number, f.callId, f.callbackId, f.openedBy, f.at.toISOString()],
    );
    return row.rows[0]!.id;
  }
}
