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
import { StorageUnavailable } from '../errors';
import type { AttemptRow } from '../storage/callback-attempts-repo';
import type { CallbackRow } from '../storage/callbacks-repo';
import type { PostgresCallbackStore } from '../storage/postgres/callback-store';
import type { ApplyOptions } from '../storage/write-queue';
import type { AttemptOutcome } from '../vocabulary/callbacks';
import { decideAfter, type NextStatus } from './policy';
import type { CallbackQueue } from './queue';

/** PostgreSQL's answers that a later try may not get: a bound passed, a lock not had, the server going or gone */
const BUSY_CODES = new Set(['57014', '55P03', '40001', '40P01']);
const FAILING_CODES = /^(08|57P|53)/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** busy: a bound passed or a lock held; failing: the server cannot be reached or refuses work */
export function pgTransientKind(err: unknown): 'busy' | 'failing' | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && BUSY_CODES.has(code)) return 'busy';
  if (typeof code === 'string' && (FAILING_CODES.test(code) || NETWORK.has(code))) return 'failing';
  if (err instanceof Error && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(err.message)) return 'failing';
  return undefined;
}

export class SharedLedger implements CallbackQueue {
  constructor(
    private readonly store: PostgresCallbackStore,
    /** this controller's node: its claims carry it */
    private readonly node: string,
    private readonly closeRetryMs: [number, number] = [100, 2000],
  ) {}

  /** a transient failure of the database as StorageUnavailable; anything else as it is */
  private async guard<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      const kind = pgTransientKind(err);
      if (kind) throw new StorageUnavailable(`${what}: ${(err as Error).message}`, kind);
      throw err;
    }
  }

  expireOverdue(now: Date): Promise<number[]> {
    return this.guard('expire_overdue', () => this.store.expireOverdue(now));
  }

  due(dp: string, now: Date, limit: number): Promise<CallbackRow[]> {
    return this.guard('due', () => this.store.due(dp, now, limit));
  }

  claim(callbackId: number, operator: string, operatorChannel: string, now: Date, o: ApplyOptions = {}): Promise<number | undefined> {
    return this.guard('claim', () => this.store.claim(callbackId, operator, operatorChannel, this.node, now, o.deadlineMs));
  }

  callerDialing(attemptId: number, callerChannel: string, now: Date, o: ApplyOptions = {}): Promise<number> {
    return this.guard('caller_dialing', () => this.store.callerDialing(attemptId, callerChannel, now, o.deadlineMs));
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
    return this.guard('attempt', () => this.store.attempt(id));
  }

  liveAttempts(): Promise<AttemptRow[]> {
    return this.guard('live_attempts', () => this.store.liveAttempts());
  }

  get(id: number): Promise<CallbackRow | undefined> {
    return this.guard('callback', () => this.store.get(id));
  }

  nextDueAt(): Promise<string | undefined> {
    return this.guard('next_due', () => this.store.nextDueAt());
  }

  cancel(id: number, reason: string, at: Date, o: ApplyOptions = {}): Promise<boolean> {
    return this.guard('callback_cancel', () => this.store.cancel(id, reason, at, o.deadlineMs));
  }

  reschedule(id: number, dueAt: Date, expiresAt: Date, at: Date, o: ApplyOptions = {}): Promise<boolean> {
    return this.guard('callback_reschedule', () => this.store.reschedule(id, dueAt, expiresAt, at, o.deadlineMs));
  }

  heartbeat(node: string, now: Date, leaseMs: number): Promise<void> {
    return this.guard('heartbeat', () => this.store.heartbeat(node, now, leaseMs));
  }

  aliveNodes(now: Date): Promise<string[]> {
    return this.guard('alive_nodes', () => this.store.aliveNodes(now));
  }

  recoverable(node: string, now: Date): Promise<AttemptRow[]> {
    return this.guard('recoverable', () => this.store.recoverable(node, now));
  }
}
