// The callback queue on PostgreSQL (the cluster mode): several controllers on one database,
// the same exactly-once rules as on SQLite (storage/callback-store.ts). Each operation is one
// transaction; PostgreSQL commits durably (synchronous_commit on). Bookings of a directorate
// take its transaction-scoped advisory lock, so that the limits are checked one booking at a
// time across every node, while other directorates book in parallel.
import type { CallbackStore, Claimed, ClosingFacts, NextRequestStatus } from '../callback-store';
import type { AttemptRow } from '../callback-attempts-repo';
import type { BookingRequest, BookingResult, CallbackRow } from '../callbacks-repo';
import type { AttemptOutcome } from '../../vocabulary/callbacks';
import { PgCallbackAttemptsRepo } from './callback-attempts-repo';
import { PgCallbacksRepo } from './callbacks-repo';
import { inTransaction, type Pg } from './connection';
import { PgNodeLeasesRepo } from './node-leases-repo';

export class PostgresCallbackStore implements CallbackStore {
  readonly engine = 'postgres' as const;
  private readonly callbacks = new PgCallbacksRepo();
  private readonly attempts = new PgCallbackAttemptsRepo();
  private readonly leases = new PgNodeLeasesRepo();

  constructor(private readonly pool: Pg) {}

  /** With timeoutMs, a booking not committed by then (the directorate's lock, the server) is rolled back. */
  book(r: BookingRequest, timeoutMs?: number): Promise<BookingResult> {
    return inTransaction(
      this.pool,
      async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('booking:' || $1, 0))", [r.dp]);
        return this.callbacks.book(tx, r);
      },
      { timeoutMs },
    );
  }

  live(dp: string, number: string): Promise<{ id: number; position: number } | undefined> {
    return this.callbacks.live(this.pool, dp, number);
  }

  /** The numbers a booking connected to this one (storage/person.ts). */
  linkedNumbers(number: string): Promise<string[]> {
    return this.callbacks.linkedNumbers(this.pool, number);
  }

  byNumber(number: string): Promise<CallbackRow[]> {
    return this.callbacks.byNumber(this.pool, number);
  }

  get(id: number): Promise<CallbackRow | undefined> {
    return this.callbacks.get(this.pool, id);
  }

  claimNext(dp: string, operator: string, operatorChannel: string, node: string, now: Date): Promise<Claimed | undefined> {
    return inTransaction(this.pool, async (tx) => {
      const callbackId = await this.callbacks.claimNext(tx, dp, now);
      if (callbackId === undefined) return undefined;
      return { callbackId, attemptId: await this.attempts.open(tx, callbackId, operator, operatorChannel, now, node) };
    });
  }

  /** pending -> dialing plus a live attempt placed by `node`, or undefined (claimed meanwhile, or not due) */
  claim(callbackId: number, operator: string, operatorChannel: string, node: string, now: Date, timeoutMs?: number): Promise<number | undefined> {
    return inTransaction(
      this.pool,
      async (tx) => ((await this.callbacks.claim(tx, callbackId, now)) ? this.attempts.open(tx, callbackId, operator, operatorChannel, now, node) : undefined),
      { timeoutMs },
    );
  }

  due(dp: string, now: Date, limit: number): Promise<CallbackRow[]> {
    return this.callbacks.due(this.pool, dp, now, limit);
  }

  nextDueAt(): Promise<string | undefined> {
    return this.callbacks.nextDueAt(this.pool);
  }

  expireOverdue(now: Date): Promise<number[]> {
    return this.callbacks.expireOverdue(this.pool, now);
  }

  cancel(id: number, reason: string, at: Date, timeoutMs?: number): Promise<boolean> {
    return inTransaction(this.pool, (tx) => this.callbacks.cancel(tx, id, reason, at), { timeoutMs });
  }

  reschedule(id: number, dueAt: Date, expiresAt: Date, at: Date, timeoutMs?: number): Promise<boolean> {
    return inTransaction(this.pool, (tx) => this.callbacks.reschedule(tx, id, dueAt, expiresAt, at), { timeoutMs });
  }

  attempt(id: number): Promise<AttemptRow | undefined> {
    return this.attempts.get(this.pool, id);
  }

  liveAttempts(): Promise<AttemptRow[]> {
    return this.attempts.live(this.pool);
  }

  callerDialing(attemptId: number, callerChannel: string, now: Date, timeoutMs?: number): Promise<number> {
    return inTransaction(
      this.pool,
      async (tx) => {
        const attempt = await this.attempts.get(tx, attemptId);
        if (!attempt) throw new Error(`attempt ${attemptId} does not exist`);
        const n = await this.callbacks.countCallerAttempt(tx, attempt.callbackId, now);
        if (!(await this.attempts.callerDialing(tx, attemptId, callerChannel, n, now))) throw new Error(`attempt ${attemptId} is not live`);
        return n;
      },
      { timeoutMs },
    );
  }

  closeAttempt(
    attemptId: number,
    outcome: AttemptOutcome,
    cause: number | null,
    now: Date,
    decide: (facts: ClosingFacts) => NextRequestStatus,
  ): Promise<NextRequestStatus | undefined> {
    return inTransaction(this.pool, async (tx) => {
      // the attempt's row locked first: of two nodes closing it at once (its own and one
      // recovering it), the second waits, then finds it closed
      const attempt = await this.attempts.lockLive(tx, attemptId);
      if (!attempt) return undefined;
      const request = await this.callbacks.get(tx, attempt.callbackId);
      if (!request) throw new Error(`attempt ${attemptId}: no callback ${attempt.callbackId}`);
      if (outcome === 'connected') await this.attempts.talking(tx, attemptId, now);
      await this.attempts.close(tx, attemptId, outcome, cause, now);
      const next = decide({ attempt, request });
      await this.callbacks.settle(tx, request.id, next, outcome, now);
      return next;
    });
  }

  attemptsOf(callbackId: number): Promise<AttemptRow[]> {
    return this.attempts.ofCallback(this.pool, callbackId);
  }

  heartbeat(node: string, now: Date, leaseMs: number): Promise<void> {
    return this.leases.renew(this.pool, node, now, leaseMs);
  }

  aliveNodes(now: Date): Promise<string[]> {
    return this.leases.alive(this.pool, now);
  }

  recoverable(node: string, now: Date): Promise<AttemptRow[]> {
    return this.attempts.recoverableBy(this.pool, node, now);
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
