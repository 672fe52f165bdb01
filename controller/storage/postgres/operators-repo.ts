// SQL for the operators table on PostgreSQL (the cluster mode): the twin of
// storage/operators-repo.ts. The shared table is the roster; each node keeps its own copy in
// step for its Asterisk (operators/shared-operators.ts).
import { toOperatorRow, type OperatorRow, type RawOperatorRow } from '../operators-repo';
import type { OperatorRole } from '../../config/schema';
import type { Queryable } from './connection';

const UNIQUE_VIOLATION = '23505';

export class PgOperatorsRepo {
  async list(db: Queryable): Promise<OperatorRow[]> {
    return (await db.query<RawOperatorRow>('SELECT * FROM operators ORDER BY dp, role, id')).rows.map(toOperatorRow);
  }

  async get(db: Queryable, id: string): Promise<OperatorRow | undefined> {
    const r = (await db.query<RawOperatorRow>('SELECT * FROM operators WHERE id = $1', [id])).rows[0];
    return r && toOperatorRow(r);
  }

  /** false when the id is taken */
  async insert(db: Queryable, op: { id: string; dp: string; role: OperatorRole; unit: string | null; ha1: string }, at: Date): Promise<boolean> {
    try {
      await db.query('INSERT INTO operators (id, dp, role, unit, ha1, paused, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)', [
        op.id,
        op.dp,
        op.role,
        op.unit,
        op.ha1,
        at.toISOString(),
      ]);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION && (err as { constraint?: string }).constraint === 'operators_pkey') return false;
      throw err;
    }
  }

  async remove(db: Queryable, id: string): Promise<boolean> {
    return (await db.query('DELETE FROM operators WHERE id = $1', [id])).rowCount === 1;
  }

  /** false when there is no such operator; paused_at kept when an already paused station is paused again */
  async setPaused(db: Queryable, id: string, paused: boolean, at: Date): Promise<boolean> {
    const r = await db.query(
      `UPDATE operators SET paused = $1::smallint, paused_at = CASE WHEN $1::smallint = 1 THEN COALESCE(CASE WHEN paused = 1 THEN paused_at END, $2::timestamptz) END,
         updated_at = $2::timestamptz WHERE id = $3`,
      [paused ? 1 : 0, at.toISOString(), id],
    );
    return r.rowCount === 1;
  }
}
