// Places the booked callbacks through the next free operator. Event-driven: a booking, an
// operator becoming free (our own calls ending, or Asterisk's device/endpoint state events),
// a retry falling due, a sysadmin's action each trigger a pass; a safety timer triggers one
// every few seconds anyway (service windows opening, events lost in a reconnection). Passes
// never overlap. Each dispatch claims the request in the database (pending -> dialing plus
// the live attempt row, one transaction, unique per request) before anything is dialled.
import type { Logger } from 'pino';
import type { Config, Directorate } from '../config/schema';
import type { Presence } from '../operators/presence';
import { isOpen } from '../schedule/service-hours';
import type { CallbackRow } from '../storage/callbacks-repo';
import type { TelephonyPort } from '../telephony/port';
import { CallbackAttempt, callbackChannelId, type AttemptDeps } from './callback-attempt';
import type { CallbackLedger } from './ledger';
import { planDispatch, type DispatchBlock } from './policy';

const SAFETY_MS = 5000;

export interface InboundView {
  /** callers of a directorate whose group is ringing now */
  ringing(dp: string): number;
  /** numbers on the line with us now */
  numbersOnLine(): Set<string>;
}

export interface PassReport {
  at: string;
  reason: string;
  directorates: Record<string, { blocked?: DispatchBlock; dispatched: number[] }>;
  expired: number[];
}

export class ActionError extends Error {
  override readonly name = 'ActionError';
  constructor(
    message: string,
    readonly status: 404 | 409 | 400,
  ) {
    super(message);
  }
}

export class Dispatcher {
  private readonly active = new Map<number, CallbackAttempt>();
  /** `${callbackId}:${operator}` -> until when that operator is not offered that request */
  private readonly passedBack = new Map<string, number>();
  /** operator -> until when they get no callback: they let one ring out (away from the desk?) */
  private readonly resting = new Map<string, number>();
  private running = false;
  private pendingReason: string | undefined;
  private triggeredAt = 0;
  private safety: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private stopped = false;
  lastPass: PassReport | undefined;
  /** resolves after the next pass that started after it was asked for */
  private waiters: Array<() => void> = [];

  constructor(
    private readonly config: Config,
    private readonly port: TelephonyPort,
    private readonly presence: Presence,
    private readonly inbound: InboundView,
    private readonly deps: AttemptDeps,
    private readonly log: Logger,
    private readonly ready: () => boolean,
  ) {}

  get activeCount(): number {
    return this.active.size;
  }

  start(): void {
    this.safety = setInterval(() => this.kick('safety'), SAFETY_MS);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.safety);
    clearTimeout(this.wake);
  }

  /** Asks for a pass as soon as possible (coalesced with one already asked for). */
  kick(reason: string): void {
    if (this.stopped) return;
    if (this.pendingReason === undefined) this.triggeredAt = Date.now();
    this.pendingReason ??= reason;
    if (!this.running) void this.loop();
  }

  /** Resolves once a pass that started after this call has run. */
  passed(): Promise<void> {
    return new Promise((r) => {
      this.waiters.push(r);
      this.kick('asked');
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.pendingReason !== undefined && !this.stopped) {
        const reason = this.pendingReason;
        const triggeredAt = this.triggeredAt;
        this.pendingReason = undefined;
        const waiters = this.waiters.splice(0);
        try {
          await this.pass(reason, triggeredAt);
        } catch (err) {
          this.log.error({ err: (err as Error).message }, 'dispatch pass failed');
        }
        for (const w of waiters) w();
      }
    } finally {
      this.running = false;
    }
  }

  private async pass(reason: string, triggeredAt: number): Promise<void> {
    const now = this.deps.now();
    const repo = this.deps.ledger.callbacks;
    const report: PassReport = { at: now.toISOString(), reason, directorates: {}, expired: repo.expireOverdue(now) };
    if (report.expired.length > 0) this.log.info({ ids: report.expired }, 'callback requests expired');
    if (!this.ready()) {
      this.lastPass = report;
      return;
    }
    // an interrupted attempt whose recovery failed at the last reconnection is retried here
    if (this.orphans().length > 0) await this.recoverOrphans(new Set((await this.port.listChannels()).map((c) => c.id)));
    await this.port.watchPresence(this.deps.presence.operatorIds()).catch((err: Error) => this.log.warn({ err: err.message }, 'presence subscription failed'));
    const onLine = this.inbound.numbersOnLine();
    for (const m of [this.passedBack, this.resting]) for (const [k, until] of [...m]) if (until <= Date.now()) m.delete(k);
    for (const dp of this.config.directorates) {
      if (dp.callback.dispatch === 'paused') continue;
      const due = repo.due(dp.id, now, 50).filter((cb) => !this.active.has(cb.id) && !onLine.has(cb.number));
      const open = isOpen(dp.hours, now);
      const free = open && due.length > 0 ? (await this.presence.available(dp.id, dp.case === 'switchboard' ? 'switchboard' : 'staff')).phones.filter((op) => !this.resting.has(op)) : [];
      const plan = planDispatch({
        open,
        inboundRinging: this.inbound.ringing(dp.id),
        free,
        keepFree: dp.callback.keepFreeForInbound,
        due: due.map((cb) => cb.id),
        passedRecently: (id, op) => this.passedBack.has(`${id}:${op}`),
      });
      const dispatched: number[] = [];
      for (const { callbackId, operator } of plan.pairs) {
        const cb = due.find((c) => c.id === callbackId)!;
        if (this.startAttempt(dp, cb, operator, triggeredAt)) dispatched.push(callbackId);
      }
      report.directorates[dp.id] = { ...(plan.blocked ? { blocked: plan.blocked } : {}), dispatched };
    }
    this.lastPass = report;
    this.scheduleWake();
  }

  private startAttempt(dp: Directorate, cb: CallbackRow, operator: string, triggeredAt: number): boolean {
    const channel = callbackChannelId('op', cb.id);
    const attemptId = this.deps.ledger.claim(cb.id, operator, channel, this.deps.now());
    if (attemptId === undefined) return false; // cancelled or taken meanwhile
    this.presence.engage(operator);
    const log = this.log.child({ callbackId: cb.id, attemptId, operator, dp: cb.dp });
    log.info({ dp: dp.id, number: cb.number }, 'dispatching callback');
    const attempt = new CallbackAttempt(attemptId, cb, operator, channel, dp, this.deps, log, triggeredAt);
    this.active.set(cb.id, attempt);
    void attempt.run();
    void attempt.done.then((next) => {
      this.active.delete(cb.id);
      const outcome = this.deps.ledger.attempts.get(attemptId)?.outcome;
      const until = Date.now() + dp.callback.passBackSeconds * 1000;
      if (next?.status === 'pending' && outcome === 'operator_passed') this.passedBack.set(`${cb.id}:${operator}`, until);
      if (outcome === 'operator_no_answer') {
        // without this an operator away from a registered phone would be rung in a loop
        this.resting.set(operator, until);
        log.warn({ seconds: dp.callback.passBackSeconds }, 'the operator let a callback ring out: no callbacks for them for a while');
      }
      this.kick('attempt_ended');
    });
    return true;
  }

  /** A timer to the next due retry when it comes before the safety pass. */
  private scheduleWake(): void {
    clearTimeout(this.wake);
    const next = this.deps.ledger.callbacks.nextDueAt();
    if (!next) return;
    const ms = new Date(next).getTime() - this.deps.now().getTime();
    if (ms > 0 && ms < SAFETY_MS) this.wake = setTimeout(() => this.kick('retry_due'), ms + 5);
  }

  /**
   * After a (re)connection. Attempts we run whose channels vanished while events were lost
   * end now; attempts left live in the database by a controller that died have their
   * channels hung up, and are closed as interrupted only once those are gone, so the
   * retry can never overlap a call still ringing.
   */
  async reconcile(): Promise<void> {
    const existing = new Set((await this.port.listChannels()).map((c) => c.id));
    for (const a of this.active.values()) a.lostChannels(existing);
    await this.recoverOrphans(existing);
    this.kick('reconnected');
  }

  /** Live attempt rows no attempt of this process owns (a dead controller's). */
  private orphans(): ReturnType<CallbackLedger['attempts']['live']> {
    // claim and active.set happen in the same tick, so an attempt of ours is never missed here
    return this.deps.ledger.attempts.live().filter((row) => !this.active.has(row.callbackId));
  }

  private async recoverOrphans(existing: Set<string>): Promise<void> {
    for (const row of this.orphans()) {
      const channels = [row.operatorChannel, row.callerChannel].filter((c): c is string => !!c && existing.has(c));
      for (const c of channels) await this.port.hangup(c).catch(() => undefined);
      const gone = await this.waitGone(channels, 10_000);
      if (!gone) {
        this.log.error({ attemptId: row.id, channels }, 'channels of an interrupted attempt are still up; leaving it live');
        continue;
      }
      const dp = this.config.directorates.find((d) => d.id === this.deps.ledger.callbacks.get(row.callbackId)?.dp);
      if (!dp) continue;
      const next = this.deps.ledger.close(row.id, 'interrupted', null, this.deps.now(), dp.callback);
      this.presence.release(row.operator, false);
      this.log.warn({ attemptId: row.id, callbackId: row.callbackId, stage: row.stage, next }, 'attempt interrupted by a restart closed');
    }
  }

  private async waitGone(channels: string[], ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      const ids = new Set((await this.port.listChannels()).map((c) => c.id));
      if (channels.every((c) => !ids.has(c))) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // ---- sysadmin actions (through the controller's HTTP API) ---------------------------------

  async cancel(id: number): Promise<CallbackRow> {
    const cb = this.row(id);
    const attempt = this.active.get(id);
    if (attempt) {
      attempt.cancel();
      const next = await attempt.done;
      if (next?.status !== 'cancelled') throw new ActionError(`callback ${id} was already connected (${next?.status ?? 'closed'})`, 409);
    } else if (!this.deps.ledger.callbacks.cancel(id, 'cancelled by the sysadmin', this.deps.now())) {
      throw new ActionError(`callback ${id} is ${cb.status}: only a pending or dialing request can be cancelled`, 409);
    }
    return this.row(id);
  }

  /** Calls it back as soon as an operator is free (a closed request is reopened). */
  retry(id: number): CallbackRow {
    return this.reschedule(id, this.deps.now());
  }

  reschedule(id: number, at: Date): CallbackRow {
    const cb = this.row(id);
    if (this.active.has(id) || cb.status === 'dialing') throw new ActionError(`callback ${id} is being dialled now`, 409);
    if (cb.status === 'done') throw new ActionError(`callback ${id} is done`, 409);
    const dp = this.config.directorates.find((d) => d.id === cb.dp);
    const now = this.deps.now();
    const validity = new Date(Math.max(now.getTime(), at.getTime()) + (dp?.callback.validityDays ?? 3) * 86_400_000);
    if (!this.deps.ledger.callbacks.reschedule(id, at, validity, now))
      throw new ActionError(`callback ${id} cannot be reopened: ${cb.number} already has a live request at ${cb.dp}`, 409);
    this.kick('sysadmin');
    return this.row(id);
  }

  private row(id: number): CallbackRow {
    const cb = this.deps.ledger.callbacks.get(id);
    if (!cb) throw new ActionError(`no callback ${id}`, 404);
    return cb;
  }
}
