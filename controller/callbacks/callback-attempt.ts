// One attempt at calling a request back, "operator first": ring the operator; on answer a
// whisper tells them whom they are about to call (1 or silence: call now, 2: back to the
// queue); then the caller is dialled through the trunk with the directorate's public number
// as caller id, while the operator hears the ringback; the caller hears who is calling and
// presses 1 to be put through. From there the conversation (transfer, outcome codes) takes
// over. Every step's end is written through the ledger; the attempt row was written before
// anything was dialled (dispatcher.ts), and the caller-side step before the caller's phone rings.
import { withTimeout } from '../runtime/timeout';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { callTiming, LOOPBACK_TRUNK, type CallTiming, type Directorate, type Trunk } from '../config/schema';
import { formatForTrunk, trunkDialString } from '../telephony/trunk-numbers';
import type { ClosedInterval } from '../schedule/service-hours';
import { Conversation, officialOf, type ConversationDeps } from '../conversation/conversation';
import type { Prompt } from '../prompts/prompt';
import type { Lang } from '../config/languages';
import { commonMedia, HOLD_MUSIC, promptMedia, RINGBACK } from '../prompts/media';
import { localTime } from '../schedule/service-hours';
import type { AttemptOutcome } from '../vocabulary/callbacks';
import type { CallbackRow } from '../storage/callbacks-repo';
import { Leg, sleep } from '../telephony/leg';
import type { CallbackQueue } from './queue';
import { callerLegOutcome, whisper, type NextStatus } from './policy';
import { ignored } from '../runtime/ignored';
import { ChannelGone, StorageUnavailable } from '../errors';

/** the prompt that asks the caller for 1 is played at most this many times */
const CONFIRM_TRIES = 3;
const CONFIRM_WAIT_MS = 5000;
/** the caller's dial is recorded before their phone rings: a database busy longer gives up this attempt */
const RECORD_DIAL_WAIT_MS = 20_000;
/** a write the caller waits on that takes longer than this: hold music meanwhile */
const HOLD_AFTER_MS = 1500;
/** the whisper's count of earlier contacts not read within this long is left out */
const CONTACTS_READ_MS = 2000;

export interface AttemptDeps extends ConversationDeps {
  /** the callback queue: SQLite on one box (callbacks/ledger.ts), the shared database in a cluster */
  ledger: CallbackQueue;
  /** measured: from the trigger of the dispatch to the operator's originate */
  observeDispatch?: (ms: number) => void;
  /** an attempt ended with this outcome (for the metrics) */
  observeOutcome?: (dp: string, outcome: AttemptOutcome) => void;
  /** a directorate's extraordinary closures: nobody is called back during one */
  closedIntervals?: (dp: string) => readonly ClosedInterval[];
  /** the trunk a directorate's callbacks leave by (default: the demo's loopback trunk) */
  trunkOf?: (dp: Directorate) => Trunk;
  /** the directorate's timers (the defaults when not given) */
  timingOf?: (dp: Directorate) => CallTiming;
}

export const callbackChannelId = (side: 'op' | 'cl', callbackId: number): string => `cb${side}-${callbackId}-${randomUUID().slice(0, 8)}`;

export class CallbackAttempt {
  private operatorLeg: Leg | undefined;
  private callerLeg: Leg | undefined;
  private readonly cancelled = new AbortController();
  private handedOver = false;
  private closed = false;
  /** resolves when the attempt is over (its row closed) */
  readonly done: Promise<NextStatus | undefined>;
  private resolveDone!: (n: NextStatus | undefined) => void;

  constructor(
    readonly attemptId: number,
    readonly cb: CallbackRow,
    readonly operator: string,
    readonly operatorChannel: string,
    private readonly dp: Directorate,
    private readonly d: AttemptDeps,
    private readonly log: Logger,
    private readonly triggeredAt: number,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** A sysadmin cancelled the request while it was being dialled. */
  cancel(): void {
    this.cancelled.abort();
  }

  /** Reconciliation found these channels gone while events were lost. */
  lostChannels(existing: Set<string>): void {
    if (this.operatorLeg && !existing.has(this.operatorLeg.id)) this.operatorLeg.markGone(null);
    if (this.callerLeg && !existing.has(this.callerLeg.id)) this.callerLeg.markGone(null);
  }

  async run(): Promise<void> {
    let outcome: AttemptOutcome = 'failed';
    let cause: number | null = null;
    try {
      [outcome, cause] = await this.flow();
    } catch (err) {
      if (!(err instanceof ChannelGone)) this.log.error({ err: (err as Error).message }, 'callback attempt failed');
      outcome = err instanceof ChannelGone ? 'operator_hangup' : 'failed';
    }
    if (!this.handedOver) {
      // nothing of this attempt stays up: the operator is free again
      await Promise.all([this.operatorLeg?.hangup(), this.callerLeg?.hangup()]);
      this.operatorLeg?.release();
      this.callerLeg?.release();
      this.d.presence.release(this.operator, this.operatorLeg?.isAnswered ?? false);
      this.d.onOfficialFree?.(this.operator);
    }
    await this.close(outcome, cause);
  }

  /**
   * Closes the attempt row with the request's next status. Never withdrawn: a busy database
   * delays it (the attempt stays in the dispatcher's hands until it is written, so nothing
   * takes the request meanwhile); a controller killed before it is written leaves the row
   * live, which the next one closes as interrupted.
   */
  private async close(outcome: AttemptOutcome, cause: number | null): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const at = this.d.now();
    let next: NextStatus | undefined;
    try {
      next = await this.d.ledger.close(this.attemptId, outcome, cause, at, this.dp.callback);
    } catch (err) {
      this.log.error({ err: (err as Error).message, outcome }, 'the attempt could not be closed; the next start closes it as interrupted');
    }
    this.d.observeOutcome?.(this.dp.id, outcome);
    this.log.info({ outcome, cause, next }, 'callback attempt ended');
    this.resolveDone(next);
  }

  /** Waits for a write the caller is waiting on, with hold music if it is slow. */
  private async holding<T>(leg: Leg, work: Promise<T>): Promise<T> {
    const music = new AbortController();
    const timer = setTimeout(() => void leg.play([HOLD_MUSIC], music.signal).catch(ignored(this.log, 'play')), HOLD_AFTER_MS);
    try {
      return await work;
    } finally {
      clearTimeout(timer);
      music.abort();
    }
  }

  private async flow(): Promise<[AttemptOutcome, number | null]> {
    const { port, tracker } = this.d;
    const policy = this.dp.callback;
    const cancelled = this.cancelled.signal;
    // 1. the operator
    const op = new Leg(this.operatorChannel, port, tracker);
    this.operatorLeg = op;
    this.d.observeDispatch?.(Date.now() - this.triggeredAt);
    await port.originate({
      endpoint: `PJSIP/${this.operator}`,
      channelId: op.id,
      callerId: `"Richiamata ${this.cb.number}" <${this.cb.number}>`,
      timeoutSec: policy.operatorRingSeconds + 2,
      appArgs: ['callback', String(this.cb.id)],
    });
    // the whisper's count of the person's earlier contacts is read while the phone rings
    const contacts = this.earlierContacts();
    const opAnswer = await this.waitAnswer(op, policy.operatorRingSeconds * 1000);
    if (opAnswer === 'cancelled') return ['cancelled', null];
    if (opAnswer !== 'answered') return ['operator_no_answer', op.cause];

    // 2. the whisper
    const key = await op.ask(this.whisperMedia(await contacts), 0, (k) => k === '1' || k === '2', cancelled);
    if (cancelled.aborted) return ['cancelled', null];
    if (key === '2') {
      await op.play([commonMedia('op-passed', 'it')]).catch(ignored(this.log, 'play'));
      return ['operator_passed', null];
    }

    // 3. the caller, recorded before the phone rings
    const callerChannel = callbackChannelId('cl', this.cb.id);
    const dialAt = this.d.now();
    let n: number;
    try {
      n = await this.holding(op, this.d.ledger.callerDialing(this.attemptId, callerChannel, dialAt, { deadlineMs: RECORD_DIAL_WAIT_MS }));
    } catch (err) {
      if (!(err instanceof StorageUnavailable)) throw err;
      this.log.error({ err: err.message }, 'the dial could not be recorded: the caller is not called now');
      await this.tellOperator('op-not-reached');
      return ['failed', null];
    }
    if (op.gone) return ['operator_hangup', null];
    this.log.info({ attempt: n, number: this.cb.number }, 'calling the caller back');
    const caller = new Leg(callerChannel, port, tracker);
    this.callerLeg = caller;
    const ringback = new AbortController();
    void op.play([RINGBACK], ringback.signal).catch(ignored(this.log, 'play'));
    try {
      // dialled and presented in the trunk's format (national or E.164), the directorate's
      // number as caller id (and in P-Asserted-Identity where the trunk sends it)
      const trunk = this.d.trunkOf?.(this.dp) ?? LOOPBACK_TRUNK;
      await port.originate({
        endpoint: trunkDialString(trunk, this.cb.number),
        channelId: callerChannel,
        callerId: `"Agenzia Entrate ${this.dp.name}" <${formatForTrunk(trunk, this.dp.numbers[0]!)}>`,
        timeoutSec: policy.callerRingSeconds + 5,
        appArgs: ['callback', String(this.cb.id)],
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'the trunk refused the callback');
      ringback.abort();
      await this.tellOperator('op-not-reached');
      return ['failed', null];
    }
    const answer = await this.waitAnswer(caller, policy.callerRingSeconds * 1000, op);
    ringback.abort();
    if (answer === 'cancelled') return ['cancelled', null];
    if (answer === 'other_gone') return ['operator_hangup', null];
    if (answer !== 'answered') {
      await caller.hangup();
      await this.tellOperator('op-not-reached');
      return [callerLegOutcome(caller.cause, answer === 'timeout'), caller.cause];
    }

    // 4. the caller confirms
    const lang: Lang = this.cb.language;
    await port.setLanguage(caller.id, lang).catch(ignored(this.log, 'set the language'));
    // the operator gone or the request cancelled, before or during the question
    const stop = AbortSignal.any([op.signal, cancelled]);
    let confirm: string | null = null;
    try {
      for (let i = 0; i < CONFIRM_TRIES && confirm === null && !stop.aborted; i++) {
        const media = [...(i === 0 ? promptMedia({ kind: 'dp', name: 'callback-greeting' }, lang, this.dp.id) : []), commonMedia('callback-confirm', lang)];
        confirm = await caller.ask(media, CONFIRM_WAIT_MS, () => true, stop);
      }
    } catch (err) {
      if (!(err instanceof ChannelGone)) throw err;
      await this.tellOperator('op-not-confirmed');
      return ['no_confirmation', caller.cause];
    }
    if (cancelled.aborted) return ['cancelled', null];
    if (op.gone) {
      await caller.play([commonMedia('callback-operator-left', lang)]).catch(ignored(this.log, 'play'));
      return ['operator_hangup', null];
    }
    if (confirm !== '1') {
      await caller.play([commonMedia('callback-later', lang)]).catch(ignored(this.log, 'play'));
      await this.tellOperator('op-not-confirmed');
      return ['no_confirmation', null];
    }

    // 5. connected: the request is done (written first: a crash from here on must not
    // lead to calling this caller again); the conversation owns both legs from here. If
    // Asterisk refuses the bridge, run() hangs both up. The operator hears the caller's "1"
    // and may key a code at once: keys from now until the conversation listens are kept
    // for it (the close and the bridge take a write and two requests to Asterisk).
    const early: string[] = [];
    const stopKeeping = op.listen((digit) => (early.push(digit), true));
    await this.holding(caller, this.close('connected', null)).catch((err: unknown) => {
      stopKeeping();
      throw err;
    });
    const conversation = await Conversation.start(
      this.d,
      {
        dp: this.dp,
        number: this.cb.number,
        callbackId: this.cb.id,
        attemptId: this.attemptId,
        legArgs: ['callback', String(this.cb.id)],
        timing: this.d.timingOf?.(this.dp) ?? callTiming({}, this.dp),
        ...officialOf(this.cb.group),
      },
      { channelId: caller.id, lang, onAlone: () => void caller.hangup() },
      op,
      this.operator,
      () => (stopKeeping(), early),
    ).catch((err: unknown) => {
      stopKeeping();
      throw err;
    });
    this.handedOver = true;
    caller.onGone(() => {
      caller.release();
      conversation.callerGone();
    });
    return ['connected', null];
  }

  /** answered, gone (with its cause), timeout, the other party gone, or cancelled. */
  private async waitAnswer(leg: Leg, ms: number, other?: Leg): Promise<'answered' | 'gone' | 'timeout' | 'other_gone' | 'cancelled'> {
    // AbortSignal.any is aborted already when one of them is: a caller's phone that refused at
    // once (busy) is gone before the originate's response, and must not ring out the timeout
    const ended = new AbortController(); // ends the ring timer when the answer came first
    const stop = AbortSignal.any([leg.signal, this.cancelled.signal, ended.signal, ...(other ? [other.signal] : [])]);
    const answered = leg.answered.then(() => true);
    try {
      const r = await Promise.race([answered, sleep(ms, stop).then(() => false)]);
      if (r && leg.isAnswered) return 'answered';
      if (this.cancelled.signal.aborted) return 'cancelled';
      if (leg.gone) return 'gone';
      if (other?.gone) return 'other_gone';
      return 'timeout';
    } finally {
      ended.abort();
    }
  }

  private async tellOperator(prompt: string): Promise<void> {
    if (this.operatorLeg && !this.operatorLeg.gone) await this.operatorLeg.play([commonMedia(prompt, 'it')]).catch(ignored(this.log, 'play'));
  }

  /** Never fails: a count that cannot be read in time is left out of the whisper (0), and logged. */
  private async earlierContacts(): Promise<number> {
    try {
      return await withTimeout(this.d.records.earlierContacts(this.cb), CONTACTS_READ_MS, 'earlier contacts');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'earlier contacts not read: the whisper goes without them');
      return 0;
    }
  }

  private whisperMedia(earlierContacts: number): string[] {
    const t = localTime(new Date(this.cb.requestedAt), this.dp.hours.timezone);
    const prompts: Prompt[] = whisper({
      number: this.cb.number,
      requestedAt: `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`,
      attempt: this.cb.attempts + 1,
      maxAttempts: this.dp.callback.maxAttempts,
      earlierContacts,
    });
    return prompts.flatMap((p) => promptMedia(p, 'it', this.dp.id));
  }
}
