// Entry point of every channel that enters the Stasis application: starts the IVR for a
// caller on a directorate's number, and reconciles after a (re)connection.
import type { Logger } from 'pino';
import { nationalFromCallerId, checkCallbackNumber } from '../callbacks/numbering-plan';
import type { Config } from '../config/schema';
import { isOpen } from '../schedule/service-hours';
import type { CallbacksRepo } from '../storage/callbacks-repo';
import type { CallsRepo } from '../storage/calls-repo';
import type { StasisChannel, TelephonyPort } from '../telephony/port';
import { FALLBACK, InboundCall, type InboundDeps } from './inbound-call';


export class InboundService {
  private readonly active = new Map<string, InboundCall>();

  private readonly port: TelephonyPort;
  private readonly calls: CallsRepo;
  private readonly callbacks: CallbacksRepo;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(
    private readonly config: Config,
    private readonly deps: InboundDeps,
    /** a callback was booked: the dispatcher may act at once */
    private readonly onBooked: (dp: string) => void = () => undefined,
  ) {
    ({ port: this.port, calls: this.calls, callbacks: this.callbacks, log: this.log, now: this.now } = deps);
  }

  /** Numbers on the line with us now: a callback to them would find them busy. */
  numbersOnLine(): Set<string> {
    return new Set([...this.active.values()].map((c) => c.number).filter((n): n is string => n !== null));
  }

  /** Callers of a directorate whose group is ringing now (callbacks wait for them). */
  ringing(dp: string): number {
    let n = 0;
    for (const c of this.active.values()) if (c.dpId === dp && c.phase === 'ringing') n++;
    return n;
  }

  /** The calls with us now, for the console's live page. */
  liveCalls(): Array<ReturnType<InboundCall['live']>> {
    return [...this.active.values()].map((c) => c.live());
  }

  get activeCount(): number {
    return this.active.size;
  }

  handleStasisStart(ch: StasisChannel): void {
    // every line of the call carries its id and directorate
    const log = this.log.child({ channelId: ch.id, dp: ch.args[1] });
    const [kind, dpId] = ch.args;
    if (kind === 'leg' || kind === 'callback') {
      // an operator's or a callback's leg whose call we no longer know (answered after a restart)
      log.warn({ args: ch.args }, 'orphan operator leg; hanging up');
      void this.port.hangup(ch.id).catch(() => undefined);
      return;
    }
    const dp = this.config.directorates.find((d) => d.id === dpId);
    if (kind !== 'inbound' || !dp) {
      // e.g. a dialplan generated from another configuration: apologise, do not strand
      log.error({ args: ch.args }, 'StasisStart for an unknown directorate; sending to fallback');
      void this.port.continueInDialplan(ch.id, FALLBACK.context, FALLBACK.extension, FALLBACK.priority).catch((err: Error) => log.error({ err: err.message }, 'fallback failed'));
      return;
    }
    const raw = ch.callerNumber && !/^(anonymous|unknown|restricted|private)$/i.test(ch.callerNumber) ? ch.callerNumber : null;
    const national = raw ? nationalFromCallerId(raw) : undefined;
    const callerNumber = national && checkCallbackNumber(national).ok ? national : undefined;
    const now = this.now();
    this.calls.start({ id: ch.id, dp: dp.id, caller: national ?? raw, dialed: ch.dialed, at: now });
    const pending = callerNumber ? this.callbacks.live(dp.id, callerNumber) : undefined;
    const open = isOpen(dp.hours, now);
    log.info({ dp: dp.id, caller: raw, dialed: ch.dialed, open, pending: pending?.id }, 'inbound call');
    const call = new InboundCall(
      ch.id,
      dp,
      { dp: dp.id, callerNumber, open, offerWhenClosed: dp.callback.offerWhenClosed, english: dp.languages.includes('en'), pending, rings: dp.ringsBeforeCallback },
      raw,
      national ?? raw,
      { ...this.deps, log },
      (reason, booked) => {
        this.active.delete(ch.id);
        if (booked) this.onBooked(dp.id);
        const result = call.live().operator ? 'answered' : booked ? 'booked' : reason === 'caller_hangup' ? 'abandoned' : reason === 'lost' ? 'lost' : 'not_put_through';
        this.deps.observe?.callEnded(dp.id, result);
        log.info({ reason, result }, 'call ended');
      },
    );
    this.active.set(ch.id, call);
  }

  /**
   * After a (re)connection: events may have been lost while the websocket was down.
   * Calls we track whose channel no longer exists are closed; channels sitting in our
   * application that we do not track (the controller restarted under them) are handed to
   * the dialplan apology rather than left in silence.
   */
  async reconcile(): Promise<void> {
    const inApp = new Set(await this.port.applicationChannels());
    const existing = new Set((await this.port.listChannels()).map((c) => c.id));
    for (const [id, call] of this.active) if (!existing.has(id)) call.gone(null);
    for (const id of inApp) {
      if (this.active.has(id) || this.deps.tracker.isTracked(id)) continue;
      if (id.startsWith('leg-') || id.startsWith('cb')) {
        await this.port.hangup(id).catch(() => undefined); // a leg of a call this controller lost
        continue;
      }
      this.log.warn({ channelId: id }, 'untracked channel in the application after reconnect; sending to fallback');
      await this.port.continueInDialplan(id, FALLBACK.context, FALLBACK.extension, FALLBACK.priority).catch(() => undefined);
    }
    // rows left open by a controller that died: their channels are gone or just handed back
    for (const row of this.calls.open()) if (!this.active.has(row.id)) this.calls.end(row.id, this.now(), 'lost', null);
  }
}
