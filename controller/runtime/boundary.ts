// Error boundaries: every way work enters the controller (an ARI event, an HTTP request, a
// timer, a scheduled job, a dispatch pass) runs inside one, so that one bad input, one
// library bug or one failing disk degrades only what it touched. The error is logged with
// the ids of what it touched (call, request, job), counted as ivr_errors_total{where}, and
// handed to the entry's own fallback (a caller goes on to the dialplan's apology, an HTTP
// client gets a 500); everything else goes on, the process keeps running.
import type { Logger } from 'pino';

export type Ids = Record<string, unknown>;

export interface ErrorCounter {
  (where: string): void;
}

export class Boundary {
  constructor(
    private readonly log: Pick<Logger, 'error'>,
    private readonly count: ErrorCounter,
  ) {}

  /** Logs and counts an error caught somewhere else (a .catch of our own). */
  report(where: string, err: unknown, ids: Ids = {}): void {
    this.count(where);
    const e = err instanceof Error ? err : new Error(String(err));
    this.log.error({ ...ids, where, err: e.message, stack: e.stack }, `error in ${where}`);
  }

  /**
   * Runs `work` now; a throw or a rejected promise is reported and then handed to
   * `fallback` (itself guarded: a failing fallback is reported, never thrown).
   */
  run(where: string, ids: Ids, work: () => unknown, fallback?: (err: unknown) => unknown): void {
    const failed = (err: unknown): void => {
      this.report(where, err, ids);
      if (!fallback) return;
      try {
        const p = fallback(err);
        if (isPromise(p)) p.then(undefined, (e: unknown) => this.report(`${where}:fallback`, e, ids));
      } catch (e) {
        this.report(`${where}:fallback`, e, ids);
      }
    };
    try {
      const p = work();
      if (isPromise(p)) p.then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  }

  /** A function that runs `fn` inside a boundary each time it is called (event handlers). */
  wrap<A extends unknown[]>(
    where: string,
    fn: (...args: A) => unknown,
    ids: (...args: A) => Ids = () => ({}),
    fallback?: (err: unknown, ...args: A) => unknown,
  ): (...args: A) => void {
    return (...args: A) => {
      let context: Ids = {};
      try {
        context = ids(...args);
      } catch {
        /* ids are a courtesy: an event too malformed to name still gets its boundary */
      }
      this.run(where, context, () => fn(...args), fallback && ((err) => fallback(err, ...args)));
    };
  }

  /** setTimeout whose callback runs inside the boundary. */
  timeout(where: string, ids: Ids, ms: number, fn: () => unknown): NodeJS.Timeout {
    return setTimeout(() => this.run(where, ids, fn), ms);
  }
}

/**
 * The process-wide last resort: a rejection nobody handled, or an exception thrown from a
 * callback outside every boundary (a library's socket handler). Logged and counted, never
 * silent. The process keeps running, since every entry of ours has its own boundary and the
 * error most likely touched one request or call; but a storm of them (`maxPerMinute`) means
 * the process is in a state nobody planned for, and it exits so that the supervisor starts a
 * clean one, whose recovery keeps the calls in progress.
 */
export function installProcessBoundary(boundary: Boundary, exit: (code: number) => void, maxPerMinute = 20): () => void {
  const recent: number[] = [];
  const storm = (): void => {
    const now = Date.now();
    recent.push(now);
    while (recent.length > 0 && now - recent[0]! > 60_000) recent.shift();
    if (recent.length > maxPerMinute) exit(70);
  };
  const onRejection = (reason: unknown): void => {
    boundary.report('unhandled_rejection', reason);
    storm();
  };
  const onException = (err: Error): void => {
    boundary.report('uncaught_exception', err);
    storm();
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
