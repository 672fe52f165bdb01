// SQL for callback_attempts on PostgreSQL (the cluster mode): one row per try at calling a
// request back, carrying the node that placed it; the same rules as
// storage/callback-attempts-repo.ts.
import type { AttemptRow } from '../callback-attempts-repo';
import type { AttemptOutcome } from '../../vocabulary/callbacks';
import type { Queryable } from './connection';

const SELECT = `SELECT id, callback_id AS "callbackId", operator, stage, caller_attempt AS "callerAttempt", operator_channel AS "operatorChannel",
  caller_channel AS "callerChannel", started_at AS "startedAt", caller_dialed_at AS "callerDialedAt", connected_at AS "connectedAt",
  ended_at AS "endedAt", outcome, cause, node FROM callback_attempts`;

export class PgCallbackAttemptsRepo {
  /** Throws (unique_violation, 23505) when the request already has a live attempt. */
  async open(db: Queryable, callbackId: number, operator: string, operatorChannel: string, at: Date, node: string): Promise<number> {
    const r = await db.query<{ id: number }>(
      "INSERT INTO callback_attempts (callback_id, operator, stage, operator_channel, started_at, node) VALUES ($1, $2, 'operator', $3, $4, $5) RETURNING id",
      [callbackId, operator, operatorChannel, at.toISOString(), node],
    );
    return r.rows[0]!.id;
  }

  async get(db: Queryable, id: number): Promise<AttemptRow | undefined> {
    return (await db.query<AttemptRow>(`${SELECT} WHERE id = $1`, [id])).rows[0];
  }

  /** The attempt while it is live, its row locked until the transaction ends (undefined once closed). */
  async lockLive(db: Queryable, id: number): Promise<AttemptRow | undefined> {
    return (await db.query<AttemptRow>(`${SELECT} WHERE id = $1 AND ended_at IS NULL FOR UPDATE`, [id])).rows[0];
  }

  /** operator -> caller, before the caller is dialled; false when the attempt is not live any more */
  async callerDialing(db: Queryable, id: number, callerChannel: string, callerAttempt: number, at: Date): Promise<boolean> {
    const r = await db.query(
      "UPDATE callback_attempts SET stage = 'caller', caller_channel = $1, caller_attempt = $2, caller_dialed_at = $3 WHERE id = $4 AND stage = 'operator'",
      [callerChannel, callerAttempt, at.toISOString(), id],
    );
    return r.rowCount === 1;
  }

  async talking(db: Queryable, id: number, at: Date): Promise<boolean> {
    return (await db.query("UPDATE callback_attempts SET stage = 'talking', connected_at = $1 WHERE id = $2 AND stage = 'caller'", [at.toISOString(), id])).rowCount === 1;
  }

  /** Closes a live attempt once; false when it was already closed (by this node or another). */
  async close(db: Queryable, id: number, outcome: AttemptOutcome, cause: number | null, at: Date): Promise<boolean> {
    const r = await db.query("UPDATE callback_attempts SET stage = 'ended', outcome = $1, cause = $2, ended_at = $3 WHERE id = $4 AND ended_at IS NULL", [
      outcome,
      cause,
      at.toISOString(),
      id,
    ]);
    return r.rowCount === 1;
  }

  async live(db: Queryable): Promise<AttemptRow[]> {
    return (await db.query<AttemptRow>(`${SELECT} WHERE ended_at IS NULL ORDER BY id`)).rows;
  }

  /** The live attempts with their request's directorate and number (the console's live board). */
  async liveWithRequest(db: Queryable): Promise<Array<AttemptRow & { dp: string; number: string }>> {
    return (
      await db.query<AttemptRow & { dp: string; number: string }>(
        `SELECT a.*, c.dp, c.number FROM (${SELECT} WHERE ended_at IS NULL) a JOIN callbacks c ON c.id = a."callbackId" ORDER BY a.id`,
      )
    ).rows;
  }

  /** Whether the operator placed a callback to this number (the console's least privilege). */
  async placedBy(db: Queryable, operator: string, number: string): Promise<boolean> {
    const r = await db.query('SELECT 1 FROM callback_attempts a JOIN callbacks c ON c.id = a.callback_id WHERE c.number = $1 AND a.operator = $2 LIMIT 1', [number, operator]);
    return r.rows.length > 0;
  }

  async lastConnectedOf(db: Queryable, operator: string): Promise<AttemptRow | undefined> {
    return (await db.query<AttemptRow>(`${SELECT} WHERE operator = $1 AND connected_at IS NOT NULL ORDER BY id DESC LIMIT 1`, [operator])).rows[0];
  }

  async ofCallback(db: Queryable, callbackId: number): Promise<AttemptRow[]> {
    return (await db.query<AttemptRow>(`${SELECT} WHERE callback_id = $1 ORDER BY id`, [callbackId])).rows;
  }

  /** The live attempts a node recovers: its own, and those of nodes whose lease ran out. */
  async recoverableBy(db: Queryable, node: string, now: Date): Promise<AttemptRow[]> {
    return (
      await db.query<AttemptRow>(`${SELECT} WHERE ended_at IS NULL AND (node IS NULL OR node = $1 OR node IN (SELECT node FROM node_leases WHERE expires_at <= $2)) ORDER BY id`, [
        node,
        now.toISOString(),
      ])
    ).rows;
  }
}
