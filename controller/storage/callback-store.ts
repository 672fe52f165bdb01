// The storage port of the callback queue, for one box (SQLite) and for a cluster (PostgreSQL,
// several controllers on one database): asynchronous, since a network database answers
// later. It holds the rules that make a callback exactly-once whatever the engine:
//   - one live request per number per directorate (a partial unique index on both engines);
//   - bookings of a directorate serialized, so that no limit is passed by two at once;
//   - a request claimed by one dispatcher only (PostgreSQL: FOR UPDATE SKIP LOCKED, so that
//     competing dispatchers pass each other instead of waiting), with exactly one live
//     attempt (a partial unique index), which carries the id of the node that placed it;
//   - a node's lease, renewed by its heartbeat: the live attempts of a node whose lease ran
//     out are recovered by another, each closed once (a guarded update).
// The rules that decide a request's next status stay in callbacks/policy.ts: closing an
// attempt takes them as a function, so this layer never imports the one above it.
import type { AttemptOutcome } from '../vocabulary/callbacks';
import type { AttemptRow } from './callback-attempts-repo';
import type { BookingRequest, BookingResult, CallbackRow } from './callbacks-repo';
import type { CallbackStatus } from '../vocabulary/callbacks';

/** What becomes of a request after an attempt (decided by callbacks/policy.ts). */
export interface NextRequestStatus {
  status: CallbackStatus;
  dueAt?: Date;
  reason?: string;
}

/** The facts the retry rules decide on, read in the closing transaction. */
export interface ClosingFacts {
  attempt: AttemptRow;
  request: CallbackRow;
}

export interface Claimed {
  callbackId: number;
  attemptId: number;
}

export interface CallbackStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Checks the limits and inserts, serialized per directorate; committed durably on return. */
  book(r: BookingRequest): Promise<BookingResult>;
  get(id: number): Promise<CallbackRow | undefined>;
  /**
   * The oldest request of the directorate due now goes to this operator: pending -> dialing,
   * with a live attempt placed by `node`; undefined when none is due (or each due one is being
   * claimed by another dispatcher at this instant).
   */
  claimNext(dp: string, operator: string, operatorChannel: string, node: string, now: Date): Promise<Claimed | undefined>;
  /** Recorded before the caller's phone is dialled; returns the caller-side attempt number. */
  callerDialing(attemptId: number, callerChannel: string, now: Date): Promise<number>;
  /** Closes a live attempt once and moves its request on; undefined when it was already closed. */
  closeAttempt(
    attemptId: number,
    outcome: AttemptOutcome,
    cause: number | null,
    now: Date,
    decide: (facts: ClosingFacts) => NextRequestStatus,
  ): Promise<NextRequestStatus | undefined>;
  attemptsOf(callbackId: number): Promise<AttemptRow[]>;
  /** The node is alive until now + leaseMs (its heartbeat). */
  heartbeat(node: string, now: Date, leaseMs: number): Promise<void>;
  /** The nodes whose lease runs at this instant (callbacks/policy.ts directoratesServedBy decides with them). */
  aliveNodes(now: Date): Promise<string[]>;
  /** The live attempts `node` must recover: its own (it restarted) and those of nodes whose lease ran out. */
  recoverable(node: string, now: Date): Promise<AttemptRow[]>;
  end(): Promise<void>;
}
