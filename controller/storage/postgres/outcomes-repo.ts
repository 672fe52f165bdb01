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

  /** Whether the official keyed an outcome about this number (the console's least privilege). */
  async keyedBy(db: Queryable, official: string, number: string): Promise<boolean> {
    return (await db.query('SELECT 1 FROM outcomes WHERE number = $1 AND official = $2 LIMIT 1', [number, official])).rows.length > 0;
  }

  async get(db: Queryable, id: number): Promise<OutcomeRow | undefined> {
    return (await db.query<OutcomeRow>(`SELECT ${COLUMNS} FROM outcomes WHERE id = $1`, [id])).rows[0];
  }

  /** An internal unit's official's latest interventions, newest first (their console station). */
  async interventionsOf(db: Queryable, official: string, limit = 10): Promise<OutcomeRow[]> {
    return (await db.query<OutcomeRow>(`SELECT ${COLUMNS} FROM outcomes WHERE official = $1 AND kind = 'unit' ORDER BY id DESC LIMIT $2`, [official, limit])).rows;
  }

  /** The official records an intervention from the console (as storage/outcomes-repo.ts). */
  async recordIntervention(db: Queryable, id: number, official: string, code: string, label: string, detail: string | null, at: Date): Promise<boolean> {
    const r = await db.query(
      "UPDATE outcomes SET code = $1, label = $2, by_default = 0, detail = $3, recorded_via = 'console', recorded_at = $4 WHERE id = $5 AND official = $6 AND kind = 'unit'",
      [code, label, detail, at.toISOString(), id, official],
    );
    return r.rowCount === 1;
  }

  async byNumber(db: Queryable, number: string): Promise<OutcomeRow[]> {
    return (await db.query<OutcomeRow>(`SELECT ${COLUMNS} FROM outcomes WHERE number = $1 ORDER BY at, id`, [number])).rows;
  }
}

const COLUMNS = `id, dp, number, call_id AS "callId", callback_id AS "callbackId", attempt_id AS "attemptId", kind, official, unit, code, label,
  by_default AS "byDefault", at, detail, recorded_via AS "recordedVia", recorded_at AS "recordedAt"`;
