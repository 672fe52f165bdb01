// One channel as a call flow sees it: its events gathered in one listener bag (attached to
// the gateway's per-channel dispatch, detached once), its end as an AbortSignal, and the
// few waits the callback flows need (answer, a key, a prompt with barge-in), each
// cancellable and each resolved, never left hanging, when the channel goes.
import type { CallTracker, TelephonyPort } from './port';
import { ChannelGone } from '../errors';

type DigitWaiter = (digit: string) => boolean;

/** no prompt of ours lasts this long */
const ASK_BACKSTOP_MS = 120_000;

export class Leg {
  private readonly ended = new AbortController();
  private answeredResolve!: () => void;
  /** resolves when an originated channel answers and enters the application */
  readonly answered: Promise<void>;
  /** Q.850 cause of the hang-up, once gone */
  cause: number | null = null;
  isAnswered = false;
  private waiters: DigitWaiter[] = [];
  private readonly detach: () => void;
  private onGoneHooks: Array<() => void> = [];

  constructor(
    readonly id: string,
    private readonly port: TelephonyPort,
    tracker: CallTracker,
  ) {
    this.answered = new Promise((r) => (this.answeredResolve = r));
    this.detach = tracker.attachCall(id, {
      onDtmf: (digit) => {
        // the newest waiter first: a nested wait (a code after "*") sees its keys
        for (let i = this.waiters.length - 1; i >= 0; i--) if (this.waiters[i]!(digit)) return;
      },
      onEnterApp: () => {
        this.isAnswered = true;
        this.answeredResolve();
      },
      onGone: (cause) => this.markGone(cause),
    });
  }

  get signal(): AbortSignal {
    return this.ended.signal;
  }

  get gone(): boolean {
    return this.ended.signal.aborted;
  }

  /** Marks the channel gone (its events, or a reconciliation that found it missing). */
  markGone(cause: number | null): void {
    if (this.gone) return;
    this.cause = cause;
    this.ended.abort();
    this.detach();
    for (const h of this.onGoneHooks.splice(0)) h();
  }

  onGone(hook: () => void): void {
    if (this.gone) hook();
    else this.onGoneHooks.push(hook);
  }

  /** Every key, until the returned function is called. handler returns true to consume it. */
  listen(handler: DigitWaiter): () => void {
    this.waiters.push(handler);
    return () => (this.waiters = this.waiters.filter((w) => w !== handler));
  }

  /** Hangs up; a channel already gone is what was wanted (the port logs its requests). */
  hangup(): Promise<void> {
    return this.port.hangup(this.id).catch(() => undefined);
  }

  /** Plays to the end (or until the signal / the channel's end). */
  async play(media: string[], signal?: AbortSignal): Promise<void> {
    if (this.gone) throw new ChannelGone(this.id);
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    this.signal.addEventListener('abort', stop, { once: true });
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await this.port.play(this.id, media, ac.signal);
    } finally {
      this.signal.removeEventListener('abort', stop);
      signal?.removeEventListener('abort', stop);
    }
    if (this.gone) throw new ChannelGone(this.id);
  }

  /**
   * Plays a prompt that a key accepted by `accept` interrupts (barge-in), then waits up to
   * waitMs for one. Resolves the key, or null when none came or the signal aborted the
   * question. Throws ChannelGone.
   */
  async ask(media: string[], waitMs: number, accept: (digit: string) => boolean = () => true, signal?: AbortSignal): Promise<string | null> {
    if (this.gone) throw new ChannelGone(this.id);
    const stopPrompt = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // a backstop: a playback whose end Asterisk never reports must not hold the call forever
    const backstop = setTimeout(() => stopPrompt.abort(), ASK_BACKSTOP_MS);
    let unlisten = (): void => undefined;
    let settled = false;
    const key = new Promise<string | null>((resolveKey) => {
      const resolve = (k: string | null): void => {
        settled = true;
        resolveKey(k);
      };
      unlisten = this.listen((d) => {
        if (!accept(d)) return false;
        resolve(d);
        return true;
      });
      this.signal.addEventListener('abort', () => resolve(null), { once: true });
      signal?.addEventListener('abort', () => resolve(null), { once: true });
      if (signal?.aborted) return resolve(null); // aborted before the question: no event will come
      void this.play(media, stopPrompt.signal)
        // the wait starts when the prompt ends, unless a key already answered
        .then(() => void (settled || (timer = setTimeout(() => resolve(null), waitMs))))
        .catch(() => resolve(null));
    });
    let k: string | null;
    try {
      k = await key;
    } finally {
      unlisten();
      stopPrompt.abort();
      clearTimeout(timer);
      clearTimeout(backstop);
    }
    if (k === null && this.gone) throw new ChannelGone(this.id);
    return k;
  }

  /** Stops routing this channel's events here (it lives on elsewhere, or is gone). */
  release(): void {
    this.detach();
  }
}

/** Resolves after ms, or at once when the signal aborts (then with false). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
