// A call's records on the cluster's shared PostgreSQL (storage/call-records.ts): what the
// write queue does for SQLite (storage/write-queue.ts), for a database across the network.
//   - Each call has its lane: its writes are applied one after the other, in the order issued
//     (its row before its events and its booking, whose rows refer to it), while the lanes of
//     different calls run side by side on the pool.
//   - A fact to keep is retried with backoff while the server cannot be reached or a bound
//     passed; it is given up (and reported) only when the server refuses it for a reason
//     retrying cannot fix, or when too many wait.
//   - A write the flow waits for has a deadline: not begun by then, it is withdrawn; begun, its
//     transaction's statement_timeout is what is left of it, so the server rolls it back rather
//     than commit it after the flow was told it failed.
import { StorageUnavailable, type StorageState } from '../../errors';
import type { CallEventType } from '../../vocabulary/call-events';
import type { CallRecords, FollowupOpening } from '../call-records';
import type { BookingRequest, BookingResult, CallbackRow } from '../callbacks-repo';
import type { CallEndReason, CallFacts, CallRow, CallStart } from '../calls-repo';
import type { NoteRecord } from '../notes-repo';
import type { OutcomeRecord } from '../outcomes-repo';
import { countEarlierContacts } from '../person';
import type { ApplyOptions } from '../write-queue';
import type { PostgresCallbackStore } from './callback-store';
import { PgCallEventsRepo } from './call-events-repo';
import { PgCallsRepo } from './calls-repo';
import { inTransaction, type Pg } from './connection';
import { PgFollowupsRepo } from './followups-repo';
import { PgNotesRepo } from './notes-repo';
import { PgOutcomesRepo } from './outcomes-repo';
import { pgTransientKind } from './errors';

export interface PostgresRecordsOptions {
  /** first and longest pause between two tries of a write the server did not take */
  retryMs?: [number, number];
  /** beyond this many waiting writes, new facts are dropped (reported) and waited writes refused */
  maxQueued?: number;
  onDropped?: (what: string, err: Error) => void;
  /** the state changed (ok, busy, failing), with the server's last error */
  onState?: (state: StorageState, error: string | undefined) => void;
  /** the time a booking's transaction took, for the metrics */
  observeBookingMs?: (ms: number) => void;
}

export class PostgresCallRecords implements CallRecords {
  private readonly calls = new PgCallsRepo();
  private readonly events = new PgCallEventsRepo();
  private readonly outcomes = new PgOutcomesRepo();
  private readonly followups = new PgFollowupsRepo();
  private readonly notes = new PgNotesRepo();
  /** each call's lane: the promise its next write waits for */
  private readonly lanes = new Map<string, Promise<void>>();
  private queued = 0;
  private _state: StorageState = 'ok';
  private stopped = false;
  private readonly retry: [number, number];
  private readonly maxQueued: number;

  constructor(
    private readonly pool: Pg,
    private readonly store: PostgresCallbackStore,
    /** this controller's node: its calls carry it */
    private readonly node: string,
    private readonly o: PostgresRecordsOptions = {},
  ) {
    this.retry = o.retryMs ?? [50, 2000];
    this.maxQueued = o.maxQueued ?? 50_000;
  }

  get state(): StorageState {
    return this._state;
  }

  /** Writes waiting, across every lane. */
  get waiting(): number {
    return this.queued;
  }

  callStarted(c: Omit<CallStart, 'node'>): void {
    this.record(c.id, 'call_start', (db) => this.calls.start(db, { ...c, node: this.node }));
  }

  callAnswered(id: string, at: Date): void {
    this.record(id, 'call_answered', (db) => this.calls.answered(db, id, at));
  }

  callUpdated(id: string, facts: CallFacts): void {
    this.record(id, 'call_update', (db) => this.calls.update(db, id, facts));
  }

  event(callId: string, at: Date, type: CallEventType, data?: Record<string, unknown>): void {
    this.record(callId, 'call_event', (db) => this.events.add(db, callId, at, type, data));
  }

  callEnded(id: string, at: Date, reason: CallEndReason, cause: number | null): void {
    this.record(id, 'call_end', (db) => this.calls.end(db, id, at, reason, cause));
  }

  outcome(r: OutcomeRecord): void {
    this.record(laneOf(r), 'outcome', (db) => this.outcomes.add(db, r));
  }

  followup(f: FollowupOpening): void {
    this.record(laneOf(f), 'followup', (db) => this.followups.open(db, f));
  }

  note(n: NoteRecord): void {
    this.record(laneOf(n), 'note', (db) => this.notes.add(db, n));
  }

  book(r: BookingRequest, o: ApplyOptions): Promise<BookingResult> {
    return this.apply(r.callId ?? `booking:${r.number}`, 'booking', o, async (timeoutMs) => {
      const t = performance.now();
      try {
        return await this.store.book(r, timeoutMs);
      } finally {
        this.o.observeBookingMs?.(performance.now() - t);
      }
    });
  }

  cancelBooking(id: number, reason: string, at: Date, o: ApplyOptions): Promise<boolean> {
    return this.apply(`callback:${id}`, 'callback_cancel', o, (timeoutMs) => this.store.cancel(id, reason, at, timeoutMs));
  }

  closeCall(id: string, at: Date, reason: CallEndReason, cause: number | null): Promise<string | undefined> {
    return this.apply(id, 'call_end', {}, (timeoutMs) => inTransaction(this.pool, (tx) => this.calls.end(tx, id, at, reason, cause), { timeoutMs }));
  }

  pendingBooking(dp: string, number: string): Promise<{ id: number; position: number } | undefined> {
    return this.store.live(dp, number);
  }

  openCalls(): Promise<CallRow[]> {
    return this.calls.openOf(this.pool, this.node);
  }

  earlierContacts(cb: Pick<CallbackRow, 'id' | 'number' | 'requestedAt' | 'callId'>): Promise<number> {
    return countEarlierContacts(cb, {
      linkedNumbers: (n) => this.store.linkedNumbers(n),
      callsByCaller: (n) => this.calls.byCaller(this.pool, n),
      callbacksByNumber: (n) => this.store.byNumber(n),
    });
  }

  /** Resolves once every write issued so far has been applied (or given up). */
  async flushed(): Promise<void> {
    await Promise.all([...this.lanes.values()]);
  }

  /** Stops retrying: what still waits is given up (the controller is stopping). */
  stop(): void {
    this.stopped = true;
  }

  // ---- the lanes -------------------------------------------------------------------------

  /** A fact: in its lane, retried until the server takes it; never throws. */
  private record(lane: string, what: string, write: (db: Pg) => Promise<unknown>): void {
    if (this.queued >= this.maxQueued) return this.o.onDropped?.(what, new Error(`${this.queued} writes waiting: ${what} dropped`));
    this.enqueue(lane, async () => {
      for (let wait = this.retry[0]; ; wait = Math.min(this.retry[1], wait * 2)) {
        try {
          await write(this.pool);
          return this.settled();
        } catch (err) {
          if (!this.transient(err) || this.stopped) return this.o.onDropped?.(what, err as Error);
          await pause(wait);
        }
      }
    });
  }

  /**
   * A write the flow waits for: in its lane, retried while its deadline allows; withdrawn
   * when its turn comes too late, rolled back by the server when begun and not done in time.
   */
  private apply<T>(lane: string, what: string, o: ApplyOptions, write: (timeoutMs: number | undefined) => Promise<T>): Promise<T> {
    const deadline = o.deadlineMs === undefined ? undefined : performance.now() + o.deadlineMs;
    const unavailable = (why: string): StorageUnavailable => new StorageUnavailable(`${what}: ${why}`, this._state === 'ok' ? 'busy' : this._state);
    if (o.failFast && this._state === 'failing') return Promise.reject(unavailable('the shared database cannot be reached'));
    if (this.queued >= this.maxQueued) return Promise.reject(unavailable(`${this.queued} writes waiting`));
    return new Promise<T>((resolve, reject) => {
      // Still waiting in its lane at the deadline: withdrawn, and skipped when its turn comes.
      // Begun: the transaction's own bound decides (each statement's statement_timeout is what
      // was left when it began), so the flow never hears "failed" of a write that then commits.
      let begun = false;
      let over = false;
      const fail = (err: unknown): void => {
        over = true;
        clearTimeout(timer);
        reject(err);
      };
      const timer = o.deadlineMs === undefined ? undefined : setTimeout(() => begun || over || fail(unavailable(`not written within ${o.deadlineMs} ms`)), o.deadlineMs);
      this.enqueue(lane, async () => {
        for (let wait = this.retry[0]; !over; wait = Math.min(this.retry[1], wait * 2)) {
          const left = deadline === undefined ? undefined : deadline - performance.now();
          if (left !== undefined && left <= 0) return fail(unavailable(`not written within ${o.deadlineMs} ms`));
          begun = true;
          try {
            const result = await write(left);
            this.settled();
            over = true;
            clearTimeout(timer);
            return resolve(result);
          } catch (err) {
            begun = false;
            if (!this.transient(err) || this.stopped) return fail(err instanceof Error && pgTransientKind(err) ? unavailable(err.message) : err);
          }
          await pause(left === undefined ? wait : Math.min(wait, Math.max(0, deadline! - performance.now())));
        }
      });
    });
  }

  private enqueue(lane: string, run: () => Promise<void>): void {
    this.queued++;
    const tail = (this.lanes.get(lane) ?? Promise.resolve())
      .then(run)
      // a write's own failures are handled in it; anything else must not stop the lane's next writes
      .catch((err: unknown) => this.o.onDropped?.(lane, err as Error))
      .finally(() => {
        this.queued--;
        if (this.lanes.get(lane) === tail) this.lanes.delete(lane);
      });
    this.lanes.set(lane, tail);
  }

  /** Whether a later try may succeed; notes the database's state. */
  private transient(err: unknown): boolean {
    const kind = pgTransientKind(err);
    if (kind) this.setState(kind, (err as Error).message);
    return kind !== undefined;
  }

  private settled(): void {
    if (this._state !== 'ok') this.setState('ok', undefined);
  }

  private setState(state: StorageState, error: string | undefined): void {
    if (state === this._state) return;
    this._state = state;
    this.o.onState?.(state, error);
  }
}

/** The lane of a record about a call or a callback: after that call's (or callback's) own writes. */
const laneOf = (r: { callId?: string | null; callbackId?: number | null }): string => r.callId ?? (r.callbackId ? `callback:${r.callbackId}` : 'records');

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
