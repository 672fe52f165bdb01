// Places the booked callbacks through the next free operator. Event-driven: a booking, an
// operator becoming free (our own calls ending, or Asterisk's device/endpoint state events),
// a retry falling due, a sysadmin's action each trigger a pass; a safety timer triggers one
// every few seconds anyway (service windows opening, events lost in a reconnection). Passes
// never overlap. Each dispatch claims the request in the database (pending -> dialing plus
// the live attempt row, one transaction, unique per request) before anything is dialled.
import type { Logger } from 'pino';
import { callbackRoles, unitOfGroup, type Config, type Directorate } from '../config/schema';
import type { Presence } from '../operators/presence';
import type { Boundary } from '../runtime/boundary';
import { isOpen } from '../schedule/service-hours';
import type { AttemptRow } from '../storage/callback-attempts-repo';
import type { CallbackRow } from '../storage/callbacks-repo';
import type { TelephonyPort } from '../telephony/port';
import { CallbackAttempt, callbackChannelId, type AttemptDeps } from './callback-attempt';
import { directoratesServedBy, planDispatch, type DispatchBlock } from './policy';
import { ignored } from '../runtime/ignored';
import { ActionError, StorageUnavailable } from '../errors';
import type { ApplyOptions } from '../storage/write-queue';

/** a claim the database cannot take within this time is given up for this pass */
const CLAIM_WAIT_MS = 10_000;
/** a sysadmin's action waits this long for a busy database, then answers 503 */
const ACTION_WAIT_MS = 10_000;

export interface InboundView {
  /** callers of a directorate whose group ('operators' or 'unit:<id>') is ringing now */
  ringing(dp: string, group?: string): number;
  /** numbers on the line with us now */
  numbersOnLine(): Set<string>;
}

/** what the dispatcher needs beyond an attempt's needs */
export interface DispatcherDeps extends AttemptDeps {
  /** the cluster mode: this controller's node id (cluster.nodes); none on one box */
  node?: string;
}

export interface PassReport {
  at: string;
  reason: string;
  /** the cluster mode: the directorates this node dispatches now (its own, and those of dead nodes) */
  served?: string[];
  /** per directorate: the operators' requests (blocked: why none was placed), and every group's dispatches */
  directorates: Record<string, { blocked?: DispatchBlock; dispatched: number[]; groups?: Record<string, { blocked?: DispatchBlock; dispatched: number[] }> }>;
  expired: number[];
}

export class Dispatcher {
  private readonly active = new Map<number, CallbackAttempt>();
  /** requests whose claim is being written: theirs is no dead controller's live attempt */
  private readonly claiming = new Set<number>();
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
    private readonly deps: DispatcherDeps,
    private readonly log: Logger,
    private readonly ready: () => boolean,
    private readonly boundary?: Boundary,
  ) {}

  get activeCount(): number {
    return this.active.size;
  }

  /** the safety pass's period: timing.dispatcherPollSeconds, read at start (events wake the dispatcher sooner) */
  private pollMs = 5000;

  start(): void {
    this.pollMs = Math.round(this.config.timing.dispatcherPollSeconds * 1000);
    this.safety = setInterval(() => this.kick('safety'), this.pollMs);
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
          // the next trigger (at the latest the safety timer) runs a new pass
          if (this.boundary) this.boundary.report('dispatch_pass', err, { reason });
          else this.log.error({ err: (err as Error).message }, 'dispatch pass failed');
        }
        for (const w of waiters) w();
      }
    } finally {
      this.running = false;
    }
  }

  private async pass(reason: string, triggeredAt: number): Promise<void> {
    const now = this.deps.now();
    const queue = this.deps.ledger;
    const report: PassReport = { at: now.toISOString(), reason, directorates: {}, expired: await queue.expireOverdue(now) };
    if (report.expired.length > 0) this.log.info({ ids: report.expired }, 'callback requests expired');
    if (!this.ready()) {
      this.lastPass = report;
      return;
    }
    // a node that cannot place calls (ARI down) does not renew its lease: the next node takes its directorates
    const served = await this.servedDirectorates(now);
    if (this.config.cluster) report.served = [...served];
    // an interrupted attempt whose recovery failed at the last reconnection is retried here
    if ((await this.orphans()).length > 0) await this.recoverOrphans(new Set((await this.port.listChannels()).map((c) => c.id)));
    await this.port.watchPresence(this.deps.presence.operatorIds()).catch((err: Error) => this.log.warn({ err: err.message }, 'presence subscription failed'));
    const onLine = this.inbound.numbersOnLine();
    for (const m of [this.passedBack, this.resting]) for (const [k, until] of [...m]) if (until <= Date.now()) m.delete(k);
    for (const dp of this.config.directorates) {
      if (dp.callback.dispatch === 'paused' || !served.has(dp.id)) continue;
      const due = (await queue.due(dp.id, now, 50)).filter((cb) => !this.active.has(cb.id) && !onLine.has(cb.number));
      const open = isOpen(dp.hours, now, this.deps.closedIntervals?.(dp.id));
      // each group's requests go to its own officials: the operators (the roles that place
      // callbacks), or an office's; the operators' group is always looked at, for the report
      const groups = [...new Set(['operators', ...due.map((cb) => cb.group)])];
      const byGroup: Record<string, { blocked?: DispatchBlock; dispatched: number[] }> = {};
      for (const group of groups) {
        const mine = due.filter((cb) => cb.group === group);
        const unit = unitOfGroup(group);
        const free = open && mine.length > 0 ? (await this.presence.available(dp.id, unit ? 'unit' : callbackRoles(dp), unit)).phones.filter((op) => !this.resting.has(op)) : [];
        const plan = planDispatch({
          open,
          inboundRinging: this.inbound.ringing(dp.id, group),
          free,
          keepFree: unit ? 0 : dp.callback.keepFreeForInbound,
          due: mine.map((cb) => cb.id),
          passedRecently: (id, op) => this.passedBack.has(`${id}:${op}`),
        });
        const dispatched: number[] = [];
        for (const { callbackId, operator } of plan.pairs) {
          const cb = mine.find((c) => c.id === callbackId)!;
          if (await this.startAttempt(dp, cb, operator, triggeredAt)) dispatched.push(callbackId);
        }
        byGroup[group] = { ...(plan.blocked ? { blocked: plan.blocked } : {}), dispatched };
      }
      const ops = byGroup.operators!;
      report.directorates[dp.id] = { ...ops, dispatched: Object.values(byGroup).flatMap((g) => g.dispatched), ...(groups.length > 1 ? { groups: byGroup } : {}) };
    }
    this.lastPass = report;
    await this.scheduleWake();
  }

  /**
   * One box: every directorate. A cluster's node renews its lease, then takes each directorate
   * whose first node alive (its primary, then the others in order) it is (policy.ts).
   */
  private async servedDirectorates(now: Date): Promise<Set<string>> {
    const { cluster } = this.config;
    const node = this.deps.node;
    if (!cluster || !node) return new Set(this.config.directorates.map((d) => d.id));
    await this.deps.ledger.heartbeat(node, now, cluster.leaseSeconds * 1000);
    const alive = new Set(await this.deps.ledger.aliveNodes(now));
    return new Set(directoratesServedBy(this.config, node, (n) => alive.has(n)));
  }

  private async startAttempt(dp: Directorate, cb: CallbackRow, operator: string, triggeredAt: number): Promise<boolean> {
    const channel = callbackChannelId('op', cb.id);
    // reserved while the claim is written, so that nobody else rings them meanwhile
    this.presence.engage(operator);
    this.claiming.add(cb.id);
    const at = this.deps.now();
    let attemptId: number | undefined;
    try {
      attemptId = await this.deps.ledger.claim(cb.id, operator, channel, at, { deadlineMs: CLAIM_WAIT_MS });
    } catch (err) {
      if (!(err instanceof StorageUnavailable)) throw err;
      this.log.warn({ callbackId: cb.id, err: err.message }, 'claim not written: the request waits for a later pass');
    } finally {
      this.claiming.delete(cb.id);
    }
    if (attemptId === undefined) {
      this.presence.release(operator, false); // cancelled or taken meanwhile, or the database is busy
      return false;
    }
    const log = this.log.child({ callbackId: cb.id, attemptId, operator, dp: cb.dp });
    log.info({ dp: dp.id, number: cb.number }, 'dispatching callback');
    const attempt = new CallbackAttempt(attemptId, cb, operator, channel, dp, this.deps, log, triggeredAt);
    this.active.set(cb.id, attempt);
    void attempt.run().catch((err: unknown) => this.boundary?.report('callback_attempt', err, { callbackId: cb.id, attemptId }));
    void attempt.done
      .then(async (next) => {
        const outcome = (await this.deps.ledger.attempt(attemptId))?.outcome;
        this.active.delete(cb.id);
        const until = Date.now() + dp.callback.passBackSeconds * 1000;
        if (next?.status === 'pending' && outcome === 'operator_passed') this.passedBack.set(`${cb.id}:${operator}`, until);
        if (outcome === 'operator_no_answer') {
          // without this an operator away from a registered phone would be rung in a loop
          this.resting.set(operator, until);
          log.warn({ seconds: dp.callback.passBackSeconds }, 'the operator let a callback ring out: no callbacks for them for a while');
        }
        this.kick('attempt_ended');
      })
      .catch((err: unknown) => this.boundary?.report('callback_attempt_end', err, { callbackId: cb.id, attemptId }));
    return true;
  }

  /** A timer to the next due retry when it comes before the safety pass. */
  private async scheduleWake(): Promise<void> {
    const next = await this.deps.ledger.nextDueAt();
    clearTimeout(this.wake);
    if (!next) return;
    const ms = new Date(next).getTime() - this.deps.now().getTime();
    if (ms > 0 && ms < this.pollMs) this.wake = setTimeout(() => this.kick('retry_due'), ms + 5);
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

  /** Live attempt rows no attempt of this process owns (a dead controller's: this node's before a restart, or a dead node's). */
  private async orphans(): Promise<AttemptRow[]> {
    // a cluster's node: its own and those of the nodes whose lease ran out, never a live node's
    const node = this.deps.node;
    const live = this.config.cluster && node ? await this.deps.ledger.recoverable(node, this.deps.now()) : await this.deps.ledger.liveAttempts();
    // an attempt of ours is in `claiming` while its claim is written, then in `active` until its close is
    return live.filter((row) => !this.active.has(row.callbackId) && !this.claiming.has(row.callbackId));
  }

  private async recoverOrphans(existing: Set<string>): Promise<void> {
    for (const row of await this.orphans()) {
      const channels = [row.operatorChannel, row.callerChannel].filter((c): c is string => !!c && existing.has(c));
      for (const c of channels) await this.port.hangup(c).catch(ignored(this.log, 'hang up'));
      const gone = await this.waitGone(channels, 10_000);
      if (!gone) {
        this.log.error({ attemptId: row.id, channels }, 'channels of an interrupted attempt are still up; leaving it live');
        continue;
      }
      const request = await this.deps.ledger.get(row.callbackId);
      const dp = this.config.directorates.find((d) => d.id === request?.dp);
      if (!dp) continue;
      const next = await this.deps.ledger.close(row.id, 'interrupted', null, this.deps.now(), dp.callback);
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
    const cb = await this.row(id);
    const attempt = this.active.get(id);
    if (attempt) {
      attempt.cancel();
      const next = await attempt.done;
      if (next?.status !== 'cancelled') throw new ActionError(`callback ${id} was already connected (${next?.status ?? 'closed'})`, 409);
    } else if (!(await this.action((o) => this.deps.ledger.cancel(id, 'cancelled by the sysadmin', this.deps.now(), o)))) {
      throw new ActionError(`callback ${id} is ${cb.status}: only a pending or dialing request can be cancelled`, 409);
    }
    return this.row(id);
  }

  /** Calls it back as soon as an operator is free (a closed request is reopened). */
  retry(id: number): Promise<CallbackRow> {
    return this.reschedule(id, this.deps.now());
  }

  /** A sysadmin's write: waits for a busy database a little, then answers 503. */
  private async action<T>(write: (o: ApplyOptions) => Promise<T>): Promise<T> {
    try {
      return await write({ deadlineMs: ACTION_WAIT_MS, failFast: true });
    } catch (err) {
      if (err instanceof StorageUnavailable) throw new ActionError(`the database is not taking writes now (${err.message}): try again shortly`, 503);
      throw err;
    }
  }

  async reschedule(id: number, at: Date): Promise<CallbackRow> {
    const cb = await this.row(id);
    if (this.active.has(id) || cb.status === 'dialing') throw new ActionError(`callback ${id} is being dialled now`, 409);
    if (cb.status === 'done') throw new ActionError(`callback ${id} is done`, 409);
    if (cb.number.includes('*')) throw new ActionError(`callback ${id}: its number was masked by retention (${cb.number}): it cannot be called back`, 409);
    const dp = this.config.directorates.find((d) => d.id === cb.dp);
    const now = this.deps.now();
    const validity = new Date(Math.max(now.getTime(), at.getTime()) + (dp?.callback.validityDays ?? 3) * 86_400_000);
    if (!(await this.action((o) => this.deps.ledger.reschedule(id, at, validity, now, o))))
      throw new ActionError(`callback ${id} cannot be reopened: ${cb.number} already has a live request at ${cb.dp}`, 409);
    this.kick('sysadmin');
    return this.row(id);
  }

  private async row(id: number): Promise<CallbackRow> {
    const cb = await this.deps.ledger.get(id);
    if (!cb) throw new ActionError(`no callback ${id}`, 404);
    return cb;
  }
}
