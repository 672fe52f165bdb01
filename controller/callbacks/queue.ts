// The callback queue as the dispatcher and the attempts use it: asynchronous, so that the
// same call-flow code runs on one box (SQLite, through the controller's write queue:
// callbacks/ledger.ts) and in a cluster (PostgreSQL, several controllers on one database).
// A write that cannot be made within its bound rejects with StorageUnavailable and is never
// made later; reads answer from the database as it is now.
import type { Directorate } from '../config/schema';
import type { AttemptRow } from '../storage/callback-attempts-repo';
import type { CallbackRow } from '../storage/callbacks-repo';
import type { ApplyOptions } from '../storage/write-queue';
import type { AttemptOutcome } from '../vocabulary/callbacks';
import type { NextStatus } from './policy';

export interface CallbackQueue {
  /** pending requests past their validity -> expired; their ids */
  expireOverdue(now: Date): Promise<number[]>;
  /** a directorate's requests due now, oldest first */
  due(dp: string, now: Date, limit: number): Promise<CallbackRow[]>;
  /** pending -> dialing plus a live attempt row, or undefined (someone else got there first) */
  claim(callbackId: number, operator: string, operatorChannel: string, now: Date, o?: ApplyOptions): Promise<number | undefined>;
  /** Recorded before the caller's phone is dialled; returns the caller-side attempt number. */
  callerDialing(attemptId: number, callerChannel: string, now: Date, o?: ApplyOptions): Promise<number>;
  /** Closes the attempt and moves the request on (never withdrawn); undefined when it was already closed. */
  close(attemptId: number, outcome: AttemptOutcome, cause: number | null, now: Date, policy: Directorate['callback']): Promise<NextStatus | undefined>;
  attempt(id: number): Promise<AttemptRow | undefined>;
  /** every attempt not closed yet, whichever controller placed it */
  liveAttempts(): Promise<AttemptRow[]>;
  get(id: number): Promise<CallbackRow | undefined>;
  /** when the next pending request falls due */
  nextDueAt(): Promise<string | undefined>;
  /** pending -> cancelled; false when it was no longer pending */
  cancel(id: number, reason: string, at: Date, o?: ApplyOptions): Promise<boolean>;
  /** a new due time, reopening a closed request; false when the number has another live request */
  reschedule(id: number, dueAt: Date, expiresAt: Date, at: Date, o?: ApplyOptions): Promise<boolean>;
  // ---- the cluster mode: each controller a node with a lease -------------------------------
  /** this node is alive until now + leaseMs */
  heartbeat(node: string, now: Date, leaseMs: number): Promise<void>;
  /** the nodes whose lease runs now */
  aliveNodes(now: Date): Promise<string[]>;
  /** the live attempts this node recovers: its own (it restarted) and those of nodes whose lease ran out */
  recoverable(node: string, now: Date): Promise<AttemptRow[]>;
}
