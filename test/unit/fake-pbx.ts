// A scripted stand-in for Asterisk behind the telephony port, for unit tests of the call
// flows: it records every operation and the test fires Asterisk's events by hand.
import type { CallTracker } from '../../controller/telephony/port';
import type { CallEvents, ChannelSummary, OriginateRequest, PlaybackOutcome, TelephonyPort } from '../../controller/telephony/port';

/** Records every operation; the test plays Asterisk's part by firing the events. */
export class FakePbx implements TelephonyPort, CallTracker {
  readonly ops: string[] = [];
  /** every playback asked for, with its whole media URIs (ops keeps the file names) */
  readonly media: Array<{ channelId: string; media: string[] }> = [];
  /** every channel hung up, by its whole id (ops keeps a short prefix) */
  readonly hangups: string[] = [];
  private readonly handlers = new Map<string, CallEvents>();
  private readonly playing: Array<{ channelId: string; media: string[]; done: (o: PlaybackOutcome) => void }> = [];
  onOriginate: (r: OriginateRequest) => void = () => undefined;

  attachCall(id: string, ev: CallEvents): () => void {
    this.handlers.set(id, ev);
    return () => void (this.handlers.get(id) === ev && this.handlers.delete(id));
  }
  isTracked(id: string): boolean {
    return this.handlers.has(id);
  }
  // ---- the port
  async answer(): Promise<void> {}
  async play(channelId: string, media: string[], signal: AbortSignal): Promise<PlaybackOutcome> {
    this.ops.push(`play ${channelId.slice(0, 4)} ${media.map((m) => m.replace(/^.*\//, '')).join(',')}`);
    this.media.push({ channelId, media });
    return new Promise((done) => {
      const p = { channelId, media, done };
      this.playing.push(p);
      signal.addEventListener('abort', () => (this.playing.splice(this.playing.indexOf(p) >>> 0, 1), done('stopped')), { once: true });
    });
  }
  async hangup(channelId: string): Promise<void> {
    this.ops.push(`hangup ${channelId.slice(0, 4)}`);
    this.hangups.push(channelId);
    this.channels = this.channels.filter((c) => c !== channelId);
  }
  async continueInDialplan(): Promise<void> {}
  async setLanguage(): Promise<void> {}
  async originate(r: OriginateRequest): Promise<void> {
    this.ops.push(`originate ${r.endpoint} as ${r.callerId}`);
    this.onOriginate(r);
  }
  async createBridge(): Promise<string> {
    this.ops.push('bridge');
    return 'b1';
  }
  /** when set, joining a bridge waits for it (Asterisk's REST answer in flight) */
  bridgeGate: Promise<void> | undefined;
  async addToBridge(_b: string, ids: string[]): Promise<void> {
    await this.bridgeGate;
    this.ops.push(`join ${ids.map((i) => i.slice(0, 4)).join('+')}`);
  }
  async removeFromBridge(_b: string, ids: string[]): Promise<void> {
    this.ops.push(`leave ${ids.map((i) => i.slice(0, 4)).join('+')}`);
  }
  async destroyBridge(): Promise<void> {}
  async startMoh(): Promise<void> {}
  async stopMoh(): Promise<void> {}
  async stopTone(): Promise<void> {}
  async watchPresence(): Promise<void> {}
  async endpointState(): Promise<string> {
    return 'online';
  }
  async deviceState(): Promise<string> {
    return 'NOT_INUSE';
  }
  /** channels Asterisk still has (for reconciliation) */
  channels: string[] = [];
  async listChannels(): Promise<ChannelSummary[]> {
    return this.channels.map((id) => ({ id, name: id, state: 'Up', args: [], language: 'it' }));
  }
  async listBridges() {
    return [];
  }
  async applicationChannels(): Promise<string[]> {
    return [];
  }
  // ---- Asterisk's part
  answered(prefix: string): void {
    this.find(prefix).onEnterApp?.();
  }
  key(prefix: string, digit: string): void {
    this.find(prefix).onDtmf(digit);
  }
  gone(prefix: string, cause: number | null): void {
    this.find(prefix).onGone(cause);
  }
  /** the current prompt on a channel ends */
  finish(prefix: string): void {
    const i = this.playing.findIndex((p) => p.channelId.startsWith(prefix));
    if (i >= 0) this.playing.splice(i, 1)[0]!.done('finished');
  }
  private find(prefix: string): CallEvents {
    for (const [id, ev] of this.handlers) if (id.startsWith(prefix)) return ev;
    throw new Error(`no channel ${prefix}* attached (have ${[...this.handlers.keys()].join(', ')})`);
  }
}

/** Lets every pending promise and I/O callback of the flow under test run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
