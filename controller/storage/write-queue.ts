// Every write the controller makes goes through this queue, so that a busy or failing
// database is a delay, never a crash and never a frozen event loop.
//
// better-sqlite3 is synchronous: a write that meets another process's write lock (an
// `ivrctl db purge`, a sysadmin's sqlite3 shell) waits inside the event loop for as long as
// busy_timeout allows, and every call of the box freezes with it; past the timeout it
// throws, inside an ARI event handler. Here the controller's connection waits only a few
// milliseconds (CONTROLLER_BUSY_TIMEOUT_MS), and a write that still finds the database busy,
// full or read-only stays queued and is retried with backoff from a timer, while calls go on.
// Writes are applied in the order they were issued (a call's row before its events, a
// booking after the events that led to it); when nothing waits, a write runs at once, in the
// caller's tick, exactly as a direct call would.
//
// Two kinds of writes:
//   record(): a fact to keep (a call event, a call's end). Never throws, never expires; it is
//             applied when the database accepts it. Dropped (and counted) only when the
//             queue is full or SQLite refuses it for a reason retrying cannot fix.
//   apply():  a write whose result the caller waits for (a booking, a claim). Settles with the
//             result once applied; with deadlineMs, a write not yet applied by then is
//             withdrawn and rejects with StorageUnavailable: it will never be applied, so the
//             caller may say so (a booking the caller is told failed never appears later).
import { StorageUnavailable, type StorageState } from '../errors';

/** the controller's connection waits at most this long for a lock, inside the event loop */
export const CONTROLLER_BUSY_TIMEOUT_MS = 10;

/** SQLite's answers that a later retry may not get again */
const BUSY_CODES = /^SQLITE_(BUSY|LOCKED)/;
const FAILING_CODES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|PROTOCOL|NOLFS)/;

export function errorCode(err: unknown): string {
  return (err as { code?: unknown } | null)?.code && typeof (err as { code: unknown }).code === 'string' ? (err as { code: string }).code : '';
}

/** busy: another connection holds the lock; failing: the disk or the file refuses writes */
export function transientKind(err: unknown): 'busy' | 'failing' | undefined {
  const code = errorCode(err);
  if (BUSY_CODES.test(code)) return 'busy';
  if (FAILING_CODES.test(code)) return 'failing';
  return undefined;
}

interface Item {
  what: string;
  write: () => unknown;
  queuedAt: number;
  resolve?: (v: unknown) => void;
  reject?: (err: Error) => void;
  deadline?: NodeJS.Timeout;
  failFast?: boolean;
}

export interface WriteQueueOptions {
  /** first and longest pause between two tries of the write at the head */
  retryMs?: [number, number];
  /** beyond this many waiting writes, new ones are refused (records dropped, applies rejected) */
  maxQueued?: number;
  /** at most this long applying queued writes in one turn of the event loop */
  sliceMs?: number;
  now?: () => number;
  /** a write was given up (full queue, or an error that retrying cannot fix) */
  onDropped?: (what: string, err: Error) => void;
  /** the state changed (ok, busy, failing), with SQLite's last error */
  onState?: (state: StorageState, error: string | undefined) => void;
}

export interface WriteQueueHealth {
  state: StorageState;
  queued: number;
  /** how long the write at the head has been waiting, 0 when none waits */
  waitingMs: number;
  lastError?: string;
}

export interface ApplyOptions {
  /** withdraw and reject the write if it is not applied within this time */
  deadlineMs?: number;
  /** reject at once, without queuing, while the database is failing (full, read-only) */
  failFast?: boolean;
}

export class WriteQueue {
  private readonly items: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private _state: StorageState = 'ok';
  private lastError: string | undefined;
  private headSince = 0;
  private readonly retry: [number, number];
  private readonly maxQueued: number;
  private readonly sliceMs: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly o: WriteQueueOptions = {}) {
    this.retry = o.retryMs ?? [20, 500];
    this.maxQueued = o.maxQueued ?? 50_000;
    this.sliceMs = o.sliceMs ?? 8;
    this.now = o.now ?? Date.now;
  }

  get state(): StorageState {
    return this._state;
  }

  health(): WriteQueueHealth {
    return {
      state: this._state,
      queued: this.items.length,
      waitingMs: this.items.length > 0 ? this.now() - this.headSince : 0,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** A fact to keep: applied now or, when the database is busy, later in order. Never throws. */
  record(what: string, write: () => unknown): void {
    this.enqueue({ what, write, queuedAt: this.now() });
  }

  /** A write whose result matters; see the file header for the deadline's meaning. */
  apply<T>(what: string, write: () => T, o: ApplyOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (o.failFast && this._state === 'failing' && this.items.length > 0) {
        reject(this.unavailable(what));
        return;
      }
      const item: Item = { what, write, queuedAt: this.now(), resolve: resolve as (v: unknown) => void, reject, failFast: !!o.failFast };
      if (o.deadlineMs !== undefined) {
        item.deadline = setTimeout(() => {
          const i = this.items.indexOf(item);
          if (i < 0) return; // applied (or refused) meanwhile
          this.items.splice(i, 1);
          if (i === 0) this.headSince = this.now();
          reject(new StorageUnavailable(`${what}: not written within ${o.deadlineMs} ms (database ${this._state}: ${this.lastError ?? '?'})`, this._state));
        }, o.deadlineMs);
      }
      this.enqueue(item);
    });
  }

  /** Resolves once every write issued before this call has been applied (or given up). */
  flushed(): Promise<void> {
    return this.items.length === 0 ? Promise.resolve() : this.apply('flush', () => undefined);
  }

  /** Stops retrying (process exit); what is still queued is given up. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private unavailable(what: string): StorageUnavailable {
    return new StorageUnavailable(`${what}: database unavailable (${this.lastError ?? this._state})`, this._state);
  }

  /** A failFast write that met a failing database: refused now rather than queued. */
  private refusedFast(item: Item): boolean {
    if (!item.failFast || this._state !== 'failing') return false;
    this.giveUp(item, this.unavailable(item.what));
    return true;
  }

  private enqueue(item: Item): void {
    if (this.items.length === 0 && this.timer === undefined) {
      if (this.attempt(item) || this.refusedFast(item)) return;
      this.headSince = item.queuedAt;
    } else if (this.items.length >= this.maxQueued) {
      this.giveUp(item, new StorageUnavailable(`write queue full (${this.maxQueued} waiting)`, 'overloaded'));
      return;
    }
    this.items.push(item);
    this.schedule();
  }

  /** Runs the write: true when it is over (applied or refused for good), false to retry. */
  private attempt(item: Item): boolean {
    let result: unknown;
    try {
      result = item.write();
    } catch (err) {
      const kind = transientKind(err);
      if (kind && !this.stopped) {
        this.setState(kind, `${errorCode(err)}: ${(err as Error).message}`);
        return false;
      }
      this.giveUp(item, err as Error);
      return true;
    }
    clearTimeout(item.deadline);
    if (this._state !== 'ok') this.setState('ok', undefined);
    this.backoffMs = 0;
    item.resolve?.(result);
    return true;
  }

  private giveUp(item: Item, err: Error): void {
    clearTimeout(item.deadline);
    if (item.reject) item.reject(err);
    else this.o.onDropped?.(item.what, err);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.backoffMs = this.backoffMs === 0 ? this.retry[0] : Math.min(this.retry[1], this.backoffMs * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.backoffMs);
  }

  private drain(): void {
    const start = this.now();
    while (this.items.length > 0) {
      const head = this.items[0]!;
      if (!this.attempt(head) && !this.refusedFast(head)) return this.schedule();
      this.items.shift();
      this.headSince = this.now();
      if (this.now() - start >= this.sliceMs && this.items.length > 0) {
        // a long backlog is applied in slices: calls keep their turn of the event loop
        this.backoffMs = 0;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.drain();
        }, 0);
        return;
      }
    }
  }

  private setState(state: StorageState, error: string | undefined): void {
    const changed = state !== this._state || (state !== 'ok' && error !== this.lastError);
    this._state = state;
    this.lastError = error;
    if (changed) this.o.onState?.(state, error);
  }
}
