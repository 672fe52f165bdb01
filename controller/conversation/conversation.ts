// A caller in conversation with an official: an operator who answered an inbound call, or
// the operator of a callback the caller confirmed. Here the operator may hand the caller to
// an internal unit ("*" + the unit's code: hold music while the unit's phones ring, the
// unit's official bridged on answer and the operator freed; back to the operator when the
// unit does not answer), and here, when the caller hangs up, each official still on the
// line is asked for an outcome / intervention code (a default after the timeout) that goes
// into the caller's profile. An official is free for the next call only after that.
import type { Logger } from 'pino';
import type { CallTiming, Directorate } from '../config/schema';
import { GroupRinger } from '../telephony/group-ringer';
import type { Lang } from '../config/languages';
import type { Presence } from '../operators/presence';
import { commonMedia } from '../prompts/media';
import type { FollowupsRepo } from '../storage/followups-repo';
import type { NotesRepo } from '../storage/notes-repo';
import type { OutcomesRepo } from '../storage/outcomes-repo';
import type { WriteQueue } from '../storage/write-queue';
import { Leg } from '../telephony/leg';
import type { CallTracker, TelephonyPort } from '../telephony/port';
import { FOLLOW_UP, INTERVENTION_CODES, matchUnitCode, NOT_RECORDED, OUTCOME_CODES } from './codes';
import { ignored } from '../runtime/ignored';

const BASIC_INFORMATION = '1';

export interface ConversationDeps {
  port: TelephonyPort;
  tracker: CallTracker;
  presence: Presence;
  outcomes: OutcomesRepo;
  /** the cases marked "needs follow-up" go on a worklist */
  followups?: FollowupsRepo;
  /** the topic of the basic information given, keyed by phone, goes into the profile */
  notes?: NotesRepo;
  writes: WriteQueue;
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

type Stage = 'talking' | 'transferring' | 'withUnit' | 'ended';

export class Conversation {
  private stage: Stage = 'talking';
  private operatorLeg: Leg | undefined;
  private unit: { leg: Leg; official: string; unitId: string } | undefined;
  private ringer: GroupRinger | undefined;
  private typed: string | null = null;
  private typingTimer: NodeJS.Timeout | undefined;
  private operatorRecorded = false;

  private constructor(
    private readonly d: ConversationDeps,
    private readonly s: ConversationSubject,
    private readonly caller: CallerSide,
    operatorLeg: Leg,
    private readonly operator: string,
    private readonly bridgeId: string,
  ) {
    this.operatorLeg = operatorLeg;
    operatorLeg.listen((digit) => this.operatorKey(digit));
    operatorLeg.onGone(() => this.operatorGone());
  }

  /** Bridges the caller with the operator's answered leg; a bridge Asterisk would not fill is destroyed, not left behind. */
  static async start(d: ConversationDeps, s: ConversationSubject, caller: CallerSide, operatorLeg: Leg, operator: string): Promise<Conversation> {
    const bridgeId = await d.port.createBridge();
    try {
      await d.port.addToBridge(bridgeId, [caller.channelId, operatorLeg.id]);
    } catch (err) {
      await d.port.destroyBridge(bridgeId).catch(ignored(d.log, 'destroy the bridge'));
      throw err;
    }
    return new Conversation(d, s, caller, operatorLeg, operator, bridgeId);
  }

  /** the internal unit's official the caller is with now (after a transfer), for their console station */
  get unitOfficial(): string | undefined {
    return this.unit?.official;
  }

  /** The owner saw the caller hang up. */
  callerGone(): void {
    if (this.stage === 'ended') return;
    const stage = this.stage;
    this.stage = 'ended';
    clearTimeout(this.typingTimer);
    this.ringer?.cancel();
    const wrapUps: Array<Promise<void>> = [];
    if (this.operatorLeg && stage !== 'withUnit') wrapUps.push(this.wrapUp(this.operatorLeg, this.operator, this.firstKind));
    if (this.unit) wrapUps.push(this.wrapUp(this.unit.leg, this.unit.official, 'unit'));
    // the bridge goes once the officials have left it (wrapUp takes them out first)
    void Promise.allSettled(wrapUps).then(() => this.d.port.destroyBridge(this.bridgeId).catch(ignored(this.d.log, 'destroy the bridge')));
  }

  // ---- transfer --------------------------------------------------------------------------

  private operatorKey(digit: string): boolean {
    if (this.stage !== 'talking') return false;
    if (digit === '*') {
      this.typed = '';
      this.armTyping();
      return true;
    }
    if (this.typed === null) return false;
    this.typed += digit;
    const m = matchUnitCode(this.s.dp.units, this.typed);
    if (m === 'more') this.armTyping();
    else this.endTyping(m);
    return true;
  }

  private armTyping(): void {
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      const exact = this.s.dp.units.find((u) => u.code === this.typed);
      this.endTyping(exact ?? 'unknown');
    }, this.s.timing.codeGapMs);
  }

  private endTyping(m: Directorate['units'][number] | 'unknown'): void {
    clearTimeout(this.typingTimer);
    const typed = this.typed;
    this.typed = null;
    if (m === 'unknown') {
      this.d.log.info({ typed }, 'unknown unit code');
      void this.operatorLeg?.play([commonMedia('op-transfer-unknown', 'it')]).catch(ignored(this.d.log, 'play'));
      return;
    }
    void this.transfer(m).catch((err: Error) => this.d.log.error({ err: err.message, unit: m.id }, 'transfer failed'));
  }

  private async transfer(unit: Directorate['units'][number]): Promise<void> {
    const { port, presence } = this.d;
    const available = await presence.available(this.s.dp.id, 'unit', unit.id);
    if (this.stage !== 'talking') return;
    if (available.phones.length === 0) {
      this.record('transfer', this.operator, 'no_answer', `no phone of ${unit.id} free`, false, unit.id);
      void this.operatorLeg?.play([commonMedia('op-transfer-failed', 'it')]).catch(ignored(this.d.log, 'play'));
      return;
    }
    this.stage = 'transferring';
    this.d.log.info({ unit: unit.id, phones: available.phones }, 'transferring the caller to an internal unit');
    await port.removeFromBridge(this.bridgeId, [this.caller.channelId]).catch(ignored(this.d.log, 'take a channel out of the bridge'));
    await port.startMoh(this.caller.channelId).catch(ignored(this.d.log, 'start the hold music'));
    void this.operatorLeg?.play([commonMedia('op-transfer-ringing', 'it')]).catch(ignored(this.d.log, 'play'));
    const phones = available.phones;
    for (const p of phones) presence.engage(p);
    const number = this.s.number ?? 'anonimo';
    this.ringer = new GroupRinger(
      {
        phones,
        strategy: 'all',
        perPhoneMs: this.s.dp.transfer.ringSeconds * 1000,
        totalMs: this.s.dp.transfer.ringSeconds * 1000,
        callerId: `"${unit.id} ${number}" <${number}>`,
        appArgs: this.s.legArgs,
      },
      port,
      this.d.tracker,
      this.d.log,
      (op, talked) => presence.release(op, talked),
    );
    this.ringer.start();
    const outcome = await this.ringer.outcome;
    this.ringer = undefined;
    for (const p of phones) if (!(outcome.answered && outcome.operator === p)) presence.release(p, false);
    if (this.stage !== 'transferring') {
      // the caller hung up while the unit rang
      if (outcome.answered) {
        await port.hangup(outcome.legId).catch(ignored(this.d.log, 'hang up'));
        presence.release(outcome.operator, false);
      }
      return;
    }
    await port.stopMoh(this.caller.channelId).catch(ignored(this.d.log, 'stop the hold music'));
    if (!outcome.answered) {
      this.record('transfer', this.operator, 'no_answer', `${unit.id} did not answer`, false, unit.id);
      if (!this.operatorLeg) return this.alone();
      this.stage = 'talking';
      await port.addToBridge(this.bridgeId, [this.caller.channelId]);
      void port.play(this.caller.channelId, [commonMedia('transfer-back', this.caller.lang)], new AbortController().signal).catch(ignored(this.d.log, 'play'));
      void this.operatorLeg.play([commonMedia('op-transfer-failed', 'it')]).catch(ignored(this.d.log, 'play'));
      return;
    }
    const leg = new Leg(outcome.legId, port, this.d.tracker);
    this.unit = { leg, official: outcome.operator, unitId: unit.id };
    leg.onGone(() => this.unitGone());
    this.stage = 'withUnit';
    this.record('transfer', outcome.operator, 'answered', `answered by ${outcome.operator}`, false, unit.id);
    const operatorLeg = this.operatorLeg;
    if (operatorLeg) await port.removeFromBridge(this.bridgeId, [operatorLeg.id]).catch(ignored(this.d.log, 'take a channel out of the bridge'));
    await port.addToBridge(this.bridgeId, [this.caller.channelId, leg.id]);
    if (operatorLeg) void this.wrapUp(operatorLeg, this.operator, this.firstKind).catch((err: Error) => this.d.log.error({ err: err.message }, 'wrap-up failed'));
  }

  // ---- officials leaving -----------------------------------------------------------------

  private operatorGone(): void {
    const leg = this.operatorLeg;
    if (!leg || this.stage === 'ended' || this.stage === 'withUnit') return; // wrap-up handles its own end
    this.operatorLeg = undefined;
    this.recordOperatorOutcome(null);
    this.d.presence.release(this.operator, true);
    this.d.onOfficialFree?.(this.operator);
    if (this.stage === 'talking') this.alone(); // during a transfer the unit may still answer
  }

  private unitGone(): void {
    if (this.stage !== 'withUnit' || !this.unit) return;
    const { official, unitId } = this.unit;
    this.unit = undefined;
    this.record('unit', official, NOT_RECORDED.code, NOT_RECORDED.label, true, unitId);
    this.d.presence.release(official, true);
    this.d.onOfficialFree?.(official);
    this.alone();
  }

  private alone(): void {
    if (this.stage === 'ended') return;
    this.stage = 'ended';
    void this.d.port.destroyBridge(this.bridgeId).catch(ignored(this.d.log, 'destroy the bridge'));
    this.caller.onAlone();
  }

  /** Asks an official for the code of what was done, records it, frees them. */
  private async wrapUp(leg: Leg, official: string, kind: 'operator' | 'unit'): Promise<void> {
    const codes = kind === 'operator' ? OUTCOME_CODES : INTERVENTION_CODES;
    this.d.log.info({ official, kind }, 'asking the official for the code of the call');
    let key: string | null = null;
    try {
      // out of the bridge first: a prompt queued to a channel while its bridge is being
      // torn down is dropped by Asterisk without a PlaybackFinished
      await this.d.port.removeFromBridge(this.bridgeId, [leg.id]).catch(ignored(this.d.log, 'take a channel out of the bridge'));
      key = await leg.ask([commonMedia(kind === 'operator' ? 'op-outcome' : 'op-intervention', 'it')], this.s.dp.transfer.codeTimeoutSeconds * 1000, (d) => d in codes);
      // basic information given: which topic, if the operator keys it (or later in the console)
      const topics = this.s.dp.topics;
      if (key === BASIC_INFORMATION && kind === 'operator' && topics.length > 0) {
        const topic = await leg.ask([commonMedia('op-topic', 'it')], this.s.timing.topicTimeoutMs, (d) => topics.some((x) => x.code === d));
        if (topic !== null) this.recordTopic(official, topics.find((x) => x.code === topic)!.name);
      }
      if (key !== null) await leg.play([commonMedia('op-code-recorded', 'it')]);
    } catch (err) {
      // the official hung up: the default is recorded
      this.d.log.info({ official, err: (err as Error).message }, 'no code keyed');
    }
    if (this.operatorLeg === leg) this.recordOperatorOutcome(key);
    else {
      this.record('unit', official, key ?? NOT_RECORDED.code, key === null ? NOT_RECORDED.label : INTERVENTION_CODES[key]!, key === null, this.unit?.unitId);
      if (this.unit?.leg === leg) this.unit = undefined;
    }
    if (this.operatorLeg === leg) this.operatorLeg = undefined;
    await leg.hangup();
    leg.release();
    this.d.presence.release(official, true);
    this.d.onOfficialFree?.(official);
  }

  private recordOperatorOutcome(key: string | null): void {
    if (this.operatorRecorded) return;
    this.operatorRecorded = true;
    if (this.firstKind === 'unit') {
      return this.record('unit', this.operator, key ?? NOT_RECORDED.code, key === null ? NOT_RECORDED.label : INTERVENTION_CODES[key]!, key === null, this.s.officialUnit);
    }
    this.record('operator', this.operator, key ?? NOT_RECORDED.code, key === null ? NOT_RECORDED.label : OUTCOME_CODES[key]!, key === null);
  }

  /** the first official: an operator, or an office's official (intervention codes) */
  private get firstKind(): 'operator' | 'unit' {
    return this.s.officialUnit ? 'unit' : 'operator';
  }

  /** The basic information's topic, as the console's operator page records it: a note with its topic. */
  private recordTopic(official: string, topic: string): void {
    const notes = this.d.notes;
    if (!notes) return;
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
    this.d.writes.record('note', () => notes.add(note));
  }

  private record(kind: 'operator' | 'unit' | 'transfer', official: string, code: string, label: string, byDefault: boolean, unit?: string): void {
    this.d.log.info({ kind, official, code, label, byDefault, unit }, 'outcome recorded');
    const record = {
      dp: this.s.dp.id,
      number: this.s.number,
      callId: this.s.callId ?? null,
      callbackId: this.s.callbackId ?? null,
      attemptId: this.s.attemptId ?? null,
      kind,
      official,
      unit: unit ?? null,
      code,
      label,
      byDefault,
      at: this.d.now(),
    };
    this.d.writes.record('outcome', () => this.d.outcomes.add(record));
    // "needs follow-up" (an operator's 4, a unit's 2) opens an item on the worklist of the
    // directorate's operators or of that unit
    const followups = this.d.followups;
    if (followups && ((kind === 'operator' && code === FOLLOW_UP.operator) || (kind === 'unit' && code === FOLLOW_UP.unit))) {
      const item = {
        dp: record.dp,
        unit: kind === 'unit' ? (unit ?? null) : null,
        number: record.number,
        callId: record.callId,
        callbackId: record.callbackId,
        openedBy: official,
        at: record.at,
      };
      this.d.writes.record('followup', () => followups.open(item));
    }
  }
}
