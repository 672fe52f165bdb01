// Extraordinary closures in the running controller: kept in memory (a call's start and every
// dispatch pass ask, without a query), written before they take effect, their messages
// synthesized right after. Between the write and the end of the synthesis (a few seconds)
// callers hear the generic closure notice: never silence, never the menu.
import type { Logger } from 'pino';
import { spokenText, type Config, type Directorate } from '../config/schema';
import type { ClosureRow, ClosuresRepo } from '../storage/closures-repo';
import type { WriteQueue } from '../storage/write-queue';
import { closureAt, MAX_CLOSURE_DAYS, type Closure, type ClosureView } from './closures';
import type { ClosedInterval } from './service-hours';
import { ClosureRequestError } from '../errors';
import type { SharedClosures } from './shared-closures';

export interface ClosureRequest {
  dp: string;
  until: Date;
  messageIt?: string | undefined;
  messageEn?: string | undefined;
  /** default: the directorate's callback.offerWhenClosed */
  offerCallback?: boolean | undefined;
  /** "ivrctl:<user>" or "console:<user>" */
  by: string;
}

export interface ClosureOutcome {
  closure: ClosureRow;
  /** what callers hear: their own message (built), or the generic notice and why */
  message: { built: true } | { built: false; reason: string };
}

export const toClosure = (r: ClosureRow): Closure => ({
  id: r.id,
  dp: r.dp,
  from: new Date(r.startsAt),
  until: new Date(r.endsAt),
  messageIt: r.messageIt,
  messageEn: r.messageEn,
  offerCallback: r.offerCallback,
  createdAt: new Date(r.createdAt),
});

export interface ClosuresDeps {
  repo: ClosuresRepo;
  writes: WriteQueue;
  config: Config;
  synthesize(): Promise<unknown>;
  /** whether the audio of a closure's own message exists, in each of its directorate's languages (prompts/catalog.ts) */
  messageBuilt(dp: Directorate, c: Closure): boolean;
  /** a closure ended: waiting callbacks may go */
  onReopened(dp: string): void;
  log: Pick<Logger, 'info' | 'warn'>;
  now(): Date;
  /** the cluster mode: the closures are the shared database's, this node's copy pulled in step */
  shared?: SharedClosures;
}

export class ClosuresService implements ClosureView {
  private closures: Closure[] = [];
  private readonly spoken = new Set<number>();

  constructor(private readonly d: ClosuresDeps) {}

  /** From the database (at start, and after each change). */
  load(): void {
    this.closures = this.d.repo.live(this.d.now()).map(toClosure);
    for (const c of this.closures) {
      const dp = this.d.config.directorates.find((x) => x.id === c.dp);
      if (dp && this.d.messageBuilt(dp, c)) this.spoken.add(c.id);
    }
  }

  live(dp: string, at: Date): { closure: Closure; spoken: boolean } | undefined {
    const closure = closureAt(this.closures, dp, at);
    return closure && { closure, spoken: this.spoken.has(closure.id) };
  }

  intervals(dp: string): readonly ClosedInterval[] {
    return this.closures.filter((c) => c.dp === dp);
  }

  /** Closes `dp` from now until `until` (replacing a closure still live); resolves once its message is built or known not to be. */
  async close(req: ClosureRequest): Promise<ClosureOutcome> {
    const dp = this.d.config.directorates.find((x) => x.id === req.dp);
    if (!dp) throw new ClosureRequestError(`unknown directorate "${req.dp}"`);
    const now = this.d.now();
    if (req.until.getTime() <= now.getTime()) throw new ClosureRequestError(`the end of the closure (${req.until.toISOString()}) is not in the future`);
    if (req.until.getTime() > now.getTime() + MAX_CLOSURE_DAYS * 86_400_000)
      throw new ClosureRequestError(`a closure lasts at most ${MAX_CLOSURE_DAYS} days: put a longer one in the configuration`);
    for (const [field, text] of [
      ['message', req.messageIt],
      ['message-en', req.messageEn],
    ] as const) {
      if (text === undefined) continue;
      const r = spokenText.safeParse(text);
      if (!r.success) throw new ClosureRequestError(`${field}: ${r.error.issues[0]!.message}`);
    }
    if (req.messageEn !== undefined && !dp.languages.includes('en')) throw new ClosureRequestError(`message-en: ${dp.id} does not offer English`);
    const write = {
      dp: dp.id,
      from: now,
      until: req.until,
      messageIt: req.messageIt ?? null,
      messageEn: req.messageEn ?? null,
      offerCallback: req.offerCallback ?? dp.callback.offerWhenClosed,
      by: req.by,
      at: now,
    };
    const shared = this.d.shared;
    const id = shared
      ? await shared.close(write).then(async (x) => (await shared.pull(), x))
      : await this.d.writes.apply('closure', () => this.d.repo.close(write), { deadlineMs: 10_000, failFast: true });
    this.load();
    this.d.log.info({ dp: dp.id, closure: id, until: req.until.toISOString(), by: req.by }, 'directorate closed');
    const closure = this.d.repo.get(id)!;
    try {
      await this.d.synthesize();
      this.load();
    } catch (err) {
      this.d.log.warn({ dp: dp.id, closure: id, err: (err as Error).message }, 'closure message not built: callers hear the generic closure notice');
      return { closure, message: { built: false, reason: (err as Error).message } };
    }
    return { closure, message: this.spoken.has(id) ? { built: true } : { built: false, reason: 'the message was not found after the synthesis' } };
  }

  /** Ends the live closure of `dp` now; false when it was not closed. */
  async reopen(dp: string, by: string): Promise<boolean> {
    if (!this.d.config.directorates.some((x) => x.id === dp)) throw new ClosureRequestError(`unknown directorate "${dp}"`);
    const shared = this.d.shared;
    const n = shared
      ? await shared.reopen(dp, by, this.d.now()).then(async (x) => (await shared.pull(), x))
      : await this.d.writes.apply('closure_reopen', () => this.d.repo.reopen(dp, by, this.d.now()), { deadlineMs: 10_000, failFast: true });
    this.load();
    if (n > 0) {
      this.d.log.info({ dp, by }, 'directorate reopened');
      this.d.onReopened(dp);
    }
    return n > 0;
  }

  /**
   * The cluster mode: another node's closures and reopenings, pulled into this node's copy;
   * the message of a closure new here is built for this node's Asterisk, and a directorate
   * reopened elsewhere may call back at once.
   */
  async sync(): Promise<void> {
    const shared = this.d.shared;
    if (!shared || !(await shared.pull())) return;
    const closedBefore = new Set(this.closures.map((c) => c.dp));
    this.load();
    const closedNow = new Set(this.closures.map((c) => c.dp));
    this.d.log.info({ closed: [...closedNow] }, 'closures changed on another node');
    for (const dp of closedBefore) if (!closedNow.has(dp)) this.d.onReopened(dp);
    if (this.closures.some((c) => !this.spoken.has(c.id))) {
      await this.d.synthesize().catch((err: Error) => this.d.log.warn({ err: err.message }, 'closure message not built: callers hear the generic closure notice'));
      this.load();
    }
  }

  /** Each directorate's state now, for ivrctl dp list and the console. */
  states(): Array<{ dp: string; closure: ClosureRow | undefined; spoken: boolean }> {
    const now = this.d.now();
    return this.d.config.directorates.map((dp) => {
      const c = closureAt(this.closures, dp.id, now);
      return { dp: dp.id, closure: c && this.d.repo.get(c.id), spoken: c ? this.spoken.has(c.id) : false };
    });
  }
}
