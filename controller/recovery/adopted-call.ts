// A conversation kept across a controller restart (plan.ts): the new process did not build
// it and knows nothing of its stage, so it does the least that keeps it correct: it routes
// the channels' events here, puts a caller whose transfer was interrupted back with the
// operator, and when either side hangs up, hangs up the rest and removes the bridge.
// Operator keys are not acted on (no transfer, no outcome code): the caller's profile shows
// the call as recovered; no outcome is recorded for it (nobody is asked).
import type { Logger } from 'pino';
import type { CallTracker } from '../telephony/port';
import { commonMedia } from '../prompts/media';
import type { Lang } from '../config/languages';
import { Leg } from '../telephony/leg';
import type { TelephonyPort } from '../telephony/port';
import type { KeptConversation } from './plan';
import { ignored } from '../runtime/ignored';

export interface AdoptedEnd {
  /** the first channel seen gone */
  first: string;
  cause: number | null;
}

export class AdoptedCall {
  private readonly legs: Leg[];
  private ended = false;
  readonly done: Promise<AdoptedEnd>;
  private resolveDone!: (e: AdoptedEnd) => void;

  constructor(
    readonly kept: KeptConversation,
    private readonly port: TelephonyPort,
    tracker: CallTracker,
    private readonly log: Logger,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.legs = kept.channels.map((id) => new Leg(id, port, tracker));
    for (const leg of this.legs) leg.onGone(() => void this.end(leg));
  }

  /** Rejoins the caller when needed; then checks no channel vanished while nobody listened. */
  async start(callerLang: Lang): Promise<void> {
    if (this.kept.rejoin) {
      await this.port.stopMoh(this.kept.caller).catch(ignored(this.log, 'stop the hold music'));
      await this.port.addToBridge(this.kept.bridgeId, [this.kept.caller]);
      void this.port.play(this.kept.caller, [commonMedia('transfer-back', callerLang)], new AbortController().signal).catch(ignored(this.log, 'play'));
    }
    const existing = new Set((await this.port.listChannels()).map((c) => c.id));
    for (const leg of this.legs) if (!existing.has(leg.id)) leg.markGone(null);
  }

  private async end(first: Leg): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await Promise.all(this.legs.filter((l) => l !== first).map((l) => l.hangup()));
    for (const l of this.legs) l.release();
    await this.port.destroyBridge(this.kept.bridgeId).catch(ignored(this.log, 'destroy the bridge'));
    this.log.info({ bridgeId: this.kept.bridgeId, first: first.id, cause: first.cause }, 'recovered conversation ended');
    this.resolveDone({ first: first.id, cause: first.cause });
  }
}
