// Rings a group of operator phones for a caller: all at once, or one at a time (longest
// idle first, perPhoneMs each), until the threshold. First answer wins; every other leg is
// hung up. Resolves once: answered (with the leg left up for bridging) or unanswered.
// The one ring-group helper of the inbound calls and the transfers: it holds every phone
// of the group for the whole ringing (nobody else may ring them), and gives back each one
// but the winner exactly once: as its leg ends, or at the end for a phone a hunt never rang.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CallTracker, TelephonyPort } from './port';
import { ignored } from '../runtime/ignored';

export type RingOutcome = { answered: true; operator: string; legId: string } | { answered: false; rung: string[] };

export interface RingPlan {
  phones: string[];
  strategy: 'all' | 'longest-idle';
  perPhoneMs: number;
  totalMs: number;
  callerId: string;
  /** Stasis args of the legs, so a restarted controller can tell what they were */
  appArgs: string[];
}

interface Leg {
  id: string;
  operator: string;
  detach: () => void;
  timer?: NodeJS.Timeout;
}

/** Who may ring a phone now (the operators' presence): held while the group rings, released after. */
export interface PhoneHold {
  engage(phone: string): void;
  release(phone: string, talked: boolean): void;
}

export class GroupRinger {
  private readonly legs = new Map<string, Leg>();
  private settled = false;
  private resolve!: (o: RingOutcome) => void;
  private totalTimer: NodeJS.Timeout | undefined;
  private next = 0;
  private readonly rung: string[] = [];
  private readonly released = new Set<string>();
  readonly outcome: Promise<RingOutcome>;

  constructor(
    private readonly plan: RingPlan,
    private readonly port: TelephonyPort,
    private readonly tracker: CallTracker,
    private readonly log: Logger,
    private readonly hold: PhoneHold,
  ) {
    this.outcome = new Promise((r) => (this.resolve = r));
  }

  start(): void {
    for (const p of this.plan.phones) this.hold.engage(p);
    this.totalTimer = setTimeout(() => this.finish(undefined), this.plan.totalMs);
    if (this.plan.strategy === 'all') for (const p of this.plan.phones) this.ringGuarded(p, this.plan.totalMs);
    else this.ringNext();
  }

  /** Stops every ringing leg (the caller hung up, or the threshold passed). */
  cancel(): void {
    this.finish(undefined);
  }

  private ringNext(): void {
    if (this.settled || this.plan.phones.length === 0) return;
    const phone = this.plan.phones[this.next++ % this.plan.phones.length]!;
    this.ringGuarded(phone, this.plan.perPhoneMs);
  }

  private ringGuarded(operator: string, ms: number): void {
    this.ring(operator, ms).catch((err: Error) => this.log.error({ operator, err: err.message }, 'ringing an operator failed'));
  }

  private async ring(operator: string, ms: number): Promise<void> {
    if (this.settled) return;
    const leg: Leg = { id: `leg-${randomUUID()}`, operator, detach: () => undefined };
    this.legs.set(leg.id, leg);
    this.rung.push(operator);
    leg.detach = this.tracker.attachCall(leg.id, {
      onDtmf: () => undefined,
      onEnterApp: () => this.answered(leg),
      onGone: () => this.legEnded(leg),
    });
    // our own timer ends the leg; the originate timeout is only a backstop
    leg.timer = setTimeout(() => void this.dropLeg(leg, true), ms);
    try {
      await this.port.originate({
        endpoint: `PJSIP/${operator}`,
        channelId: leg.id,
        callerId: this.plan.callerId,
        timeoutSec: Math.ceil(ms / 1000) + 2,
        appArgs: this.plan.appArgs,
      });
    } catch (err) {
      this.log.warn({ operator, err: (err as Error).message }, 'could not ring operator');
      this.legEnded(leg);
    }
  }

  private answered(leg: Leg): void {
    if (this.settled) {
      void this.dropLeg(leg, false); // answered too late: the caller is gone or was offered the callback
      return;
    }
    clearTimeout(leg.timer);
    leg.detach();
    this.legs.delete(leg.id);
    this.finish({ answered: true, operator: leg.operator, legId: leg.id });
  }

  private legEnded(leg: Leg): void {
    if (!this.legs.has(leg.id)) return;
    clearTimeout(leg.timer);
    leg.detach();
    this.legs.delete(leg.id);
    this.releasePhone(leg.operator);
    // hunting: the next phone; ring-all: the others keep ringing until the threshold
    if (!this.settled && this.plan.strategy === 'longest-idle') this.ringNext();
  }

  private async dropLeg(leg: Leg, moveOn: boolean): Promise<void> {
    await this.port.hangup(leg.id).catch(ignored(this.log, 'hang up'));
    if (moveOn) this.legEnded(leg);
  }

  private finish(outcome: RingOutcome | undefined): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.totalTimer);
    for (const leg of [...this.legs.values()]) {
      clearTimeout(leg.timer);
      void this.port.hangup(leg.id).catch(ignored(this.log, 'hang up'));
      // the hang-up's own event arrives later; account for the leg now
      leg.detach();
      this.legs.delete(leg.id);
      this.releasePhone(leg.operator);
    }
    // a hunt may end before reaching every phone it held
    for (const p of this.plan.phones) if (!(outcome?.answered && outcome.operator === p)) this.releasePhone(p);
    this.resolve(outcome ?? { answered: false, rung: [...new Set(this.rung)] });
  }

  private releasePhone(phone: string): void {
    if (this.released.has(phone)) return;
    this.released.add(phone);
    this.hold.release(phone, false);
  }
}
