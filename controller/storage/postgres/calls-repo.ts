// SQL for the calls table on PostgreSQL (the cluster mode): the twin of storage/calls-repo.ts.
// Each call carries the node that handled it, so that a node closes only its own open calls.
import { CALL_FACT_COLUMN, type CallEndReason, type CallFacts, type CallRow, type CallStart } from '../calls-repo';
import type { Queryable } from './connection';

const SELECT = `SELECT id, dp, caller, dialed, started_at AS "startedAt", answered_at AS "answeredAt", ended_at AS "endedAt",
  hangup_cause AS "hangupCause", end_reason AS "endReason", language, menu_path AS "menuPath", answered_by AS "answeredBy",
  ring_count AS "ringCount", callback_id AS "callbackId" FROM calls`;

export class PgCallsRepo {
  async start(db: Queryable, c: CallStart): Promise<void> {
    await db.query('INSERT INTO calls (id, dp, caller, dialed, started_at, node) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING', [
      c.id,
      c.dp,
      c.caller,
      c.dialed,
      c.at.toISOString(),
      c.node ?? null,
    ]);
  }

  async answered(db: Queryable, id: string, at: Date): Promise<void> {
    await db.query('UPDATE calls SET answered_at = $1 WHERE id = $2 AND answered_at IS NULL', [at.toISOString(), id]);
  }

  /** Closes the call once; its directorate when this closed it. */
  async end(db: Queryable, id: string, at: Date, reason: CallEndReason, cause: number | null): Promise<string | undefined> {
    const r = await db.query<{ dp: string }>('UPDATE calls SET ended_at = $1, end_reason = $2, hangup_cause = $3 WHERE id = $4 AND ended_at IS NULL RETURNING dp', [
      at.toISOString(),
      reason,
      cause,
      id,
    ]);
    return r.rows[0]?.dp;
  }

  async update(db: Queryable, id: string, facts: CallFacts): Promise<void> {
    const keys = (Object.keys(facts) as Array<keyof CallFacts>).filter((k) => facts[k] !== undefined);
    if (keys.length === 0) return;
    await db.query(`UPDATE calls SET ${keys.map((k, i) => `${CALL_FACT_COLUMN[k]} = $${i + 1}`).join(', ')} WHERE id = $${keys.length + 1}`, [...keys.map((k) => facts[k]!), id]);
  }

  /** The calls a node left open. */
  async openOf(db: Queryable, node: string): Promise<CallRow[]> {
    return (await db.query<CallRow>(`${SELECT} WHERE ended_at IS NULL AND node = $1 ORDER BY started_at`, [node])).rows;
  }

  async byCaller(db: Queryable, caller: string): Promise<CallRow[]> {
    return (await db.query<CallRow>(`${SELECT} WHERE caller = $1 ORDER BY started_at`, [caller])).rows;
  }

  /** Whether the operator answered a call from this number (the console's least privilege). */
  async handledBy(db: Queryable, operator: string, caller: string): Promise<boolean> {
    return (await db.query('SELECT 1 FROM calls WHERE caller = $1 AND answered_by = $2 LIMIT 1', [caller, operator])).rows.length > 0;
  }

  async lastAnsweredBy(db: Queryable, operator: string): Promise<CallRow | undefined> {
    return (await db.query<CallRow>(`${SELECT} WHERE answered_by = $1 ORDER BY started_at DESC LIMIT 1`, [operator])).rows[0];
  }

  async get(db: Queryable, id: string): Promise<CallRow | undefined> {
    return (await db.query<CallRow>(`${SELECT} WHERE id = $1`, [id])).rows[0];
  }
}
