// The callback queue in a cluster (callbacks/queue.ts on the shared PostgreSQL): the same
// transactions as one box's (storage/postgres/callback-store.ts), several controllers on one
// database. What the write queue does for SQLite is done here with the server's help:
//   - a bound on a write (a claim, the caller's dial, a sysadmin's action) is the
//     transaction's statement_timeout: past it the server cancels and rolls back, so a write
//     given up is never made later;
//   - an attempt's close is never withdrawn: while the database cannot be reached it is
//     retried with backoff (the attempt stays in the dispatcher's hands meanwhile);
//   - the database unreachable, or a bound passed, is StorageUnavailable for the caller.
import type { Directorate } from '../config/schema';
import type { AttemptRow } from '../storage/callback-attempts-repo';
import type { CallbackRow } from '../storage/callbacks-repo';
import type { PostgresCallbackStore } from '../storage/postgres/callback-store';
import { pgTransientKind, unavailableWhenTransient } from '../storage/postgres/errors';
import type { ApplyOptions } from '../storage/write-queue';
import type { AttemptOutcome } from '../vocabulary/callbacks';
import { decideAfter, type NextStatus } from './policy';
import type { CallbackQueue } from './queue';

export class SharedLedger implements CallbackQueue {
  constructor(
    private readonly store: PostgresCallbackStore,
    /** this controller's node: its claims carry it */
    private readonly node: string,
    private readonly closeRetryMs: [number, number] = [100, 2000],
  ) {}

  expireOverdue(now: Date): Promise<number[]> {
    return unavailableWhenTransient('expire_overdue', () => this.store.expireOverdue(now));
  }

  due(dp: string, now: Date, limit: number): Promise<CallbackRow[]> {
    return unavailableWhenTransient('due', () => this.store.due(dp, now, limit));
  }

  claim(callbackId: number, operator: string, operatorChannel: string, now: Date, o: ApplyOptions = {}): Promise<number | undefined> {
    return unavailableWhenTransient('claim', () => this.store.claim(callbackId, operator, operatorChannel, this.node, now, o.deadlineMs));
  }

  callerDialing(attemptId: number, callerChannel: string, now: Date, o: ApplyOptions = {}): Promise<number> {
    return unavailableWhenTransient('caller_dialing', () => this.store.callerDialing(attemptId, callerChannel, now, o.deadlineMs));
  }

  async close(attemptId: number, outcome: AttemptOutcome, cause: number | null, now: Date, policy: Directorate['callback']): Promise<NextStatus | undefined> {
    for (let wait = this.closeRetryMs[0]; ; wait = Math.min(this.closeRetryMs[1], wait * 2)) {
      try {
        return await this.store.closeAttempt(attemptId, outcome, cause, now, decideAfter(outcome, now, policy));
      } catch (err) {
        if (!pgTransientKind(err)) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  attempt(id: number): Promise<AttemptRow | undefined> {
    return unavailableWhenTransient('attempt', () => this.store.attempt(id));
  }

  liveAttempts(): Promise<AttemptRow[]> {
    return unavailableWhenTransient('live_attempts', () => this.store.liveAttempts());
  }

  get(id: number): Promise<CallbackRow | undefined> {
    return unavailableWhenTransient('callback', () => this.store.get(id));
  }

  nextDueAt(): Promise<string | undefined> {
    return unavailableWhenTransient('next_due', () => this.store.nextDueAt());
  }

  cancel(id: number, reason: string, at: Date, o: ApplyOptions = {}): Promise<boolean> {
    return unavailableWhenTransient('callback_cancel', () => this.store.cancel(id, reason, at, o.deadlineMs));
  }

  reschedule(id: number, dueAt: Date, expiresAt: Date, at: Date, o: ApplyOptions = {}): Promise<boolean> {
    return unavailableWhenTransient('callback_reschedule', () => this.store.reschedule(id, dueAt, expiresAt, at, o.deadlineMs));
  }

  heartbeat(node: string, now: Date, leaseMs: number): Promise<void> {
    return unavailableWhenTransient('heartbeat', () => this.store.heartbeat(node, now, leaseMs));
  }

  aliveNodes(now: Date): Promise<string[]> {
    return unavailableWhenTransient('alive_nodes', () => this.store.aliveNodes(now));
  }

  recoverable(node: string, now: Date): Promise<AttemptRow[]> {
    return unavailableWhenTransient('recoverable', () => this.store.recoverable(node, now));
  }
}
