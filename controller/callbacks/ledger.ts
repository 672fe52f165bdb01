// The callback state changes that touch two tables, each in one transaction: claiming a
// request together with its attempt row, counting a dial of the caller, closing an attempt
// together with the request's next status. A controller killed between any two statements
// leaves either the old state or the new one. Each commits durably: these rows guard "never
// dialled twice", which must survive a power cut too, not only the process dying. The
// transactions themselves are the SQLite callback store's (storage/sqlite-callback-store.ts,
// the same ones the cluster's PostgreSQL store keeps); this adds the retry rules.
import type { Directorate } from '../config/schema';
import type { CallbackAttemptsRepo } from '../storage/callback-attempts-repo';
import type { CallbacksRepo } from '../storage/callbacks-repo';
import type { Db } from '../storage/database';
import { SqliteCallbackStore } from '../storage/sqlite-callback-store';
import type { AttemptOutcome } from '../vocabulary/callbacks';
import { decideAfter, type NextStatus } from './policy';

export class CallbackLedger {
  private readonly store: SqliteCallbackStore;

  constructor(
    db: Db,
    readonly callbacks: CallbacksRepo,
    readonly attempts: CallbackAttemptsRepo,
  ) {
    this.store = new SqliteCallbackStore(db, { callbacks, attempts });
  }

  /** pending -> dialing plus a live attempt row, or nothing (someone else got there first). */
  claim(callbackId: number, operator: string, operatorChannel: string, now: Date): number | undefined {
    return this.store.claimNow(callbackId, operator, operatorChannel, now);
  }

  /** Recorded before the caller's phone is dialled; returns the caller-side attempt number. */
  callerDialing(attemptId: number, callerChannel: string, now: Date): number {
    return this.store.callerDialingNow(attemptId, callerChannel, now);
  }

  /** Closes the attempt and moves the request on; undefined when it was already closed. */
  close(attemptId: number, outcome: AttemptOutcome, cause: number | null, now: Date, policy: Directorate['callback']): NextStatus | undefined {
    return this.store.closeAttemptNow(attemptId, outcome, cause, now, decideAfter(outcome, now, policy));
  }
}
