// The callback queue on SQLite (one box): the repositories of callbacks, callback_attempts
// and node_leases composed into IMMEDIATE transactions, each committed durably (synchronous
// FULL: these rows guard "never dialled twice", which must survive a power cut too). The
// transactions are synchronous here (the *Now methods, which the controller's write queue
// runs today through callbacks/ledger.ts) and behind the asynchronous port (CallbackStore)
// for the code that runs on either engine.
import { CallbackAttemptsRepo, type AttemptRow } from './callback-attempts-repo';
import type { CallbackStore, Claimed, ClosingFacts, NextRequestStatus } from './callback-store';
import { CallbacksRepo, type BookingRequest, type BookingResult, type CallbackRow } from './callbacks-repo';
import { durable, type Db } from './database';
import { NodeLeasesRepo } from './node-leases-repo';
import type { AttemptOutcome } from '../vocabulary/callbacks';

export class SqliteCallbackStore implements CallbackStore {
  readonly engine = 'sqlite' as const;
  readonly callbacks: CallbacksRepo;
  readonly attempts: CallbackAttemptsRepo;
  private readonly leases: NodeLeasesRepo;

  constructor(
    private readonly db: Db,
    repos: { callbacks?: CallbacksRepo; attempts?: CallbackAttemptsRepo } = {},
  ) {
    this.callbacks = repos.callbacks ?? new CallbacksRepo(db);
    this.attempts = repos.attempts ?? new CallbackAttemptsRepo(db);
    this.leases = new NodeLeasesRepo(db);
  }

  private durably<T>(write: () => T): T {
    return durable(this.db, () => this.db.transaction(write).immediate());
  }

  /** pending -> dialing plus a live attempt row, or nothing (someone else got there first). */
  claimNow(callbackId: number, operator: string, operatorChannel: string, now: Date, node: string | null = null): number | undefined {
    return this.durably(() => this.claimIn(callbackId, operator, operatorChannel, now, node));
  }

  /** the claim's statements, inside the caller's transaction */
  private claimIn(callbackId: number, operator: string, operatorChannel: string, now: Date, node: string | null): number | undefined {
    return this.callbacks.claim(callbackId, now) ? this.attempts.open(callbackId, operator, operatorChannel, now, node) : undefined;
  }

  callerDialingNow(attemptId: number, callerChannel: string, now: Date): number {
    return this.durably(() => {
      const attempt = this.attempts.get(attemptId);
      if (!attempt) throw new Error(`attempt ${attemptId} does not exist`);
      const n = this.callbacks.countCallerAttempt(attempt.callbackId, now);
      if (!this.attempts.callerDialing(attemptId, callerChannel, n, now)) throw new Error(`attempt ${attemptId} is not live`);
      return n;
    });
  }

  closeAttemptNow(attemptId: number, outcome: AttemptOutcome, cause: number | null, now: Date, decide: (facts: ClosingFacts) => NextRequestStatus): NextRequestStatus | undefined {
    return this.durably(() => {
      const attempt = this.attempts.get(attemptId);
      if (!attempt || attempt.endedAt) return undefined;
      const request = this.callbacks.get(attempt.callbackId);
      if (!request) throw new Error(`attempt ${attemptId}: no callback ${attempt.callbackId}`);
      if (outcome === 'connected') this.attempts.talking(attemptId, now);
      this.attempts.close(attemptId, outcome, cause, now);
      const next = decide({ attempt, request });
      this.callbacks.settle(request.id, next, outcome, now);
      return next;
    });
  }

  async book(r: BookingRequest): Promise<BookingResult> {
    return this.callbacks.book(r);
  }

  async get(id: number): Promise<CallbackRow | undefined> {
    return this.callbacks.get(id);
  }

  async claimNext(dp: string, operator: string, operatorChannel: string, node: string, now: Date): Promise<Claimed | undefined> {
    // one writer at a time on SQLite: the oldest due request is read and claimed in one transaction
    return this.durably(() => {
      const next = this.callbacks.due(dp, now, 1)[0];
      const attemptId = next && this.claimIn(next.id, operator, operatorChannel, now, node);
      return attemptId === undefined ? undefined : { callbackId: next!.id, attemptId };
    });
  }

  async callerDialing(attemptId: number, callerChannel: string, now: Date): Promise<number> {
    return this.callerDialingNow(attemptId, callerChannel, now);
  }

  async closeAttempt(
    attemptId: number,
    outcome: AttemptOutcome,
    cause: number | null,
    now: Date,
    decide: (facts: ClosingFacts) => NextRequestStatus,
  ): Promise<NextRequestStatus | undefined> {
    return this.closeAttemptNow(attemptId, outcome, cause, now, decide);
  }

  async attemptsOf(callbackId: number): Promise<AttemptRow[]> {
    return this.attempts.ofCallback(callbackId);
  }

  heartbeatNow(node: string, now: Date, leaseMs: number): void {
    this.leases.renew(node, now, leaseMs);
  }

  async heartbeat(node: string, now: Date, leaseMs: number): Promise<void> {
    this.heartbeatNow(node, now, leaseMs);
  }

  async aliveNodes(now: Date): Promise<string[]> {
    return this.leases.alive(now);
  }

  async recoverable(node: string, now: Date): Promise<AttemptRow[]> {
    return this.attempts.recoverableBy(node, now);
  }

  async end(): Promise<void> {
    // the database belongs to whoever opened it
  }
}
