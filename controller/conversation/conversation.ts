// A caller in conversation with an official: an operator who answered an inbound call, or
// the operator of a callback the caller confirmed. Here the operator may hand the caller to
// an internal unit ("*" + the unit's code: hold music while the unit's phones ring, the
// unit's official bridged on answer and the operator freed; back to the operator when the
// unit does not answer), and here, when the caller hangs up, each official still on the
// line is asked for an outcome / intervention code (a default after the timeout) that goes
// into the caller's profile. An official is free for the next call only after that.
//
// What happens is decided by the pure machine in conversation-flow.ts; this runner owns the
// legs, the bridge, the ringing and the code-gap timer, executes the machine's effects one
// after the other (a bridge change must be done before the next one starts) and feeds back
// what happened. Long operations (the unit's phones ringing, an official's wrap-up) run in
// the background and report with an event.
import type { Logger } from 'pino';
import type { CallTiming, Directorate } from '../config/schema';
import { GroupRinger } from '../telephony/group-ringer';
import type { Lang } from '../config/languages';
import type { Presence } from '../operators/presence';
import { commonMedia } from '../prompts/media';
import type { CallRecords } from '../storage/call-records';
import { Leg } from '../telephony/leg';
import type { CallTracker, TelephonyPort } from '../telephony/port';
import { INTERVENTION_CODES, OUTCOME_CODES } from './codes';
import {
  keyConsumed,
  startConversation,
  step,
  unitOfficial,
  type ConversationEffect,
  type ConversationEvent,
  type ConversationState,
  type OutcomeRecord,
  type Who,
} from './conversation-flow';
import { ignored } from '../runtime/ignored';

const BASIC_INFORMATION = '1';

export interface ConversationDeps {
  port: TelephonyPort;
  tracker: CallTracker;
  presence: Presence;
  /** outcomes, the cases marked "needs follow-up" (a worklist), the topic of the basic information given */
  records: CallRecords;
  log: Logger;
  now: () => Date;
  /** an official finished (wrap-up included): the dispatcher may give them a callback */
  onOfficialFree?: (operator: string) => void;
}

export interface ConversationSubject {
  dp: Directorate;
  /** the caller's number (profile key), null when withheld */
  number: string | null;
  callId?: string;
  callbackId?: number;
  attemptId?: number;
  /** Stasis args for the unit's legs, so a restarted controller knows them as orphans */
  legArgs: string[];
  /** the directorate's timers: the pause allowed between a unit code's digits, the topic's wait */
  timing: Pick<CallTiming, 'codeGapMs' | 'topicTimeoutMs'>;
  /** the first official is an office's (the caller chose it in the menu, or its callback):
   *  they key an intervention code at the end, not an operator's outcome */
  officialUnit?: string;
}

/** The subject's official kind for a group ('operators' or 'unit:<id>'). */
export const officialOf = (group: string): Pick<ConversationSubject, 'officialUnit'> => (group.startsWith('unit:') ? { officialUnit: group.slice(5) } : {});

export interface CallerSide {
  channelId: string;
  lang: Lang;
  /** no official is with the caller any more: the owner ends the caller's call */
  onAlone(): void;
}

export class Conversation {
  private state: ConversationState;
  private readonly queue: ConversationEvent[] = [];
  private processing = false;
  /** the effects, executed one after the other */
  private chain: Promise<void> = Promise.resolve();
  private readonly legs: Partial<Record<Who, Leg>> = {};
  private ringer: GroupRinger | undefined;
  /** a unit's leg that answered, until the machine says whether it joins the caller */
  private answeredUnitLeg: Leg | undefined;
  private codeGap: NodeJS.Timeout | undefined;

  private constructor(
    private readonly d: ConversationDeps,
    private readonly s: ConversationSubject,
    private readonly caller: CallerSide,
    operatorLeg: Leg,
    operator: string,
    private readonly bridgeId: string,
    earlyKeys: readonly string[],
  ) {
    this.state = startConversation({ operator, ...(s.officialUnit ? { officialUnit: s.officialUnit } : {}), units: s.dp.units });
    this.legs.operator = operatorLeg;
    const onKey = (digit: string): boolean => {
      const consumed = keyConsumed(this.state, digit);
      if (consumed) this.feed({ type: 'operatorKey', digit });
      return consumed;
    };
    // the keys the operator pressed while the bridge was being made, first and in order
    for (const digit of earlyKeys) onKey(digit);
    operatorLeg.listen(onKey);
    operatorLeg.onGone(() => this.feed({ type: 'operatorGone' }));
  }

  /**
   * Bridges the caller with the operator's answered leg; a bridge Asterisk would not fill is
   * destroyed, not left behind. earlyKeys: the operator's keys pressed meanwhile, which the
   * owner kept (it stops keeping them when asked), taken before any later key.
   */
  static async start(
    d: ConversationDeps,
    s: ConversationSubject,
    caller: CallerSide,
    operatorLeg: Leg,
    operator: string,
    earlyKeys: () => readonly string[] = () => [],
  ): Promise<Conversation> {
    const bridgeId = await d.port.createBridge();
    try {
      await d.port.addToBridge(bridgeId, [caller.channelId, operatorLeg.id]);
    } catch (err) {
      await d.port.destroyBridge(bridgeId).catch(ignored(d.log, 'destroy the bridge'));
      throw err;
    }
    return new Conversation(d, s, caller, operatorLeg, operator, bridgeId, earlyKeys());
  }

  /** the internal unit's official the caller is with now (after a transfer), for their console station */
  get unitOfficial(): string | undefined {
    return unitOfficial(this.state);
  }

  /** The owner saw the caller hang up. */
  callerGone(): void {
    this.feed({ type: 'callerGone' });
  }

  private feed(event: ConversationEvent): void {
    this.queue.push(event);
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const t = step(this.state, this.queue.shift()!);
        this.state = t.state;
        for (const e of t.effects)
          this.chain = this.chain.then(() => this.execute(e)).catch((err: Error) => this.d.log.error({ err: err.message, effect: e.type }, 'conversation step failed'));
      }
    } finally {
      this.processing = false;
    }
  }

  private async execute(e: ConversationEffect): Promise<void> {
    const { port, presence, log } = this.d;
    const callerId = this.caller.channelId;
    switch (e.type) {
      case 'armCodeGap':
        clearTimeout(this.codeGap);
        this.codeGap = setTimeout(() => this.feed({ type: 'codeGap', token: e.token }), this.s.timing.codeGapMs);
        return;
      case 'cancelCodeGap':
        clearTimeout(this.codeGap);
        return;
      case 'toOperator':
        log.info({ why: e.why }, e.prompt === 'op-transfer-unknown' ? 'unknown unit code' : 'transfer not possible');
        void this.legs.operator?.play([commonMedia(e.prompt, 'it')]).catch(ignored(log, 'play'));
        return;
      case 'checkUnit': {
        const available = await presence.available(this.s.dp.id, 'unit', e.unitId);
        return this.feed({ type: 'unitPhones', unitId: e.unitId, phones: available.phones });
      }
      case 'ringUnit':
        log.info({ unit: e.unitId, phones: e.phones }, 'transferring the caller to an internal unit');
        await port.removeFromBridge(this.bridgeId, [callerId]).catch(ignored(log, 'take a channel out of the bridge'));
        await port.startMoh(callerId).catch(ignored(log, 'start the hold music'));
        void this.legs.operator?.play([commonMedia('op-transfer-ringing', 'it')]).catch(ignored(log, 'play'));
        void this.ringUnit(e.unitId, e.phones).catch((err: Error) => log.error({ err: err.message, unit: e.unitId }, 'transfer failed'));
        return;
      case 'cancelRinging':
        this.ringer?.cancel();
        return;
      case 'dropUnitLeg': {
        const leg = this.answeredUnitLeg;
        this.answeredUnitLeg = undefined;
        if (leg) {
          await leg.hangup();
          leg.release();
        }
        presence.release(e.official, false);
        return;
      }
      case 'stopMoh':
        await port.stopMoh(callerId).catch(ignored(log, 'stop the hold music'));
        return;
      case 'callerBack':
        await port.addToBridge(this.bridgeId, [callerId]);
        void port.play(callerId, [commonMedia('transfer-back', this.caller.lang)], new AbortController().signal).catch(ignored(log, 'play'));
        void this.legs.operator?.play([commonMedia('op-transfer-failed', 'it')]).catch(ignored(log, 'play'));
        return;
      case 'joinUnit': {
        const leg = this.answeredUnitLeg!;
        this.answeredUnitLeg = undefined;
        this.legs.unit = leg;
        leg.onGone(() => this.feed({ type: 'unitGone' }));
        if (e.operatorOut && this.legs.operator) await port.removeFromBridge(this.bridgeId, [this.legs.operator.id]).catch(ignored(log, 'take a channel out of the bridge'));
        await port.addToBridge(this.bridgeId, [callerId, leg.id]);
        return;
      }
      case 'wrapUp': {
        const leg = this.legs[e.who];
        // no leg to ask (it never joined): nothing was keyed
        if (!leg) return this.feed({ type: 'wrappedUp', who: e.who, key: null, topic: null });
        void this.wrapUp(leg, e.who, e.codes).then(({ key, topic }) => this.feed({ type: 'wrappedUp', who: e.who, key, topic }));
        return;
      }
      case 'record':
        return this.record(e.record);
      case 'topic':
        return this.recordTopic(e.official, e.topic);
      case 'free': {
        const leg = this.legs[e.who];
        if (e.hangUp && leg) {
          await leg.hangup();
          leg.release();
        }
        if (this.legs[e.who] === leg) delete this.legs[e.who];
        presence.release(e.official, true);
        this.d.onOfficialFree?.(e.official);
        return;
      }
      case 'alone':
        void port.destroyBridge(this.bridgeId).catch(ignored(log, 'destroy the bridge'));
        this.caller.onAlone();
        return;
      case 'destroyBridge':
        await port.destroyBridge(this.bridgeId).catch(ignored(log, 'destroy the bridge'));
        return;
    }
  }

  /** Rings the unit's phones; the first to answer is offered to the machine, which says whether it joins the caller. */
  private async ringUnit(unitId: string, phones: string[]): Promise<void> {
    const { port, presence } = this.d;
    const number = this.s.number ?? 'anonimo';
    const ringSeconds = this.s.dp.transfer.ringSeconds;
    this.ringer = new GroupRinger(
      { phones, strategy: 'all', perPhoneMs: ringSeconds * 1000, totalMs: ringSeconds * 1000, callerId: `"${unitId} ${number}" <${number}>`, appArgs: this.s.legArgs },
      port,
      this.d.tracker,
      this.d.log,
      presence,
    );
    this.ringer.start();
    const outcome = await this.ringer.outcome;
    this.ringer = undefined;
    if (!outcome.answered) return this.feed({ type: 'unitNoAnswer' });
    this.answeredUnitLeg = new Leg(outcome.legId, port, this.d.tracker);
    this.feed({ type: 'unitAnswered', official: outcome.operator });
  }

  /** Asks an official for the code of what was done (and, after outcome 1, the topic); null when none is keyed or they hang up. */
  private async wrapUp(leg: Leg, who: Who, codes: 'outcome' | 'intervention'): Promise<{ key: string | null; topic: string | null }> {
    const valid = codes === 'outcome' ? OUTCOME_CODES : INTERVENTION_CODES;
    this.d.log.info({ who, codes }, 'asking the official for the code of the call');
    let key: string | null = null;
    let topic: string | null = null;
    try {
      // out of the bridge first: a prompt queued to a channel while its bridge is being
      // torn down is dropped by Asterisk without a PlaybackFinished
      await this.d.port.removeFromBridge(this.bridgeId, [leg.id]).catch(ignored(this.d.log, 'take a channel out of the bridge'));
      key = await leg.ask([commonMedia(codes === 'outcome' ? 'op-outcome' : 'op-intervention', 'it')], this.s.dp.transfer.codeTimeoutSeconds * 1000, (d) => d in valid);
      // basic information given: which topic, if the operator keys it (or later in the console)
      const topics = this.s.dp.topics;
      if (key === BASIC_INFORMATION && codes === 'outcome' && topics.length > 0) {
        const code = await leg.ask([commonMedia('op-topic', 'it')], this.s.timing.topicTimeoutMs, (d) => topics.some((x) => x.code === d));
        if (code !== null) topic = topics.find((x) => x.code === code)!.name;
      }
      if (key !== null) await leg.play([commonMedia('op-code-recorded', 'it')]);
    } catch (err) {
      // the official hung up: what was keyed stands, the rest is the default
      this.d.log.info({ who, err: (err as Error).message }, 'no code keyed');
    }
    return { key, topic };
  }

  /** The basic information's topic, as the console's operator page records it: a note with its topic. */
  private recordTopic(official: string, topic: string): void {
    const note = {
      number: this.s.number,
      dp: this.s.dp.id,
      callId: this.s.callId ?? null,
      callbackId: this.s.callbackId ?? null,
      author: official,
      operator: official,
      info: topic,
      text: '',
      at: this.d.now(),
    };
    this.d.log.info({ official, topic }, 'topic of the information given');
    this.d.records.note(note);
  }

  private record(r: OutcomeRecord): void {
    this.d.log.info({ kind: r.kind, official: r.official, code: r.code, label: r.label, byDefault: r.byDefault, unit: r.unit }, 'outcome recorded');
    const row = {
      dp: this.s.dp.id,
      number: this.s.number,
      callId: this.s.callId ?? null,
      callbackId: this.s.callbackId ?? null,
      attemptId: this.s.attemptId ?? null,
      kind: r.kind,
      official: r.official,
      unit: r.unit ?? null,
      code: r.code,
      label: r.label,
      byDefault: r.byDefault,
      at: this.d.now(),
    };
    this.d.records.outcome(row);
    if (r.followUp) {
      const item = {
        dp: row.dp,
        unit: r.kind === 'unit' ? (r.unit ?? null) : null,
        number: row.number,
        callId: row.callId,
        callbackId: row.callbackId,
        openedBy: r.official,
        at: row.at,
      };
      this.d.records.followup(item);
    }
  }
}
