// The storage port of a call's records: what the call flows (inbound calls, conversations,
// their recovery) write and read about calls, on one box (SQLite, sqlite-call-records.ts)
// or on a cluster's shared database (PostgreSQL, postgres/call-records.ts).
//
// Two kinds of writes, as the write queue has (storage/write-queue.ts):
//   - facts to keep (a call's start, its events, an outcome...): never throw, applied in the
//     order issued for one call, retried while the database is busy or unreachable;
//   - writes the flow waits for (a booking, a cancel): settle with their result, or reject
//     with StorageUnavailable when not written within their deadline, in which case they are
//     never written later (the caller may be told it failed).
// The flows never see SQL or an engine: only this interface.
import type { ApplyOptions } from './write-queue';
import type { BookingRequest, BookingResult, CallbackRow } from './callbacks-repo';
import type { CallEndReason, CallFacts, CallRow, CallStart } from './calls-repo';
import type { FollowupRow } from './followups-repo';
import type { NoteRecord } from './notes-repo';
import type { OutcomeRecord } from './outcomes-repo';
import type { CallEventType } from '../vocabulary/call-events';

/** An item opened on a worklist ("needs follow-up"). */
export type FollowupOpening = Pick<FollowupRow, 'dp' | 'unit' | 'number' | 'callId' | 'callbackId' | 'openedBy'> & { at: Date };

export interface CallRecords {
  callStarted(c: Omit<CallStart, 'node'>): void;
  callAnswered(id: string, at: Date): void;
  callUpdated(id: string, facts: CallFacts): void;
  event(callId: string, at: Date, type: CallEventType, data?: Record<string, unknown>): void;
  callEnded(id: string, at: Date, reason: CallEndReason, cause: number | null): void;
  outcome(r: OutcomeRecord): void;
  followup(f: FollowupOpening): void;
  note(n: NoteRecord): void;

  /** Checks the directorate's limits and inserts; written (durably) before it resolves. */
  book(r: BookingRequest, o: ApplyOptions): Promise<BookingResult>;
  /** The caller cancels their live request; false when it was no longer live. */
  cancelBooking(id: number, reason: string, at: Date, o: ApplyOptions): Promise<boolean>;
  /** Closes a call once, in order after its other records; its directorate when this closed it. */
  closeCall(id: string, at: Date, reason: CallEndReason, cause: number | null): Promise<string | undefined>;
  /** Resolves once every write issued so far has been applied (or given up). */
  flushed(): Promise<void>;

  /** The number's live request at the directorate, with its place in the queue. */
  pendingBooking(dp: string, number: string): Promise<{ id: number; position: number } | undefined>;
  /** The calls this controller (this node, in a cluster) left open. */
  openCalls(): Promise<CallRow[]>;
  /** The person's contacts with the office before this request (the operator's whisper). */
  earlierContacts(cb: Pick<CallbackRow, 'id' | 'number' | 'requestedAt' | 'callId'>): Promise<number>;
}
