// Runs the inbound flow of each caller's channel against the telephony port and records the
// call. One InboundCall per channel; its AbortController is aborted when the channel goes,
// which cancels whatever the flow was waiting for.
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import { promptMedia } from '../prompts/media';
import type { CallsRepo } from '../storage/calls-repo';
import { ChannelGoneError, type StasisChannel, type TelephonyPort } from '../telephony/port';
import { startInbound, stepInbound, type InboundEffect, type InboundEvent, type InboundState } from './welcome-flow';

/** The dialplan fallback (asterisk-config/extensions.conf [ivr-fallback]). */
export const FALLBACK = { context: 'ivr-fallback', extension: 's', priority: 1 } as const;

export interface CallTracker {
  attachCall(channelId: string, events: { onDtmf(d: string): void; onGone(cause: number | null): void }): () => void;
}

export class InboundService {
  private readonly active = new Map<string, InboundCall>();

  constructor(
    private readonly config: Config,
    private readonly port: TelephonyPort,
    private readonly tracker: CallTracker,
    private readonly calls: CallsRepo,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get activeCount(): number {
    return this.active.size;
  }

  handleStasisStart(ch: StasisChannel): void {
    const log = this.log.child({ channelId: ch.id });
    const [kind, dpId] = ch.args;
    const dp = this.config.directorates.find((d) => d.id === dpId);
    if (kind !== 'inbound' || !dp) {
      // e.g. a dialplan generated from another configuration: apologise, do not strand
      log.error({ args: ch.args }, 'StasisStart for an unknown directorate; sending to fallback');
      void this.port.continueInDialplan(ch.id, FALLBACK.context, FALLBACK.extension, FALLBACK.priority).catch((err: Error) => log.error({ err: err.message }, 'fallback failed'));
      return;
    }
    const caller = ch.callerNumber && !/^(anonymous|unknown|restricted)$/i.test(ch.callerNumber) ? ch.callerNumber : null;
    this.calls.start({ id: ch.id, dp: dp.id, caller, dialed: ch.dialed, at: this.now() });
    log.info({ dp: dp.id, caller, dialed: ch.dialed }, 'inbound call');
    const call = new InboundCall(ch.id, dp.id, this.port, log, {
      answered: () => this.calls.answered(ch.id, this.now()),
      ended: (reason, cause) => {
        this.calls.end(ch.id, this.now(), reason, cause);
        this.active.delete(ch.id);
        detach();
        log.info({ reason, cause }, 'call ended');
      },
    });
    this.active.set(ch.id, call);
    const detach = this.tracker.attachCall(ch.id, { onDtmf: (d) => call.dtmf(d), onGone: (cause) => call.gone(cause) });
    call.run();
  }

  /**
   * After a (re)connection: events may have been lost while the websocket was down.
   * Calls we track whose channel no longer exists are closed as lost; channels sitting in
   * our application that we do not track (the controller restarted under them) are handed
   * to the dialplan apology rather than left in silence.
   */
  async reconcile(): Promise<void> {
    const inApp = new Set(await this.port.applicationChannels());
    const existing = new Set((await this.port.listChannels()).map((c) => c.id));
    for (const [id, call] of this.active) if (!existing.has(id)) call.gone(null);
    for (const id of inApp) {
      if (this.active.has(id)) continue;
      this.log.warn({ channelId: id }, 'untracked channel in the application after reconnect; sending to fallback');
      await this.port.continueInDialplan(id, FALLBACK.context, FALLBACK.extension, FALLBACK.priority).catch(() => undefined);
    }
    // rows left open by a controller that died: their channels are gone or just handed back
    for (const row of this.calls.open()) if (!this.active.has(row.id)) this.calls.end(row.id, this.now(), 'lost', null);
  }
}

interface CallHooks {
  answered(): void;
  ended(reason: 'completed' | 'caller_hangup' | 'error', cause: number | null): void;
}

class InboundCall {
  private state: InboundState;
  private readonly abort = new AbortController();
  private hangupCause: number | null = null;
  private queue: InboundEffect[] = [];
  private running = false;

  constructor(
    private readonly channelId: string,
    dp: string,
    private readonly port: TelephonyPort,
    private readonly log: Logger,
    private readonly hooks: CallHooks,
  ) {
    const t = startInbound(dp);
    this.state = t.state;
    this.queue.push(...t.effects);
  }

  run(): void {
    void this.drain();
  }

  dtmf(digit: string): void {
    this.log.debug({ digit }, 'dtmf');
  }

  gone(cause: number | null): void {
    if (this.abort.signal.aborted) return;
    this.hangupCause = cause;
    this.abort.abort();
    const expected = this.state.step === 'hangingUp';
    this.feed(expected ? { type: 'hungUp' } : { type: 'callerHungUp' });
  }

  private feed(event: InboundEvent): void {
    const t = stepInbound(this.state, event);
    this.state = t.state;
    this.queue.push(...t.effects);
    if (this.state.step === 'done') {
      const reason = this.state.reason;
      this.hooks.ended(reason, this.hangupCause);
    }
    void this.drain();
  }

  /** Executes effects one at a time; each effect's result is fed back as an event. */
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const effect = this.queue.shift()!;
        const event = await this.execute(effect);
        if (event) this.feed(event);
      }
    } finally {
      this.running = false;
    }
  }

  private async execute(effect: InboundEffect): Promise<InboundEvent | undefined> {
    const signal = this.abort.signal;
    try {
      switch (effect.type) {
        case 'answer':
          await this.port.answer(this.channelId);
          this.hooks.answered();
          return { type: 'answered' };
        case 'play': {
          const outcome = await this.port.play(this.channelId, effect.prompts.map(promptMedia), signal);
          if (outcome === 'failed') this.log.error({ prompts: effect.prompts }, 'prompt could not be played');
          return { type: 'playbackEnded', outcome };
        }
        case 'hangup':
          await this.port.hangup(this.channelId);
          return undefined; // the hangup comes back as an event (onGone)
        case 'fallback':
          if (!signal.aborted) await this.port.continueInDialplan(this.channelId, FALLBACK.context, FALLBACK.extension, FALLBACK.priority);
          return undefined;
      }
    } catch (err) {
      if (err instanceof ChannelGoneError || signal.aborted) return undefined;
      this.log.error({ err: (err as Error).message, effect: effect.type }, 'call step failed');
      if (effect.type === 'fallback') {
        await this.port.hangup(this.channelId).catch(() => undefined);
        return undefined;
      }
      return { type: 'error', message: (err as Error).message };
    }
  }
}
