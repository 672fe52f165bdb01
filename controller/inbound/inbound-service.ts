// Entry point of every channel that enters the Stasis application: starts the IVR for a
// caller on a directorate's number, and reconciles after a (re)connection.
import type { Logger } from 'pino';
import { callerIdNumber, nationalFromCallerId, checkCallbackNumber } from '../numbering/numbering-plan';
import { callTiming, type Config, type Directorate } from '../config/schema';
import { isOpen } from '../schedule/service-hours';
import type { StasisChannel, TelephonyPort } from '../telephony/port';
import { closurePromptName } from '../prompts/catalog';
import { commonMedia } from '../prompts/media';
import { AdoptedCall } from '../recovery/adopted-call';
import { planRecovery, type KeptConversation } from '../recovery/plan';
import { FALLBACK } from '../telephony/port';
import { InboundCall, type InboundDeps } from './inbound-call';
import { asLang, languageChoices, type Lang } from '../config/languages';
import { ignored } from '../runtime/ignored';
import { withTimeout } from '../runtime/timeout';

/** the caller's live request not read within this long: the call goes on as if there were none (a booking then finds it) */
export const PENDING_LOOKUP_MS = 1000;

export class InboundService {
  private readonly active = new Map<string, InboundCall>();
  /** channels of conversations kept across a restart (recovery/) */
  private readonly adopted = new Set<string>();

  private readonly port: TelephonyPort;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(
    private readonly config: Config,
    private readonly deps: InboundDeps,
    /** a callback was booked: the dispatcher may act at once */
    private readonly onBooked: (dp: string) => void = () => undefined,
    /** an operator's feature code (*41 pause, *42 resume): false when there is no such operator */
    private readonly setPaused: (operator: string, paused: boolean) => Promise<boolean> = async () => false,
  ) {
    ({ port: this.port, log: this.log, now: this.now } = deps);
  }

  /** Numbers on the line with us now: a callback to them would find them busy. */
  numbersOnLine(): Set<string> {
    return new Set([...this.active.values()].map((c) => c.number).filter((n): n is string => n !== null));
  }

  /** Callers of a directorate whose group (the operators, or an office) is ringing now: callbacks wait for them. */
  ringing(dp: string, group = 'operators'): number {
    let n = 0;
    for (const c of this.active.values()) if (c.dpId === dp && c.phase === 'ringing' && c.group === group) n++;
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
    if (kind === 'feature') return void this.feature(ch, dpId === 'pause').catch((err: Error) => log.error({ err: err.message }, 'feature code failed'));
    if (kind === 'leg' || kind === 'callback') {
      // an operator's or a callback's leg whose call we no longer know (answered after a restart)
      log.warn({ args: ch.args }, 'orphan operator leg; hanging up');
      void this.port.hangup(ch.id).catch(ignored(this.log, 'hang up'));
      return;
    }
    const dp = this.config.directorates.find((d) => d.id === dpId);
    if (kind !== 'inbound' || !dp) {
      // e.g. a dialplan generated from another configuration: apologise, do not strand
      log.error({ args: ch.args }, 'StasisStart for an unknown directorate; sending to fallback');
      void this.port.continueInDialplan(ch.id, FALLBACK.context, FALLBACK.extension, FALLBACK.priority).catch((err: Error) => log.error({ err: err.message }, 'fallback failed'));
      return;
    }
    // shown on the operators' phones and kept in the records: a number's characters only
    const raw = callerIdNumber(ch.callerNumber) ?? null;
    const national = raw ? nationalFromCallerId(raw) : undefined;
    const callerNumber = national && checkCallbackNumber(national).ok ? national : undefined;
    const now = this.now();
    this.deps.records.callStarted({ id: ch.id, dp: dp.id, caller: national ?? raw, dialed: ch.dialed, at: now });
    // The caller's live request decides the menu after the welcome, so it is read before the
    // flow starts: at once on one box, a round trip to the shared database in a cluster. A
    // hang-up meanwhile is kept and handed to the flow once it runs (no key can come: the
    // channel is answered by the flow, and nothing the caller sends is heard before).
    const early: Array<(call: InboundCall) => void> = [];
    const detachEarly = this.deps.tracker.attachCall(ch.id, { onDtmf: () => undefined, onGone: (cause) => early.push((c) => c.gone(cause)) });
    void this.pendingOf(dp.id, callerNumber, log)
      .then((pending) => {
        detachEarly();
        const call = this.startCall(ch, dp, { raw, national, callerNumber, now, pending }, log);
        for (const replay of early) replay(call);
      })
      .catch((err: unknown) => {
        detachEarly();
        this.channelFailed(ch.id, err);
      });
  }

  /** The number's live request at the directorate; none when it cannot be read in time (logged). */
  private async pendingOf(dp: string, number: string | undefined, log: Logger): Promise<{ id: number; position: number } | undefined> {
    if (!number) return undefined;
    try {
      return await withTimeout(this.deps.records.pendingBooking(dp, number), PENDING_LOOKUP_MS, 'the live request');
    } catch (err) {
      log.warn({ err: (err as Error).message }, "the caller's live request could not be read: the call goes on without it");
      return undefined;
    }
  }

  private startCall(
    ch: StasisChannel,
    dp: Directorate,
    c: { raw: string | null; national: string | undefined; callerNumber: string | undefined; now: Date; pending: { id: number; position: number } | undefined },
    log: Logger,
  ): InboundCall {
    const { raw, national, callerNumber, now, pending } = c;
    const open = isOpen(dp.hours, now, this.deps.closures?.intervals(dp.id));
    const closed = this.deps.closures?.live(dp.id, now);
    // its own message once built; until then (a few seconds after the closure) the generic one
    const closure = closed && {
      id: closed.closure.id,
      prompt: closed.spoken ? ({ kind: 'dp', name: closurePromptName(closed.closure.id) } as const) : ({ kind: 'common', name: 'office-closed-extraordinary' } as const),
      offerCallback: closed.closure.offerCallback,
    };
    log.info({ dp: dp.id, caller: raw, dialed: ch.dialed, open, closure: closure?.id, pending: pending?.id }, 'inbound call');
    const call = new InboundCall(
      ch.id,
      dp,
      {
        dp: dp.id,
        callerNumber,
        open,
        offerWhenClosed: dp.callback.offerWhenClosed,
        languages: languageChoices(dp.languages),
        pending,
        rings: dp.ringsBeforeCallback,
        timing: callTiming(this.config.timing, dp),
        offices: dp.menu,
        ...(closure ? { closure } : {}),
      },
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
    return call;
  }

  /**
   * *41 / *42 dialled from an operator's phone: their station paused or resumed, confirmed
   * with a short prompt. The operator is the phone's endpoint ("PJSIP/st1-00000012" -> st1).
   */
  private async feature(ch: StasisChannel, pause: boolean): Promise<void> {
    const operator = /^PJSIP\/(.+)-[0-9a-f]+$/.exec(ch.name)?.[1];
    const ok = operator ? await this.setPaused(operator, pause) : false;
    this.log.info({ operator, pause, ok }, 'station changed from the phone');
    await this.port.answer(ch.id);
    const prompt = !ok ? 'op-transfer-unknown' : pause ? 'op-paused' : 'op-resumed';
    await this.port.play(ch.id, [commonMedia(prompt, 'it')], new AbortController().signal).catch(ignored(this.log, 'play'));
    await this.port.hangup(ch.id).catch(ignored(this.log, 'hang up'));
  }

  /**
   * Handling an event of this channel failed (the gateway's error boundary): a caller of ours
   * goes on to the apology through its flow; a channel no flow owns yet (its StasisStart
   * failed) is handed to the dialplan's apology directly. Nobody else is touched.
   */
  channelFailed(channelId: string, err: unknown): void {
    const call = this.active.get(channelId);
    if (call) return call.fail(err instanceof Error ? err.message : String(err));
    if (this.deps.tracker.isTracked(channelId) || this.adopted.has(channelId)) return; // an operator's leg: its flow ends it
    void this.port
      .continueInDialplan(channelId, FALLBACK.context, FALLBACK.extension, FALLBACK.priority)
      .catch(() => this.port.hangup(channelId).catch(ignored(this.log, 'hang up')));
  }

  /**
   * After a (re)connection: events may have been lost while the websocket was down.
   * Calls we track whose channel no longer exists are closed. Channels in our application
   * that no flow of ours routes (a controller died under them) are recovered as
   * recovery/plan.ts decides: conversations kept, callers handed to the apology rather than
   * left in silence, the rest hung up.
   * @param initial the process's first connection (empty bridges are then a dead one's)
   */
  async reconcile(initial = false): Promise<void> {
    const [inApp, channels, bridges] = await Promise.all([this.port.applicationChannels(), this.port.listChannels(), this.port.listBridges()]);
    const byId = new Map(channels.map((c) => [c.id, c]));
    for (const [id, call] of this.active) if (!byId.has(id)) call.gone(null);
    // in the application, or one of our originated legs still ringing (not in it yet)
    const ours = new Set([...inApp, ...channels.filter((c) => /^(leg-|cbop-|cbcl-)/.test(c.id)).map((c) => c.id)]);
    const orphans = [...ours]
      .filter((id) => byId.has(id) && !this.active.has(id) && !this.deps.tracker.isTracked(id) && !this.adopted.has(id))
      .map((id) => ({ id, args: byId.get(id)!.args, up: byId.get(id)!.state === 'Up' }));
    const plan = planRecovery(orphans, bridges, initial);
    for (const kept of plan.keep) this.adopt(kept, asLang(byId.get(kept.caller)?.language));
    for (const id of plan.hangup) await this.port.hangup(id).catch(ignored(this.log, 'hang up')); // a leg of a call this controller lost
    for (const id of plan.fallback) {
      this.log.warn({ channelId: id }, 'untracked channel in the application after reconnect; sending to fallback');
      await this.port.stopTone(id).catch(ignored(this.log, 'stop the ringback')); // the ringback would hold the continue forever
      await this.port.continueInDialplan(id, FALLBACK.context, FALLBACK.extension, FALLBACK.priority).catch(ignored(this.log, 'send the call to the apology'));
    }
    for (const id of plan.destroyBridges) await this.port.destroyBridge(id).catch(ignored(this.log, 'destroy the bridge'));
    // rows left open by a controller that died: their channels are gone or just handed back
    const at = this.now();
    for (const row of await this.deps.records.openCalls()) if (!this.active.has(row.id) && !this.adopted.has(row.id)) this.deps.records.callEnded(row.id, at, 'lost', null);
  }

  /** A conversation a dead controller left bridged: kept until one side hangs up. */
  private adopt(kept: KeptConversation, lang: Lang): void {
    const log = this.log.child({ channelId: kept.caller, callId: kept.callId });
    const call = new AdoptedCall(kept, this.port, this.deps.tracker, log);
    for (const id of kept.channels) this.adopted.add(id);
    log.warn({ bridgeId: kept.bridgeId, channels: kept.channels, rejoin: kept.rejoin }, 'conversation left by a previous controller kept');
    const callId = kept.callId;
    const { records } = this.deps;
    const at = this.now();
    if (callId) records.event(callId, at, 'recovered', { rejoined: kept.rejoin });
    void call.start(lang).catch((err: Error) => log.error({ err: err.message }, 'recovered conversation could not be resumed'));
    void call.done
      .then(async ({ first, cause }) => {
        for (const id of kept.channels) this.adopted.delete(id);
        if (!callId) return;
        const reason = first === kept.caller ? 'caller_hangup' : 'completed';
        const end = this.now();
        records.event(callId, end, 'ended', { reason, cause, recovered: true });
        const closed = await records.closeCall(callId, end, reason, cause);
        if (closed) this.deps.observe?.callEnded(closed, 'answered');
      })
      .catch((err: Error) => log.error({ err: err.message }, 'recovered conversation could not be closed'));
  }
}
