// The callback queue on one box (callbacks/queue.ts on SQLite). The state changes that touch
// two tables each run in one transaction: claiming a request together with its attempt row,
// counting a dial of the caller, closing an attempt together with the request's next status.
// A controller killed between any two statements leaves either the old state or the new one.
// Each commits durably: these rows guard "never dialled twice", which must survive a power
// cut too, not only the process dying. The transactions themselves are the SQLite callback
// store's (storage/sqlite-callback-store.ts, the same ones the cluster's PostgreSQL store
// keeps); every write goes through the controller's write queue, so that a database busy
// with another process delays it without freezing the calls.
import type { Directorate } from '../config/schema';
import type { AttemptRow, CallbackAttemptsRepo } from '../storage/callback-attempts-repo';
import type { CallbackRow, CallbacksRepo } from '../storage/callbacks-repo';
import type { Db } from '../storage/database';
import { SqliteCallbackStore } from '../storage/sqlite-callback-store';
import { WriteQueue, type ApplyOptions } from '../storage/write-queue';
import type { AttemptOutcome } from '../vocabulary/callbacks';
import { decideAfter, type NextStatus } from './policy';
import type { CallbackQueue } from './queue';

export class CallbackLedger implements CallbackQueue {
  private readonly store: SqliteCallbackStore;

  constructor(
    db: Db,
    private readonly callbacks: CallbacksRepo,
    private readonly attempts: CallbackAttemptsRepo,
    private readonly writes: WriteQueue = new WriteQueue(),
    /** the node whose claims these are (the cluster mode); none on one box */
    private readonly node: string | null = null,
  ) {
    this.store = new SqliteCallbackStore(db, { callbacks, attempts });
  }

  expireOverdue(now: Date): Promise<number[]> {
    return this.writes.apply('expire_overdue', () => this.callbacks.expireOverdue(now));
  }

  async due(dp: string, now: Date, limit: number): Promise<CallbackRow[]> {
    return this.callbacks.due(dp, now, limit);
  }

  claim(callbackId: number, operator: string, operatorChannel: string, now: Date, o?: ApplyOptions): Promise<number | undefined> {
    return this.writes.apply('claim', () => this.store.claimNow(callbackId, operator, operatorChannel, now, this.node), o);
  }

  callerDialing(attemptId: number, callerChannel: string, now: Date, o?: ApplyOptions): Promise<number> {
    return this.writes.apply('caller_dialing', () => this.store.callerDialingNow(attemptId, callerChannel, now), o);
  }

  close(attemptId: number, outcome: AttemptOutcome, cause: number | null, now: Date, policy: Directorate['callback']): Promise<NextStatus | undefined> {
    return this.writes.apply('attempt_close', () => this.store.closeAttemptNow(attemptId, outcome, cause, now, decideAfter(outcome, now, policy)));
  }

  async attempt(id: number): Promise<AttemptRow | undefined> {
    return this.attempts.get(id);
  }

  async liveAttempts(): Promise<AttemptRow[]> {
    return this.attempts.live();
  }

  async get(id: number): Promise<CallbackRow | undefined> {
    return this.callbacks.get(id);
  }

  async nextDueAt(): Promise<string | undefined> {
    return this.callbacks.nextDueAt();
  }

  cancel(id: number, reason: string, at: Date, o?: ApplyOptions): Promise<boolean> {
    return this.writes.apply('callback_cancel', () => this.callbacks.cancel(id, reason, at), o);
  }

  reschedule(id: number, dueAt: Date, expiresAt: Date, at: Date, o?: ApplyOptions): Promise<boolean> {
    return this.writes.apply('callback_reschedule', () => this.callbacks.reschedule(id, dueAt, expiresAt, at), o);
  }

  heartbeat(node: string, now: Date, leaseMs: number): Promise<void> {
    return this.writes.apply('heartbeat', () => this.store.heartbeatNow(node, now, leaseMs));
  }

  aliveNodes(now: Date): Promise<string[]> {
    return this.store.aliveNodes(now);
  }

  recoverable(node: string, now: Date): Promise<AttemptRow[]> {
    return this.store.recoverable(node, now);
  }
}
