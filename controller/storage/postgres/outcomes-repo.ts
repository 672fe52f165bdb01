// SQL for outcomes on PostgreSQL (the cluster mode): the twin of storage/outcomes-repo.ts.
import type { OutcomeRecord, OutcomeRow } from '../outcomes-repo';
import type { Queryable } from './connection';

export class PgOutcomesRepo {
  async add(db: Queryable, r: OutcomeRecord): Promise<number> {
    const row = await db.query<{ id: number }>(
      `INSERT INTO outcomes (dp, number, call_id, callback_id, attempt_id, kind, official, unit, code, label, by_default, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
      [r.dp, r.number, r.callId ?? null, r.callbackId ?? null, r.attemptId ?? null, r.kind, r.official, r.unit ?? null, r.code, r.label, r.byDefault ? 1 : 0, r.at.toISOString()],
    );
    return row.rows[0]!.id;
  }

  async byNumber(db: Queryable, number: string): Promise<OutcomeRow[]> {
    return (await db.query<OutcomeRow>(`SELECT ${COLUMNS} FROM outcomes WHERE number = $1 ORDER BY at, id`, [number])).rows;
  }
}

const COLUMNS = `id, dp, number, call_id AS "callId", callback_id AS "callbackId", attempt_id AS "attemptId", kind, official, unit, code, label,
  by_default AS "byDefault", at, detail, recorded_via AS "recordedVia", recorded_at AS "recordedAt"`;
