// The callback state changes that touch two tables, each in one transaction: claiming a
// request together with its attempt row, counting a dial of the caller, closing an attempt
// together with the request's next status. A controller killed between any two statements
// leaves either the old state or the new one. Each commits durably (synchronous=FULL, the
// WAL fsynced): these rows guard "never dialled twice", which must survive a power cut too,
// not only the process dying.
import type { Directorate } from '../config/schema';
import type { CallbackAttemptsRepo } from '../storage/callback-attempts-repo';
import type { AttemptOutcome } from '../vocabulary/callbacks';
import type { CallbacksRepo } from '../storage/callbacks-repo';
import { durable, type Db } from '../storage/database';
import { afterAttempt, type NextStatus } from './policy';

export class CallbackLedger {
  constructor(
    private readonly db: Db,
    readonly callbacks: CallbacksRepo,
    readonly attempts: CallbackAttemptsRepo,
  ) {}

  /** pending -> dialing plus a live attempt row, or nothing (someone else got there first). */
  claim(callbackId: number, operator: string, operatorChannel: string, now: Date): number | undefined {
    return durable(this.db, () =>
      this.db
        .transaction((): number | undefined => {
          if (!this.callbacks.claim(callbackId, now)) return undefined;
          return this.attempts.open(callbackId, operator, operatorChannel, now);
        })
        .immediate(),
    );
  }

  /** Recorded before the caller's phone is dialled; returns the caller-side attempt number. */
  callerDialing(attemptId: number, callbackId: number, callerChannel: string, now: Date): number {
    return durable(this.db, () =>
      this.db
        .transaction((): number => {
          const n = this.callbacks.countCallerAttempt(callbackId, now);
          if (!this.attempts.callerDialing(attemptId, callerChannel, n, now)) throw new Error(`attempt ${attemptId} is not live`);
          return n;
        })
        .immediate(),
    );
  }

  /** Closes the attempt and moves the request on; undefined when it was already closed. */
  close(attemptId: number, outcome: AttemptOutcome, cause: number | null, now: Date, policy: Directorate['callback']): NextStatus | undefined {
    return durable(this.db, () =>
      this.db
        .transaction((): NextStatus | undefined => {
          const attempt = this.attempts.get(attemptId);
          if (!attempt || attempt.endedAt) return undefined;
          const cb = this.callbacks.get(attempt.callbackId);
          if (!cb) throw new Error(`attempt ${attemptId}: no callback ${attempt.callbackId}`);
          if (outcome === 'connected') this.attempts.talking(attemptId, now);
          this.attempts.close(attemptId, outcome, cause, now);
          const next = afterAttempt(outcome, {
            callerDialled: attempt.stage !== 'operator',
            callerAttempts: cb.attempts,
            now,
            expiresAt: new Date(cb.expiresAt),
            policy,
          });
          this.callbacks.settle(cb.id, next, outcome, now);
          return next;
        })
        .immediate(),
    );
  }
}
