// A call's records on one box: SQLite through the write queue, which keeps the event loop
// free while another process holds the database (see write-queue.ts). Reads are local and
// immediate; they are asynchronous only because the port is (a network database answers later).
import type { CallEventType } from '../vocabulary/call-events';
import type { CallEventsRepo } from './call-events-repo';
import type { CallRecords, FollowupOpening } from './call-records';
import type { BookingRequest, BookingResult, CallbackRow, CallbacksRepo } from './callbacks-repo';
import type { CallEndReason, CallFacts, CallRow, CallStart, CallsRepo } from './calls-repo';
import type { FollowupsRepo } from './followups-repo';
import type { NoteRecord, NotesRepo } from './notes-repo';
import type { OutcomeRecord, OutcomesRepo } from './outcomes-repo';
import { countEarlierContacts } from './person';
import type { ApplyOptions, WriteQueue } from './write-queue';

export interface SqliteRecordsRepos {
  calls: CallsRepo;
  events: CallEventsRepo;
  callbacks: CallbacksRepo;
  outcomes: OutcomesRepo;
  followups?: FollowupsRepo | undefined;
  notes?: NotesRepo | undefined;
}

export class SqliteCallRecords implements CallRecords {
  constructor(
    private readonly writes: WriteQueue,
    private readonly r: SqliteRecordsRepos,
    /** the time a booking's transaction took, for the metrics */
    private readonly observeBookingMs?: (ms: number) => void,
  ) {}

  callStarted(c: Omit<CallStart, 'node'>): void {
    this.writes.record('call_start', () => this.r.calls.start(c));
  }

  callAnswered(id: string, at: Date): void {
    this.writes.record('call_answered', () => this.r.calls.answered(id, at));
  }

  callUpdated(id: string, facts: CallFacts): void {
    this.writes.record('call_update', () => this.r.calls.update(id, facts));
  }

  event(callId: string, at: Date, type: CallEventType, data?: Record<string, unknown>): void {
    this.writes.record('call_event', () => this.r.events.add(callId, at, type, data));
  }

  callEnded(id: string, at: Date, reason: CallEndReason, cause: number | null): void {
    this.writes.record('call_end', () => this.r.calls.end(id, at, reason, cause));
  }

  outcome(o: OutcomeRecord): void {
    this.writes.record('outcome', () => this.r.outcomes.add(o));
  }

  followup(f: FollowupOpening): void {
    const followups = this.r.followups;
    if (followups) this.writes.record('followup', () => followups.open(f));
  }

  note(n: NoteRecord): void {
    const notes = this.r.notes;
    if (notes) this.writes.record('note', () => notes.add(n));
  }

  book(req: BookingRequest, o: ApplyOptions): Promise<BookingResult> {
    return this.writes.apply(
      'booking',
      () => {
        const t = performance.now();
        try {
          return this.r.callbacks.book(req);
        } finally {
          this.observeBookingMs?.(performance.now() - t);
        }
      },
      o,
    );
  }

  cancelBooking(id: number, reason: string, at: Date, o: ApplyOptions): Promise<boolean> {
    return this.writes.apply('callback_cancel', () => this.r.callbacks.cancel(id, reason, at), o);
  }

  closeCall(id: string, at: Date, reason: CallEndReason, cause: number | null): Promise<string | undefined> {
    return this.writes.apply('call_end', () => {
      const dp = this.r.calls.get(id)?.dp;
      return this.r.calls.end(id, at, reason, cause) ? dp : undefined;
    });
  }

  flushed(): Promise<void> {
    return this.writes.flushed();
  }

  pendingBooking(dp: string, number: string): Promise<{ id: number; position: number } | undefined> {
    return Promise.resolve(this.r.callbacks.live(dp, number));
  }

  openCalls(): Promise<CallRow[]> {
    return Promise.resolve(this.r.calls.open());
  }

  earlierContacts(cb: Pick<CallbackRow, 'id' | 'number' | 'requestedAt' | 'callId'>): Promise<number> {
    const { calls, callbacks } = this.r;
    return countEarlierContacts(cb, {
      linkedNumbers: async (n) => callbacks.linkedNumbers(n),
      callsByCaller: async (n) => calls.byCaller(n),
      callbacksByNumber: async (n) => callbacks.byNumber(n),
    });
  }
}
