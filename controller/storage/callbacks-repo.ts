// SQL for the callbacks table. Every status change is guarded by the current status.
import { durable, type Db } from './database';
import type { Lang } from '../config/languages';
import { isLive, type CallbackStatus } from '../vocabulary/callbacks';

export interface CallbackRow {
  id: number;
  dp: string;
  number: string;
  language: Lang;
  status: CallbackStatus;
  requestedAt: string;
  dueAt: string;
  expiresAt: string;
  callId: string | null;
  menuPath: string | null;
  ringCount: number | null;
  attempts: number;
  updatedAt: string;
  closedReason: string | null;
  lastOutcome: string | null;
  /** times the request was moved to the next service window at closing */
  carriedOver: number;
  /** whom it is for: 'operators', or an office ('unit:<id>') chosen in the menu */
  group: string;
}

export interface BookingRequest {
  dp: string;
  number: string;
  language: Lang;
  callId: string | null;
  menuPath: string | null;
  ringCount: number | null;
  at: Date;
  dueAt: Date;
  expiresAt: Date;
  /** start of the directorate's local day, for the daily limits */
  dayStart: Date;
  maxPerNumberPerDay: number;
  /** 'operators' (default) or 'unit:<id>' */
  group?: string;
  /** the calling number (national), null when withheld; with maxPerCallerPerDay, its cap */
  caller?: string | null;
  maxPerCallerPerDay?: number;
  dailyCapacity: number;
}

export type BookingResult =
  | { ok: true; id: number; position: number }
  | { ok: false; reason: 'duplicate'; id: number; position: number }
  | { ok: false; reason: 'number_cap' | 'caller_cap' | 'dp_capacity' };

const SELECT = `SELECT id, dp, number, language, status, requested_at AS requestedAt, due_at AS dueAt, expires_at AS expiresAt,
  call_id AS callId, menu_path AS menuPath, ring_count AS ringCount, attempts, updated_at AS updatedAt, closed_reason AS closedReason,
  last_outcome AS lastOutcome, carried_over AS carriedOver, callback_group AS "group"
  FROM callbacks`;

const LIVE = "status IN ('pending', 'dialing')";
/** retention masks numbers with '*' ("0612******"): such a request can never be dialled again */
const UNMASKED = "instr(number, '*') = 0";

export class CallbacksRepo {
  constructor(private readonly db: Db) {}

  /** The live request of a number at a directorate, with its place in that queue. */
  live(dp: string, number: string): { id: number; position: number } | undefined {
    const row = this.db.prepare(`SELECT id FROM callbacks WHERE dp = ? AND number = ? AND ${LIVE}`).get(dp, number) as { id: number } | undefined;
    return row && { id: row.id, position: this.position(dp, row.id) };
  }

  /** A request with its place in its directorate's queue while live (ivrctl callbacks, the console; twin of postgres/callbacks-repo.ts). */
  withPosition<R extends Pick<CallbackRow, 'id' | 'dp' | 'status'>>(row: R): R & { position: number | null } {
    return { ...row, position: isLive(row.status) ? this.position(row.dp, row.id) : null };
  }

  /** 1 = next to be called back (oldest live request first). */
  position(dp: string, id: number): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM callbacks WHERE dp = ? AND ${LIVE} AND id <= ?`).get(dp, id) as { n: number }).n;
  }

  /**
   * Checks the policy and inserts, in one IMMEDIATE transaction: two callers booking the
   * same number at the same instant cannot both pass the checks. Committed on return, and
   * durably (the caller is told it is booked).
   */
  book(r: BookingRequest): BookingResult {
    return durable(this.db, () =>
      this.db
        .transaction((): BookingResult => {
          const live = this.live(r.dp, r.number);
          if (live) return { ok: false, reason: 'duplicate', ...live };
          const since = r.dayStart.toISOString();
          const byNumber = (this.db.prepare('SELECT COUNT(*) AS n FROM callbacks WHERE dp = ? AND number = ? AND requested_at >= ?').get(r.dp, r.number, since) as { n: number }).n;
          if (byNumber >= r.maxPerNumberPerDay) return { ok: false, reason: 'number_cap' };
          if (r.caller && r.maxPerCallerPerDay !== undefined) {
            const byCaller = (
              this.db
                .prepare('SELECT COUNT(*) AS n FROM calls c JOIN callbacks cb ON cb.call_id = c.id WHERE c.caller = ? AND cb.dp = ? AND cb.requested_at >= ?')
                .get(r.caller, r.dp, since) as { n: number }
            ).n;
            if (byCaller >= r.maxPerCallerPerDay) return { ok: false, reason: 'caller_cap' };
          }
          const byDp = (this.db.prepare('SELECT COUNT(*) AS n FROM callbacks WHERE dp = ? AND requested_at >= ?').get(r.dp, since) as { n: number }).n;
          if (byDp >= r.dailyCapacity) return { ok: false, reason: 'dp_capacity' };
          const at = r.at.toISOString();
          const info = this.db
            .prepare(
              `INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, call_id, menu_path, ring_count, attempts, updated_at, callback_group)
             VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
            )
            .run(r.dp, r.number, r.language, at, r.dueAt.toISOString(), r.expiresAt.toISOString(), r.callId, r.menuPath, r.ringCount, at, r.group ?? 'operators');
          const id = Number(info.lastInsertRowid);
          return { ok: true, id, position: this.position(r.dp, id) };
        })
        .immediate(),
    );
  }

  /** pending -> cancelled; false when the request was no longer pending. */
  cancel(id: number, reason: string, at: Date): boolean {
    return (
      this.db.prepare("UPDATE callbacks SET status = 'cancelled', closed_reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'").run(reason, at.toISOString(), id)
        .changes === 1
    );
  }

  /** pending -> dialing when due; false when another actor (or a cancel) got there first. */
  claim(id: number, now: Date): boolean {
    const at = now.toISOString();
    return this.db.prepare("UPDATE callbacks SET status = 'dialing', updated_at = ? WHERE id = ? AND status = 'pending' AND due_at <= ?").run(at, id, at).changes === 1;
  }

  /** The requests of a directorate that may be dialled now: oldest request first. */
  due(dp: string, now: Date, limit: number): CallbackRow[] {
    const at = now.toISOString();
    return this.db
      .prepare(`${SELECT} WHERE dp = ? AND status = 'pending' AND due_at <= ? AND expires_at > ? AND ${UNMASKED} ORDER BY requested_at, id LIMIT ?`)
      .all(dp, at, at, limit) as CallbackRow[];
  }

  /** The earliest due time among pending requests (all directorates), for the wake-up timer. */
  nextDueAt(): string | undefined {
    return (this.db.prepare("SELECT MIN(due_at) AS d FROM callbacks WHERE status = 'pending'").get() as { d: string | null }).d ?? undefined;
  }

  /** Counts a dial of the caller; returns the new count. Only while dialing. */
  countCallerAttempt(id: number, at: Date): number {
    const row = this.db.prepare("UPDATE callbacks SET attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = 'dialing' RETURNING attempts").get(at.toISOString(), id) as
      { attempts: number } | undefined;
    if (!row) throw new Error(`callback ${id} is not being dialled`);
    return row.attempts;
  }

  /** dialing -> the status the retry policy chose; false when it was not dialing. */
  settle(id: number, next: { status: CallbackStatus; dueAt?: Date; reason?: string }, lastOutcome: string, at: Date): boolean {
    return (
      this.db
        .prepare("UPDATE callbacks SET status = ?, due_at = COALESCE(?, due_at), closed_reason = ?, last_outcome = ?, updated_at = ? WHERE id = ? AND status = 'dialing'")
        .run(next.status, next.dueAt?.toISOString() ?? null, next.reason ?? null, lastOutcome, at.toISOString(), id).changes === 1
    );
  }

  /** Pending requests past their validity become expired; returns their ids. */
  expireOverdue(now: Date): number[] {
    const at = now.toISOString();
    const rows = this.db
      .prepare("UPDATE callbacks SET status = 'expired', closed_reason = 'validity ended', updated_at = ? WHERE status = 'pending' AND expires_at <= ? RETURNING id")
      .all(at, at) as Array<{ id: number }>;
    return rows.map((r) => r.id);
  }

  /** The pending requests of a directorate that would be due before `before` (closing time). */
  pendingDueBefore(dp: string, before: Date): CallbackRow[] {
    return this.db.prepare(`${SELECT} WHERE dp = ? AND status = 'pending' AND due_at < ? ORDER BY requested_at, id`).all(dp, before.toISOString()) as CallbackRow[];
  }

  /** Moves a pending request to the next service window; false when it is no longer pending. */
  carryOver(id: number, dueAt: Date, at: Date): boolean {
    return (
      this.db
        .prepare("UPDATE callbacks SET due_at = ?, carried_over = carried_over + 1, updated_at = ? WHERE id = ? AND status = 'pending'")
        .run(dueAt.toISOString(), at.toISOString(), id).changes === 1
    );
  }

  /** A pending request given up before its validity ended (e.g. at closing, per policy). */
  expire(id: number, reason: string, at: Date): boolean {
    return (
      this.db.prepare("UPDATE callbacks SET status = 'expired', closed_reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'").run(reason, at.toISOString(), id)
        .changes === 1
    );
  }

  /**
   * A sysadmin's retry or reschedule: a pending request gets a new due time; a closed one
   * (failed, expired, cancelled) is reopened, with a fresh validity when the old one is over.
   * false when it is being dialled or done, or when the number already has another live request.
   */
  reschedule(id: number, dueAt: Date, expiresAt: Date, at: Date): boolean {
    try {
      return (
        this.db
          .prepare(
            `UPDATE callbacks SET status = 'pending', due_at = ?, expires_at = MAX(expires_at, ?), closed_reason = NULL, updated_at = ?
             WHERE id = ? AND status IN ('pending', 'failed', 'expired', 'cancelled') AND ${UNMASKED}`,
          )
          .run(dueAt.toISOString(), expiresAt.toISOString(), at.toISOString(), id).changes === 1
      );
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw err;
    }
  }

  get(id: number): CallbackRow | undefined {
    return this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as CallbackRow | undefined;
  }

  /** Requests, oldest first; `from`/`to` bound the request time ([from, to)). */
  list(filter: { dp?: string | undefined; status?: CallbackStatus | undefined; from?: Date; to?: Date } = {}): CallbackRow[] {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.dp) {
      where.push('dp = ?');
      params.push(filter.dp);
    }
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.from) {
      where.push('requested_at >= ?');
      params.push(filter.from.toISOString());
    }
    if (filter.to) {
      where.push('requested_at < ?');
      params.push(filter.to.toISOString());
    }
    return this.db.prepare(`${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`).all(...params) as CallbackRow[];
  }

  /**
   * The numbers a booking connects to this one: the number a caller called from when booking a
   * callback to this number, and the numbers this caller booked callbacks to. Masked numbers
   * (retention) connect nobody.
   */
  linkedNumbers(number: string): string[] {
    const rows = this.db
      .prepare(
        `SELECT c.caller AS n FROM callbacks cb JOIN calls c ON c.id = cb.call_id WHERE cb.number = ? AND c.caller IS NOT NULL
         UNION SELECT cb.number AS n FROM calls c JOIN callbacks cb ON cb.call_id = c.id WHERE c.caller = ?`,
      )
      .all(number, number) as Array<{ n: string }>;
    return rows.map((r) => r.n).filter((n) => n !== number && !n.includes('*'));
  }

  byNumber(number: string): CallbackRow[] {
    return this.db.prepare(`${SELECT} WHERE number = ? ORDER BY id`).all(number) as CallbackRow[];
  }

  /** per directorate, the due time of the oldest pending request already due at `now` (monitoring) */
  oldestDueByDp(now: Date): Record<string, string> {
    const rows = this.db.prepare("SELECT dp, MIN(due_at) AS due FROM callbacks WHERE status = 'pending' AND due_at <= ? GROUP BY dp").all(now.toISOString()) as Array<{
      dp: string;
      due: string;
    }>;
    return Object.fromEntries(rows.map((r) => [r.dp, r.due]));
  }

  pendingCountByDp(): Record<string, number> {
    const rows = this.db.prepare(`SELECT dp, COUNT(*) AS n FROM callbacks WHERE ${LIVE} GROUP BY dp`).all() as Array<{ dp: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.dp, r.n]));
  }
}
