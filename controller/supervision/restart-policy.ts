// When the supervisor starts the controller again after it ended. Pure, so that it is tested
// without processes. The rules:
//   - the very first run ending quickly with an error is a start-up failure (a bad config, a
//     port in use, a database that cannot be opened): restarting would only repeat it, so the
//     supervisor gives up and `make up` reports it;
//   - otherwise a crash is restarted at once (callers in the IVR hear the apology until the
//     new process recovers their calls: every second counts), and quick crashes in a row
//     back off, doubling up to MAX_DELAY_MS, so a process that cannot live does not spin;
//   - a run that lasted STABLE_MS resets the backoff.

export const FIRST_DELAY_MS = 200;
export const MAX_DELAY_MS = 10_000;
export const STABLE_MS = 30_000;
/** a first run that ends within this long with an error failed to start */
export const STARTUP_MS = 8_000;

export interface RunEnded {
  /** 1 for the first run of this supervisor */
  run: number;
  lastedMs: number;
  /** exit code, null when killed by a signal */
  code: number | null;
  signal: string | null;
  /** the supervisor was asked to stop */
  stopping: boolean;
}

export type Decision = { restart: true; delayMs: number } | { restart: false; exitCode: number; reason: string };

export class RestartPolicy {
  private delay = 0;

  decide(e: RunEnded): Decision {
    if (e.stopping) return { restart: false, exitCode: 0, reason: 'stopped' };
    if (e.run === 1 && e.lastedMs < STARTUP_MS && e.code !== null && e.code !== 0)
      return { restart: false, exitCode: e.code, reason: `the controller failed to start (exit ${e.code})` };
    this.delay = e.lastedMs >= STABLE_MS || this.delay === 0 ? FIRST_DELAY_MS : Math.min(MAX_DELAY_MS, this.delay * 2);
    return { restart: true, delayMs: this.delay };
  }
}
