// Runs one caller's IVR flow (ivr-flow.ts) against the telephony port: executes each
// effect, feeds its result back as an event, one event at a time. Long operations run
// concurrently (a prompt plays while keys arrive); each has an AbortController or a timer
// that is cancelled when the call ends, so nothing outlives the caller.
import type { Logger } from 'pino';
import type { Directorate } from '../config/schema';
import { unitOfGroup } from '../config/schema';
import type { ClosureView } from '../schedule/closures';
import { Conversation, officialOf } from '../conversation/conversation';
import type { Presence } from '../operators/presence';
import { promptMedia, RINGBACK } from '../prompts/media';
import { currentOrNextWindow, localTime, sameLocalDay, zonedInstant } from '../schedule/service-hours';
import type { CallEventType } from '../vocabulary/call-events';
import type { CallRecords } from '../storage/call-records';
import type { BookingResult } from '../storage/callbacks-repo';
import type { CallEndReason, CallFacts } from '../storage/calls-repo';
import { Leg } from '../telephony/leg';
import { FALLBACK, type CallTracker, type TelephonyPort } from '../telephony/port';
import type { InboundObserver } from './call-results';
import { GroupRinger } from '../telephony/group-ringer';
import { startIvr, step, type CallContext, type IvrEffect, type IvrEvent, type IvrState } from './ivr-flow';
import { ignored } from '../runtime/ignored';
import { StorageUnavailable } from '../errors';

/** a booking not written after this long: the caller is asked to hold (hold music) */
export const BOOKING_HOLD_AFTER_MS = 1500;
/** a booking not written after this long is withdrawn: the caller hears it was not registered */
export const BOOKING_WAIT_MS = 20_000;

export interface InboundDeps {
  port: TelephonyPort;
  /** every record of the call: its row, events, booking, outcomes (storage/call-records.ts) */
  records: CallRecords;
  /** false while the database cannot take a booking (disk under its reserve, read-only...) */
  bookingsAccepted?: () => boolean;
  tracker: CallTracker;
  presence: Presence;
  log: Logger;
  now: () => Date;
  /** an operator finished a call (wrap-up included) */
  onOfficialFree?: (operator: string) => void;
  /** measurements for the metrics (monitoring/metrics.ts) */
  observe?: InboundObserver;
  /** extraordinary closures: their message, and no booking for a window inside one */
  closures?: ClosureView;
}

export class InboundCall {
  private state: IvrState;
  private readonly queue: IvrEvent[] = [];
  private processing = false;
  private ended = false;
  private hangupCause: number | null = null;
  private readonly plays = new Map<number, AbortController>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private ringer: GroupRinger | undefined;
  private ringback: AbortController | undefined;
  private ringStartedAt = 0;
  private conversation: Conversation | undefined;
  private readonly detach: () => void;

  constructor(
    readonly channelId: string,
    private readonly dp: Directorate,
    ctx: CallContext,
    private readonly callerNumberRaw: string | null,
    /** the number the caller's profile is kept under (national form when valid) */
    private readonly profileNumber: string | null,
    private readonly d: InboundDeps,
    private readonly onEnd: (reason: CallEndReason, booked: boolean) => void,
  ) {
    const t = startIvr(ctx);
    this.state = t.state;
    this.detach = d.tracker.attachCall(channelId, { onDtmf: (digit) => this.feed({ type: 'dtmf', digit }), onGone: (cause) => this.gone(cause) });
    this.run(t.effects);
  }

  private booked = false;
  /** whom the caller asked for ('operators' or 'unit:<id>'), once they chose */
  group = 'operators';
  /** for the console's live page */
  readonly startedAt = new Date();
  private ringingPhones: string[] = [];
  private answeredBy: string | null = null;

  /** What the console's live page shows of this call. */
  live(): { channelId: string; dp: string; number: string | null; phase: string; startedAt: string; ringing: string[]; operator: string | null; unitOfficial: string | null } {
    return {
      channelId: this.channelId,
      dp: this.dp.id,
      number: this.callerNumberRaw,
      phase: this.phase,
      startedAt: this.startedAt.toISOString(),
      ringing: this.ringingPhones,
      operator: this.answeredBy,
      unitOfficial: this.conversation?.unitOfficial ?? null,
    };
  }

  get dpId(): string {
    return this.dp.id;
  }

  /** the caller's number, for not calling back someone who is on the line with us */
  get number(): string | null {
    return this.profileNumber;
  }

  get phase(): string {
    return this.state.phase.step;
  }

  /** Handling this call failed outside its own steps: the caller goes on to the apology. */
  fail(message: string): void {
    this.feed({ type: 'error', message });
  }

  /** The channel is gone (caller hung up, or our hang-up completed). */
  gone(cause: number | null): void {
    if (this.ended) return;
    this.hangupCause = cause;
    this.feed(this.state.phase.step === 'hangingUp' ? { type: 'hungUp' } : { type: 'callerHungUp' });
  }

  private feed(event: IvrEvent): void {
    if (this.ended) return;
    this.queue.push(event);
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0 && !this.ended) {
        const e = this.queue.shift()!;
        if (e.type === 'dtmf') this.record('dtmf', { digit: e.digit, phase: this.state.phase.step });
        const t = step(this.state, e);
        this.state = t.state;
        this.run(t.effects);
        if (this.state.phase.step === 'done') this.finish(this.state.phase.reason);
      }
    } finally {
      this.processing = false;
    }
  }

  private run(effects: IvrEffect[]): void {
    for (const effect of effects) {
      this.execute(effect).catch((err: Error) => {
        if (this.ended) return; // the caller is gone: a late failure changes nothing
        this.d.log.error({ err: err.message, effect: effect.type }, 'call step failed');
        this.feed({ type: 'error', message: err.message });
      });
    }
  }

  private async execute(e: IvrEffect): Promise<void> {
    const { port } = this.d;
    switch (e.type) {
      case 'answer': {
        await port.answer(this.channelId);
        const at = this.d.now();
        this.d.records.callAnswered(this.channelId, at);
        return this.feed({ type: 'answered' });
      }
      case 'play': {
        const ac = new AbortController();
        this.plays.set(e.token, ac);
        const outcome = await port.play(
          this.channelId,
          e.prompts.flatMap((p) => promptMedia(p, this.state.lang, this.dp.id)),
          ac.signal,
        );
        this.plays.delete(e.token);
        if (outcome === 'failed' && !this.ended) this.d.log.error({ prompts: e.prompts }, 'prompt could not be played');
        return this.feed({ type: 'playDone', token: e.token });
      }
      case 'stopPlay':
        this.plays.get(e.token)?.abort();
        return;
      case 'startTimer':
        this.timers.set(
          e.token,
          setTimeout(() => {
            this.timers.delete(e.token);
            this.feed({ type: 'timeout', token: e.token });
          }, e.ms),
        );
        return;
      case 'setLanguage':
        this.updateCall({ language: e.lang });
        return port.setLanguage(this.channelId, e.lang);
      case 'checkOperators': {
        // the operators of the directorate's case, or the phones of the office the caller chose
        this.group = e.group;
        const unit = unitOfGroup(e.group);
        const a = unit
          ? await this.d.presence.available(this.dp.id, 'unit', unit)
          : await this.d.presence.available(this.dp.id, this.dp.case === 'switchboard' ? 'switchboard' : 'staff');
        this.record('operators', { available: a.phones, reason: a.reason });
        return this.feed({ type: 'operators', phones: a.phones, ...(a.reason ? { reason: a.reason } : {}) });
      }
      case 'ring':
        return this.ring(e.token, e.phones, e.ms);
      case 'stopRinging':
        this.stopRinging();
        return;
      case 'book':
        return this.book(e.number, e.path, e.rings, e.group);
      case 'cancelPending': {
        const at = this.d.now();
        const ok = await this.d.records.cancelBooking(e.id, 'cancelled by the caller', at, { deadlineMs: BOOKING_WAIT_MS }).catch((err: Error) => {
          if (!(err instanceof StorageUnavailable)) throw err;
          return false;
        });
        this.record('callback_cancelled', { id: e.id, ok });
        return this.feed({ type: 'cancelled' });
      }
      case 'record':
        if (e.event === 'menu' || e.event === 'language') this.updateCall({ menuPath: this.state.path.join(',') });
        if (e.event === 'offer') this.markOfferStart(); // its prompt is the next effect, in this same tick
        if (e.event === 'ringing_ended') this.ringingEnded(e.data as { answered: boolean; operator?: string; rings: number });
        this.record(e.event, e.data);
        return;
      case 'hangup':
        return port.hangup(this.channelId);
      case 'fallback':
        // hand the caller to the dialplan apology; if even that fails, at least hang up
        await port.continueInDialplan(this.channelId, FALLBACK.context, FALLBACK.extension, FALLBACK.priority).catch(() => port.hangup(this.channelId));
        return;
    }
  }

  private async ring(token: number, phones: string[], ms: number): Promise<void> {
    const caller = this.callerNumberRaw ?? 'anonimo';
    this.ringer = new GroupRinger(
      {
        phones,
        strategy: this.dp.ring.strategy,
        perPhoneMs: this.dp.ring.perPhoneSeconds * 1000,
        totalMs: ms,
        callerId: `"${this.dp.id} ${caller}" <${caller}>`,
        appArgs: ['leg', this.channelId],
      },
      this.d.port,
      this.d.tracker,
      this.d.log,
      this.d.presence,
    );
    this.ringback = new AbortController();
    const ringback = this.ringback;
    void this.d.port.play(this.channelId, [RINGBACK], ringback.signal).catch(ignored(this.d.log, 'play'));
    this.ringStartedAt = Date.now();
    this.record('ringing_started', { phones, strategy: this.dp.ring.strategy, thresholdMs: ms });
    this.ringer.start();
    this.ringingPhones = phones;
    const outcome = await this.ringer.outcome;
    this.ringingPhones = [];
    ringback.abort();
    if (this.ended) {
      if (outcome.answered) {
        await this.d.port.hangup(outcome.legId).catch(ignored(this.d.log, 'hang up'));
        this.d.presence.release(outcome.operator, false);
      }
      return;
    }
    const elapsedMs = Date.now() - this.ringStartedAt;
    if (!outcome.answered) return this.feed({ type: 'ringUnanswered', token, elapsedMs, rung: outcome.rung });
    // bridge the caller with the operator who answered first; the conversation owns the
    // operator's leg from here (transfer, outcome code, freeing the operator)
    const leg = new Leg(outcome.legId, this.d.port, this.d.tracker);
    const operator = outcome.operator;
    try {
      this.conversation = await Conversation.start(
        this.d,
        { dp: this.dp, number: this.profileNumber, callId: this.channelId, legArgs: ['leg', this.channelId], timing: this.state.ctx.timing, ...officialOf(this.group) },
        {
          channelId: this.channelId,
          lang: this.state.lang,
          onAlone: () => {
            this.record('operator_hangup', { operator });
            this.feed({ type: 'operatorHungUp' });
          },
        },
        leg,
        operator,
      );
    } catch (err) {
      // no bridge: the operator's leg must not stay up on its own
      await leg.hangup();
      leg.release();
      this.d.presence.release(operator, false);
      throw err;
    }
    if (this.ended) return this.conversation.callerGone();
    this.answeredBy = outcome.operator;
    this.feed({ type: 'ringAnswered', token, operator: outcome.operator, elapsedMs });
  }

  /** The flow counted the rings heard: they go into the call's row (and the metrics when answered). */
  private ringingEnded(r: { answered: boolean; operator?: string; rings: number }): void {
    if (r.answered && r.operator) {
      this.d.observe?.answeredAfter(this.dp.id, r.rings);
      this.updateCall({ answeredBy: r.operator, ringCount: r.rings });
    } else this.updateCall({ ringCount: r.rings });
  }

  private stopRinging(): void {
    this.ringback?.abort();
    this.ringer?.cancel();
  }

  private offerMarked = false;
  /** The first offer prompt after ringing: how long after the N-th ring it started. */
  private markOfferStart(): void {
    if (this.offerMarked || !this.ringStartedAt) return;
    this.offerMarked = true;
    const thresholdMs = this.dp.ringsBeforeCallback * this.state.ctx.timing.ringMs;
    this.d.observe?.offerDelayMs(Date.now() - this.ringStartedAt - thresholdMs);
  }

  /**
   * The booking is written before the caller hears it is registered. When the database is
   * busy (another process holds the write lock) the caller is asked to hold after
   * BOOKING_HOLD_AFTER_MS; a booking not written within BOOKING_WAIT_MS is withdrawn from
   * the write queue, so it can never appear later, and the caller hears that it was not
   * registered. With the disk under its reserve or a read-only database, that comes at once.
   */
  private async book(number: string, path: string, rings: number | null, group: string): Promise<void> {
    const now = this.d.now();
    const hours = this.dp.hours;
    const window = currentOrNextWindow(hours, now, this.d.closures?.intervals(this.dp.id));
    if (!window) return this.feed({ type: 'bookRefused', reason: 'no_window' });
    if (this.d.bookingsAccepted && !this.d.bookingsAccepted()) {
      this.d.log.error({ number }, 'booking refused: the database cannot take writes now');
      return this.feed({ type: 'bookRefused', reason: 'unavailable' });
    }
    const policy = this.dp.callback;
    const slow = setTimeout(() => this.feed({ type: 'bookingSlow' }), BOOKING_HOLD_AFTER_MS);
    const t0 = performance.now();
    let r: BookingResult;
    try {
      r = await this.d.records.book(
        {
          dp: this.dp.id,
          number,
          language: this.state.lang,
          callId: this.channelId,
          menuPath: path,
          ringCount: rings,
          at: now,
          dueAt: window.start,
          expiresAt: new Date(now.getTime() + policy.validityDays * 86_400_000),
          dayStart: zonedInstant(localTime(now, hours.timezone), 0, 0, hours.timezone),
          maxPerNumberPerDay: policy.maxPerNumberPerDay,
          group,
          caller: this.profileNumber && /^\d+$/.test(this.profileNumber) ? this.profileNumber : null,
          maxPerCallerPerDay: policy.maxPerCallerPerDay,
          dailyCapacity: policy.dailyCapacity,
        },
        { deadlineMs: BOOKING_WAIT_MS, failFast: true },
      );
    } catch (err) {
      if (!(err instanceof StorageUnavailable)) throw err;
      this.d.log.error({ number, err: err.message, waitedMs: Math.round(performance.now() - t0) }, 'booking not written: the caller is told to call again');
      return this.feed({ type: 'bookRefused', reason: 'unavailable' });
    } finally {
      clearTimeout(slow);
    }
    if (r.ok) {
      this.booked = true;
      this.updateCall({ callbackId: r.id });
      this.d.log.info({ callbackId: r.id, number, position: r.position, waitedMs: Math.round(performance.now() - t0) }, 'callback booked');
      return this.feed({ type: 'booked', id: r.id, position: r.position, today: sameLocalDay(window.start, now, hours.timezone) });
    }
    return this.feed({ type: 'bookRefused', reason: r.reason, ...(r.reason === 'duplicate' ? { position: r.position } : {}) });
  }

  private updateCall(facts: CallFacts): void {
    this.d.records.callUpdated(this.channelId, facts);
  }

  private record(type: CallEventType, data?: Record<string, unknown>): void {
    const at = this.d.now();
    this.d.records.event(this.channelId, at, type, data);
  }

  /** The flow is over: cancel everything still running, leave no channel or bridge behind. */
  private finish(reason: CallEndReason): void {
    if (this.ended) return;
    this.ended = true;
    for (const ac of this.plays.values()) ac.abort();
    for (const t of this.timers.values()) clearTimeout(t);
    this.stopRinging();
    if (this.conversation) this.conversation.callerGone();
    if (reason !== 'error') void this.d.port.hangup(this.channelId).catch(ignored(this.d.log, 'hang up'));
    this.detach();
    this.record('ended', { reason, cause: this.hangupCause });
    const at = this.d.now();
    const cause = this.hangupCause;
    this.d.records.callEnded(this.channelId, at, reason, cause);
    this.onEnd(reason, this.booked);
  }
}
