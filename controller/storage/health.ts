// Whether the database can take writes now, as /healthz, `ivrctl status` and the booking path
// need to know it. Two sources: the write queue (SQLite's own answers: busy, full, read-only)
// and the free space where the database lives, checked every few seconds. Below a reserve the
// controller stops taking bookings (the caller hears at once that it cannot be registered,
// rather than a commit failing half-way), while call records keep being written into what
// is left: the reserve is for them, for the WAL and for the logs.
import { statfs } from 'node:fs';
import type { WriteQueue } from './write-queue';

/** a write waiting longer than this makes the database count as not writable */
export const STALLED_MS = 5000;

export interface StorageStatus {
  writable: boolean;
  /** why not, when not writable (for /healthz and ivrctl status) */
  reason?: string;
  state: 'ok' | 'busy' | 'failing';
  queued: number;
  waitingMs: number;
  freeBytes: number | null;
  reserveBytes: number;
}

export class StorageHealth {
  private freeBytes: number | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly writes: WriteQueue,
    private readonly dir: string,
    readonly reserveBytes: number,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  /** Checks the free space now and every `everyMs` (asynchronously: never on the call path). */
  start(everyMs = 2000): void {
    this.check();
    this.timer = setInterval(() => this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  check(): Promise<void> {
    return new Promise((resolve) =>
      statfs(this.dir, (err, s) => {
        if (err) this.onError(err);
        else this.freeBytes = Number(s.bavail) * Number(s.bsize);
        resolve();
      }),
    );
  }

  /** Bookings are taken only with room above the reserve and a database that accepts writes. */
  acceptsBookings(): boolean {
    return !this.lowOnSpace() && this.writes.state !== 'failing';
  }

  status(): StorageStatus {
    const q = this.writes.health();
    const base = { state: q.state, queued: q.queued, waitingMs: q.waitingMs, freeBytes: this.freeBytes, reserveBytes: this.reserveBytes };
    if (this.lowOnSpace())
      return { ...base, writable: false, reason: `disk almost full: ${mib(this.freeBytes!)} free where the database lives, below the reserve of ${mib(this.reserveBytes)}` };
    if (q.state === 'failing') return { ...base, writable: false, reason: `database refuses writes: ${q.lastError ?? 'failing'}` };
    if (q.waitingMs > STALLED_MS)
      return { ...base, writable: false, reason: `database locked by another process: a write has waited ${Math.round(q.waitingMs / 1000)} s (${q.lastError ?? 'busy'})` };
    return { ...base, writable: true };
  }

  private lowOnSpace(): boolean {
    return this.freeBytes !== null && this.freeBytes < this.reserveBytes;
  }
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
