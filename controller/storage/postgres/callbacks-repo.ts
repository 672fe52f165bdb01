// SQL for the callbacks table on PostgreSQL (the cluster mode): the same rules as
// storage/callbacks-repo.ts, every status change guarded by the current status. Booking and
// claiming run inside the caller's transaction (callback-store.ts).
import type { BookingRequest, BookingResult, CallbackRow } from '../callbacks-repo';
import type { NextRequestStatus } from '../callback-store';
import type { Queryable } from './connection';
import { isLive } from '../../vocabulary/callbacks';

const SELECT = `SELECT id, dp, number, language, status, requested_at AS "requestedAt", due_at AS "dueAt", expires_at AS "expiresAt",
  call_id AS "callId", menu_path AS "menuPath", ring_count AS "ringCount", attempts, updated_at AS "updatedAt", closed_reason AS "closedReason",
  last_outcome AS "lastOutcome", carried_over AS "carriedOver", callback_group AS "group"
  FROM callbacks`;

const LIVE = "status IN ('pending', 'dialing')";
/** retention masks numbers with '*' ("0612******"): such a request can never be dialled again */
const UNMASKED = "strpos(number, '*') = 0";

const count = async (db: Queryable, sql: string, params: unknown[]): Promise<number> => Number((await db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0);

export class PgCallbacksRepo {
  /** The live request of a number at a directorate, with its place in that queue. */
  async live(db: Queryable, dp: string, number: string): Promise<{ id: number; position: number } | undefined> {
    const row = (await db.query<{ id: number }>(`SELECT id FROM callbacks WHERE dp = $1 AND number = $2 AND ${LIVE}`, [dp, number])).rows[0];
    return row && { id: row.id, position: await this.position(db, dp, row.id) };
  }

  /** The numbers a booking connected to this one: the caller of a request for it, the requests of a call from it. */
  async linkedNumbers(db: Queryable, number: string): Promise<string[]> {
    const rows = (
      await db.query<{ n: string }>(
        `SELECT c.caller AS n FROM callbacks cb JOIN calls c ON c.id = cb.call_id WHERE cb.number = $1 AND c.caller IS NOT NULL
         UNION SELECT cb.number AS n FROM calls c JOIN callbacks cb ON cb.call_id = c.id WHERE c.caller = $1`,
        [number],
      )
    ).rows;
    return rows.map((r) => r.n).filter((n) => n !== number && !n.includes('*'));
  }

  /** The pending requests of a directorate due before an instant (the close-window job). */
  async pendingDueBefore(db: Queryable, dp: string, before: Date): Promise<CallbackRow[]> {
    return (await db.query<CallbackRow>(`${SELECT} WHERE dp = $1 AND status = 'pending' AND due_at < $2 ORDER BY requested_at, id`, [dp, before.toISOString()])).rows;
  }

  /** Moves a pending request to the next service window; false when it is no longer pending. */
  async carryOver(db: Queryable, id: number, dueAt: Date, at: Date): Promise<boolean> {
    const r = await db.query("UPDATE callbacks SET due_at = $1, carried_over = carried_over + 1, updated_at = $2 WHERE id = $3 AND status = 'pending'", [
      dueAt.toISOString(),
      at.toISOString(),
      id,
    ]);
    return r.rowCount === 1;
  }

  /** A pending request given up before its validity ended (at closing, per policy). */
  async expire(db: Queryable, id: number, reason: string, at: Date): Promise<boolean> {
    const r = await db.query("UPDATE callbacks SET status = 'expired', closed_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'pending'", [reason, at.toISOString(), id]);
    return r.rowCount === 1;
  }

  /** Live requests per directorate (the metrics, the console's live board). */
  async pendingCountByDp(db: Queryable): Promise<Record<string, number>> {
    const rows = (await db.query<{ dp: string; n: number }>(`SELECT dp, COUNT(*)::int AS n FROM callbacks WHERE ${LIVE} GROUP BY dp`)).rows;
    return Object.fromEntries(rows.map((r) => [r.dp, r.n]));
  }

  /** Per directorate, when the oldest pending request due by now became due. */
  async oldestDueByDp(db: Queryable, now: Date): Promise<Record<string, string>> {
    const rows = (
      await db.query<{ dp: string; due: string }>("SELECT dp, MIN(due_at) AS due FROM callbacks WHERE status = 'pending' AND due_at <= $1 GROUP BY dp", [now.toISOString()])
    ).rows;
    return Object.fromEntries(rows.map((r) => [r.dp, r.due]));
  }

  /** Oldest first; `from`/`to` bound the request time ([from, to)), as storage/callbacks-repo.ts. */
  async list(db: Queryable, filter: { dp?: string | undefined; status?: string | undefined; from?: Date; to?: Date } = {}): Promise<CallbackRow[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.dp) where.push(`dp = $${params.push(filter.dp)}`);
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.from) where.push(`requested_at >= $${params.push(filter.from.toISOString())}`);
    if (filter.to) where.push(`requested_at < $${params.push(filter.to.toISOString())}`);
    return (await db.query<CallbackRow>(`${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`, params)).rows;
  }

  async byNumber(db: Queryable, number: string): Promise<CallbackRow[]> {
    return (await db.query<CallbackRow>(`${SELECT} WHERE number = $1 ORDER BY id`, [number])).rows;
  }

  /** A request with its place in its directorate's queue while live (twin of storage/callbacks-repo.ts). */
  async withPosition<R extends Pick<CallbackRow, 'id' | 'dp' | 'status'>>(db: Queryable, row: R): Promise<R & { position: number | null }> {
    return { ...row, position: isLive(row.status) ? await this.position(db, row.dp, row.id) : null };
  }

  /** 1 = next to be called back (oldest live request first). */
  position(db: Queryable, dp: string, id: number): Promise<number> {
    return count(db, `SELECT COUNT(*) AS n FROM callbacks WHERE dp = $1 AND ${LIVE} AND id <= $2`, [dp, id]);
  }

  /**
   * Checks the limits and inserts. Inside a transaction that holds the directorate's booking
   * lock (callback-store.ts), so that two bookings of one directorate never pass a check
   * together; the partial unique index still refuses a second live request of a number.
   */
  async book(db: Queryable, r: BookingRequest): Promise<BookingResult> {
    const live = await this.live(db, r.dp, r.number);
    if (live) return { ok: false, reason: 'duplicate', ...live };
    const since = r.dayStart.toISOString();
    if ((await count(db, 'SELECT COUNT(*) AS n FROM callbacks WHERE dp = $1 AND number = $2 AND requested_at >= $3', [r.dp, r.number, since])) >= r.maxPerNumberPerDay)
      return { ok: false, reason: 'number_cap' };
    if (r.caller && r.maxPerCallerPerDay !== undefined) {
      const byCaller = await count(db, 'SELECT COUNT(*) AS n FROM calls c JOIN callbacks cb ON cb.call_id = c.id WHERE c.caller = $1 AND cb.dp = $2 AND cb.requested_at >= $3', [
        r.caller,
        r.dp,
        since,
      ]);
      if (byCaller >= r.maxPerCallerPerDay) return { ok: false, reason: 'caller_cap' };
    }
    if ((await count(db, 'SELECT COUNT(*) AS n FROM callbacks WHERE dp = $1 AND requested_at >= $2', [r.dp, since])) >= r.dailyCapacity)
      return { ok: false, reason: 'dp_capacity' };
    const at = r.at.toISOString();
    const inserted = await db.query<{ id: number }>(
      `INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, call_id, menu_path, ring_count, attempts, updated_at, callback_group)
       VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, 0, $4, $10) RETURNING id`,
      [r.dp, r.number, r.language, at, r.dueAt.toISOString(), r.expiresAt.toISOString(), r.callId, r.menuPath, r.ringCount, r.group ?? 'operators'],
    );
    const id = inserted.rows[0]!.id;
    return { ok: true, id, position: await this.position(db, r.dp, id) };
  }

  async get(db: Queryable, id: number): Promise<CallbackRow | undefined> {
    return (await db.query<CallbackRow>(`${SELECT} WHERE id = $1`, [id])).rows[0];
  }

  /**
   * The oldest request of the directorate due now, pending -> dialing; undefined when none.
   * FOR UPDATE SKIP LOCKED: a request another dispatcher is claiming at this instant is passed
   * over, not waited for, and one it already claimed no longer matches (its row is re-read).
   */
  async claimNext(db: Queryable, dp: string, now: Date): Promise<number | undefined> {
    const at = now.toISOString();
    const r = await db.query<{ id: number }>(
      `WITH next AS (
         SELECT id FROM callbacks WHERE dp = $1 AND status = 'pending' AND due_at <= $2 AND expires_at > $2 AND ${UNMASKED}
         ORDER BY requested_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE callbacks c SET status = 'dialing', updated_at = $2 FROM next WHERE c.id = next.id AND c.status = 'pending' RETURNING c.id`,
      [dp, at],
    );
    return r.rows[0]?.id;
  }

  /** pending -> dialing when due; false when another dispatcher (or a cancel) got there first. */
  async claim(db: Queryable, id: number, now: Date): Promise<boolean> {
    const at = now.toISOString();
    return (await db.query("UPDATE callbacks SET status = 'dialing', updated_at = $1 WHERE id = $2 AND status = 'pending' AND due_at <= $1", [at, id])).rowCount === 1;
  }

  /** The requests of a directorate that may be dialled now: oldest request first. */
  async due(db: Queryable, dp: string, now: Date, limit: number): Promise<CallbackRow[]> {
    return (
      await db.query<CallbackRow>(`${SELECT} WHERE dp = $1 AND status = 'pending' AND due_at <= $2 AND expires_at > $2 AND ${UNMASKED} ORDER BY requested_at, id LIMIT $3`, [
        dp,
        now.toISOString(),
        limit,
      ])
    ).rows;
  }

  /** The earliest due time among pending requests (all directorates), for the wake-up timer. */
  async nextDueAt(db: Queryable): Promise<string | undefined> {
    return (await db.query<{ d: string | null }>("SELECT MIN(due_at) AS d FROM callbacks WHERE status = 'pending'")).rows[0]?.d ?? undefined;
  }

  /** Pending requests past their validity become expired; returns their ids. */
  async expireOverdue(db: Queryable, now: Date): Promise<number[]> {
    const at = now.toISOString();
    const r = await db.query<{ id: number }>(
      "UPDATE callbacks SET status = 'expired', closed_reason = 'validity ended', updated_at = $1 WHERE status = 'pending' AND expires_at <= $1 RETURNING id",
      [at],
    );
    return r.rows.map((x) => x.id).sort((a, b) => a - b);
  }

  /** pending -> cancelled; false when the request was no longer pending. */
  async cancel(db: Queryable, id: number, reason: string, at: Date): Promise<boolean> {
    return (
      (await db.query("UPDATE callbacks SET status = 'cancelled', closed_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'pending'", [reason, at.toISOString(), id]))
        .rowCount === 1
    );
  }

  /** A sysadmin's retry or reschedule (callbacks-repo.ts); false when dialled, done, or the number has another live request. */
  async reschedule(db: Queryable, id: number, dueAt: Date, expiresAt: Date, at: Date): Promise<boolean> {
    try {
      const r = await db.query(
        `UPDATE callbacks SET status = 'pending', due_at = $1, expires_at = GREATEST(expires_at, $2), closed_reason = NULL, updated_at = $3
         WHERE id = $4 AND status IN ('pending', 'failed', 'expired', 'cancelled') AND ${UNMASKED}`,
        [dueAt.toISOString(), expiresAt.toISOString(), at.toISOString(), id],
      );
      return r.rowCount === 1;
    } catch (err) {
      if ((err as { code?: string }).code === '23505') return false; // unique_violation: another live request of the number
      throw err;
    }
  }

  /** Counts a dial of the caller; returns the new count. Only while dialing. */
  async countCallerAttempt(db: Queryable, id: number, at: Date): Promise<number> {
    const row = (
      await db.query<{ attempts: number }>("UPDATE callbacks SET attempts = attempts + 1, updated_at = $1 WHERE id = $2 AND status = 'dialing' RETURNING attempts", [
        at.toISOString(),
        id,
      ])
    ).rows[0];
    if (!row) throw new Error(`callback ${id} is not being dialled`);
    return row.attempts;
  }

  /** dialing -> the status the retry policy chose; false when it was not dialing. */
  async settle(db: Queryable, id: number, next: NextRequestStatus, lastOutcome: string, at: Date): Promise<boolean> {
    const r = await db.query(
      "UPDATE callbacks SET status = $1, due_at = COALESCE($2, due_at), closed_reason = $3, last_outcome = $4, updated_at = $5 WHERE id = $6 AND status = 'dialing'",
      [next.status, next.dueAt?.toISOString() ?? null, next.reason ?? null, lastOutcome, at.toISOString(), id],
    );
    return r.rowCount === 1;
  }
}
