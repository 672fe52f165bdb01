// The one implementation of the telephony port over ARI, plus the supervision of the ARI
// connection: ari-client for the event websocket, our own REST requests (ari-rest.ts) for
// the operations, which keep Asterisk's HTTP status in their errors.
//
// Connection: probe GET /ari/asterisk/info with our own timeout (ari-client's connect() can
// hang when Asterisk is down), then connect and start the app. ari-client re-opens a dropped
// websocket by itself a limited number of times; when it gives up we discard that client
// (removing its listeners, so no event is ever handled twice) and start over, forever, with
// backoff. Every (re)connection calls onConnected so the owner can reconcile the calls it
// knows against the channels that still exist: events in the gap are lost.
//
// Events: one listener per event type on the client, dispatched by channel id / playback id
// to per-call handlers that the owner removes when the call ends (ari-client never removes
// per-instance listeners by itself, so we do not use them). ari-client dispatches events
// with no try/catch of its own: each handler runs inside an error boundary, and an error in
// a channel's handler is handed to the owner (onChannelError: that caller gets the apology).
//
// No wait is unbounded: every REST request has a timeout; a playback's end is awaited at most
// its expected duration plus a margin, then asked of Asterisk (a PlaybackFinished lost while
// the websocket was down would otherwise leave the caller in silence forever); after every
// reconnection the channels and playbacks we wait on are checked against what still exists.
import { withTimeout } from '../runtime/timeout';
import ari, { type Client } from 'ari-client';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Boundary } from '../runtime/boundary';
import { ariGet, ariRequest } from './ari-rest';
import { type CallEvents, type ChannelSummary, type OriginateRequest, type PlaybackOutcome, type StasisChannel, type TelephonyPort } from './port';
import { ignored } from '../runtime/ignored';
import { AriError } from '../errors';

export interface AriSettings {
  url: string;
  user: string;
  password: string;
  app: string;
  probeTimeoutMs?: number;
  /** first and longest pause between connection attempts */
  backoffMs?: [number, number];
  /** longest wait for the answer to one REST request */
  requestTimeoutMs?: number;
  /** how long a medium plays (undefined: unknown); a playback still unreported after its
   *  expected end plus PLAYBACK_MARGIN_MS is asked of Asterisk */
  mediaDurationMs?: (media: string) => number | undefined;
}

/** past a playback's expected end, wait this long for its event before asking Asterisk */
export const PLAYBACK_MARGIN_MS = 3000;
/** a medium whose length we do not know is checked after this long */
const UNKNOWN_MEDIA_MS = 30_000;

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface GatewayHandlers {
  onStasisStart(channel: StasisChannel): void;
  /** after every successful (re)connection, before new events are processed */
  onConnected(): void;
  /** an operator's phone changed: device state (NOT_INUSE, INUSE...) or registration */
  onPresence?(resource: string, state: string): void;
  /** handling an event of this channel failed: its owner degrades that call only */
  onChannelError?(channelId: string, err: unknown): void;
}

interface PendingPlayback {
  resolve(outcome: PlaybackOutcome): void;
  channelId: string;
  watchdog?: NodeJS.Timeout;
}

export class AriGateway implements TelephonyPort {
  private client: Client | undefined;
  private generation = 0;
  private state: ConnectionState = 'disconnected';
  private readonly calls = new Map<string, CallEvents>();
  private readonly playbacks = new Map<string, PendingPlayback>();
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(
    private readonly settings: AriSettings,
    private readonly handlers: GatewayHandlers,
    private readonly log: Logger,
    private readonly boundary: Boundary,
  ) {}

  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  start(): void {
    if (this.state === 'stopped') return;
    void this.connect();
  }

  stop(): void {
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    this.discardClient();
  }

  /** Routes a channel's events to a call until removed. */
  attachCall(channelId: string, events: CallEvents): () => void {
    this.calls.set(channelId, events);
    return () => {
      if (this.calls.get(channelId) === events) this.calls.delete(channelId);
    };
  }

  isTracked(channelId: string): boolean {
    return this.calls.has(channelId);
  }

  // ---- connection supervision -------------------------------------------------------

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.state = 'connecting';
    try {
      await this.probe();
      const client = await withTimeout(ari.connect(this.settings.url, this.settings.user, this.settings.password), this.probeTimeout, 'ARI connect');
      if (generation !== this.generation || this.stopped) return;
      this.client = client;
      this.subscribe(client, generation);
      await withTimeout(client.start(this.settings.app), this.probeTimeout, 'ARI websocket');
    } catch (err) {
      if (generation !== this.generation || this.stopped) return;
      this.log.warn({ err: (err as Error).message, attempt: this.attempt }, 'ARI not reachable, will retry');
      this.discardClient();
      this.scheduleReconnect();
    }
  }

  private get probeTimeout(): number {
    return this.settings.probeTimeoutMs ?? 3000;
  }

  private async probe(): Promise<void> {
    await ariGet(this.settings, '/asterisk/info', this.probeTimeout);
  }

  private scheduleReconnect(): void {
    if (this.state === 'stopped') return;
    this.state = 'disconnected';
    const [first, max] = this.settings.backoffMs ?? [250, 5000];
    const delay = Math.min(max, first * 2 ** Math.min(this.attempt, 10));
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private discardClient(): void {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    (c as unknown as NodeJS.EventEmitter).removeAllListeners();
    try {
      c.stop();
    } catch {
      /* never started */
    }
  }

  private subscribe(client: Client, generation: number): void {
    const live = (): boolean => generation === this.generation && this.client === client;
    const on = <E>(event: string, handler: (e: E) => void, channelOf: (e: E) => string | undefined = () => undefined): void => {
      const guarded = this.boundary.wrap(
        `ari:${event}`,
        (e: E) => {
          if (live()) handler(e);
        },
        (e: E) => ({ event, channelId: channelOf(e) }),
        (err: unknown, e: E) => {
          const channelId = channelOf(e);
          if (channelId) this.handlers.onChannelError?.(channelId, err);
        },
      );
      (client as unknown as NodeJS.EventEmitter).on(event, guarded);
    };
    type ChannelEvent = { channel: { id: string } };
    const channelOf = (e: ChannelEvent): string | undefined => e?.channel?.id;
    on('WebSocketConnected', () => {
      this.state = 'connected';
      this.attempt = 0;
      this.log.info({ app: this.settings.app }, 'ARI connected');
      this.handlers.onConnected();
      // what we wait on may have ended while nobody listened
      void this.reconcileWaits(generation).catch((err: unknown) => this.boundary.report('ari:reconcile_waits', err));
    });
    on('WebSocketReconnecting', (err: Error | undefined) => {
      this.state = 'disconnected';
      this.log.warn({ err: err?.message }, 'ARI websocket lost, ari-client reconnecting');
    });
    on('WebSocketMaxRetries', () => {
      this.log.warn('ari-client gave up reconnecting; starting a new client');
      this.discardClient();
      this.scheduleReconnect();
    });
    on(
      'StasisStart',
      (e: { channel: { id: string; name: string; state: string; caller?: { number?: string }; dialplan?: { exten?: string } }; args?: string | string[] }) => {
        const ch = e.channel;
        const owner = this.calls.get(ch.id);
        if (owner?.onEnterApp) return owner.onEnterApp(); // a channel we originated answered
        this.handlers.onStasisStart({
          id: ch.id,
          name: ch.name,
          callerNumber: ch.caller?.number ?? '',
          dialed: ch.dialplan?.exten ?? '',
          state: ch.state,
          args: asArray(e.args),
        });
      },
      channelOf,
    );
    on('ChannelDtmfReceived', (e: ChannelEvent & { digit: string }) => this.calls.get(e.channel.id)?.onDtmf(e.digit), channelOf);
    on('StasisEnd', (e: ChannelEvent) => this.channelGone(e.channel.id, null), channelOf);
    on('ChannelHangupRequest', (e: ChannelEvent & { cause?: number }) => this.channelGone(e.channel.id, e.cause ?? null), channelOf);
    on('ChannelDestroyed', (e: ChannelEvent & { cause?: number }) => this.channelGone(e.channel.id, e.cause ?? null), channelOf);
    on('DeviceStateChanged', (e: { device_state?: { name?: string; state: string } }) => {
      const name = e.device_state?.name ?? '';
      if (name.startsWith('PJSIP/')) this.handlers.onPresence?.(name.slice(6), e.device_state!.state);
    });
    on('PlaybackFinished', (e: { playback: { id: string; state?: string } }) => this.playbackEnded(e.playback.id, e.playback.state === 'failed' ? 'failed' : 'finished'));
  }

  private channelGone(channelId: string, cause: number | null): void {
    for (const [id, p] of this.playbacks) if (p.channelId === channelId) this.playbackEnded(id, 'failed');
    this.calls.get(channelId)?.onGone(cause);
  }

  private playbackEnded(playbackId: string, outcome: PlaybackOutcome): void {
    const p = this.playbacks.get(playbackId);
    if (!p) return;
    this.playbacks.delete(playbackId);
    clearTimeout(p.watchdog);
    p.resolve(outcome);
  }

  /**
   * After a (re)connection: events of the gap are lost. A channel we route that no longer
   * exists is gone; a playback Asterisk no longer has has finished.
   */
  private async reconcileWaits(generation: number): Promise<void> {
    const channels = new Set((await this.listChannels()).map((c) => c.id));
    if (generation !== this.generation) return;
    for (const id of [...this.calls.keys()]) if (!channels.has(id)) this.channelGone(id, null);
    for (const id of [...this.playbacks.keys()]) await this.checkPlayback(id);
  }

  /** Asks Asterisk whether a playback still plays; resolves it when it does not. */
  private async checkPlayback(playbackId: string): Promise<void> {
    const p = this.playbacks.get(playbackId);
    if (!p) return;
    try {
      await this.rest('GET', `/playbacks/${enc(playbackId)}`);
    } catch (err) {
      if (err instanceof AriError && err.notFound) {
        this.log.warn({ playbackId, channelId: p.channelId }, 'playback ended without its event; going on');
        return this.playbackEnded(playbackId, 'finished');
      }
      // ARI unreachable: look again shortly (a reconnection also looks)
    }
    if (this.playbacks.get(playbackId) === p) p.watchdog = setTimeout(() => void this.checkPlayback(playbackId).catch(ignored(this.log, 'check the playback')), PLAYBACK_MARGIN_MS);
  }

  /** when to ask Asterisk about a playback that has not reported its end; undefined: never (a tone) */
  private watchdogMs(media: string[]): number | undefined {
    if (media.some((m) => m.startsWith('tone:'))) return undefined;
    let total = 0;
    for (const m of media) total += this.settings.mediaDurationMs?.(m) ?? UNKNOWN_MEDIA_MS;
    return total + PLAYBACK_MARGIN_MS;
  }

  /** One REST request while the websocket is up: events we could not hear would make its result meaningless. */
  private rest<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, params?: Parameters<typeof ariRequest>[3]): Promise<T> {
    if (!this.client || this.state !== 'connected') return Promise.reject(new AriError('ARI is not connected', null));
    return ariRequest<T>(this.settings, method, path, params, this.settings.requestTimeoutMs ?? 10_000);
  }

  // ---- the port ---------------------------------------------------------------------

  async answer(channelId: string): Promise<void> {
    await this.rest('POST', `/channels/${enc(channelId)}/answer`);
  }

  async play(channelId: string, media: string[], signal: AbortSignal): Promise<PlaybackOutcome> {
    if (signal.aborted) return 'stopped';
    // a tone never ends by itself, and Asterisk runs a later continue (the apology) only
    // after the channel's current playback: its id comes from the channel, so that a
    // restarted controller can stop it (stopTone)
    const playbackId = media.some((m) => m.startsWith('tone:')) ? toneId(channelId) : randomUUID();
    // registered before the request: PlaybackFinished of a short file can beat the response
    const done = new Promise<PlaybackOutcome>((resolve) => this.playbacks.set(playbackId, { resolve, channelId }));
    const onAbort = (): void => {
      this.playbackEnded(playbackId, 'stopped');
      if (this.state === 'connected') this.rest('DELETE', `/playbacks/${enc(playbackId)}`).catch(ignored(this.log, 'stop the playback'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.rest('POST', `/channels/${enc(channelId)}/play`, { media, playbackId });
      const p = this.playbacks.get(playbackId);
      const watch = this.watchdogMs(media);
      if (p && watch !== undefined) p.watchdog = setTimeout(() => void this.checkPlayback(playbackId).catch(ignored(this.log, 'check the playback')), watch);
      return await done;
    } catch (err) {
      const p = this.playbacks.get(playbackId);
      clearTimeout(p?.watchdog);
      this.playbacks.delete(playbackId);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async stopTone(channelId: string): Promise<void> {
    try {
      await this.rest('DELETE', `/playbacks/${enc(toneId(channelId))}`);
    } catch (err) {
      if (!(err instanceof AriError && err.notFound)) throw err;
    }
  }

  async hangup(channelId: string, reason: 'normal' | 'busy' | 'congestion' = 'normal'): Promise<void> {
    try {
      await this.rest('DELETE', `/channels/${enc(channelId)}`, { reason });
    } catch (err) {
      if (!(err instanceof AriError && err.notFound)) throw err; // already gone is fine
    }
  }

  async continueInDialplan(channelId: string, context: string, extension: string, priority: number): Promise<void> {
    await this.rest('POST', `/channels/${enc(channelId)}/continue`, { context, extension, priority });
  }

  async setLanguage(channelId: string, lang: string): Promise<void> {
    await this.rest('POST', `/channels/${enc(channelId)}/variable`, { variable: 'CHANNEL(language)', value: lang });
  }

  async originate(r: OriginateRequest): Promise<void> {
    await this.rest('POST', '/channels', { endpoint: r.endpoint, channelId: r.channelId, callerId: r.callerId, timeout: r.timeoutSec, app: this.settings.app, appArgs: r.appArgs });
  }

  async createBridge(): Promise<string> {
    const bridgeId = randomUUID();
    // dtmf_events: Asterisk must see the digits of the bridged channels. A plain mixing bridge
    // of two PJSIP channels is bridged natively, RTP relayed packet by packet, and an
    // operator's RFC 4733 "*" + unit code never reaches us (SIP INFO did): found with baresip
    await this.rest('POST', '/bridges', { bridgeId, type: 'mixing,dtmf_events' });
    return bridgeId;
  }

  async addToBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    await this.rest('POST', `/bridges/${enc(bridgeId)}/addChannel`, { channel: channelIds });
  }

  async removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    await this.rest('POST', `/bridges/${enc(bridgeId)}/removeChannel`, { channel: channelIds });
  }

  async startMoh(channelId: string): Promise<void> {
    await this.rest('POST', `/channels/${enc(channelId)}/moh`, { mohClass: 'default' });
  }

  async stopMoh(channelId: string): Promise<void> {
    try {
      await this.rest('DELETE', `/channels/${enc(channelId)}/moh`);
    } catch (err) {
      if (!(err instanceof AriError && err.notFound)) throw err;
    }
  }

  private watched = new Set<string>();
  private watchedGeneration = -1;

  async watchPresence(resources: string[]): Promise<void> {
    // subscriptions live as long as the websocket: a new connection starts from none
    if (this.watchedGeneration !== this.generation) {
      this.watched = new Set();
      this.watchedGeneration = this.generation;
    }
    // device states only: they also change on (un)registration (UNAVAILABLE <-> NOT_INUSE).
    // Not endpoint subscriptions: those forward every event of the endpoint's channels, so
    // a channel in the application would deliver its DTMF twice.
    const sources = resources.map((r) => `deviceState:PJSIP/${r}`).filter((s) => !this.watched.has(s));
    if (sources.length === 0) return;
    await this.rest('POST', `/applications/${enc(this.settings.app)}/subscription`, { eventSource: sources });
    for (const s of sources) this.watched.add(s);
  }

  async destroyBridge(bridgeId: string): Promise<void> {
    try {
      await this.rest('DELETE', `/bridges/${enc(bridgeId)}`);
    } catch (err) {
      if (!(err instanceof AriError && err.notFound)) throw err;
    }
  }

  async endpointState(resource: string): Promise<string> {
    try {
      const ep = await this.rest<{ state?: string }>('GET', `/endpoints/PJSIP/${enc(resource)}`);
      return ep.state ?? 'unknown';
    } catch (err) {
      if (err instanceof AriError && err.notFound) return 'offline';
      throw err;
    }
  }

  /** Every PJSIP phone's registration and device state in two requests (the console's live page). */
  async phoneStates(): Promise<Map<string, { online: boolean; device: string }>> {
    const [endpoints, devices] = await Promise.all([
      this.rest<Array<{ resource: string; state?: string }>>('GET', '/endpoints/PJSIP'),
      this.rest<Array<{ name: string; state: string }>>('GET', '/deviceStates'),
    ]);
    const device = new Map(devices.filter((d) => d.name.startsWith('PJSIP/')).map((d) => [d.name.slice(6), d.state]));
    return new Map(endpoints.map((e) => [e.resource, { online: e.state === 'online', device: device.get(e.resource) ?? 'UNKNOWN' }]));
  }

  async deviceState(resource: string): Promise<string> {
    const ds = await this.rest<{ state: string }>('GET', `/deviceStates/${enc(`PJSIP/${resource}`)}`);
    return ds.state;
  }

  async listChannels(): Promise<ChannelSummary[]> {
    const list = await this.rest<Array<{ id: string; name: string; state: string; language: string; dialplan?: { app_name?: string; app_data?: string } }>>('GET', '/channels');
    return list.map((ch) => ({ id: ch.id, name: ch.name, state: ch.state, args: stasisArgs(ch.dialplan), language: ch.language }));
  }

  async listBridges(): Promise<Array<{ id: string; channels: string[] }>> {
    const list = await this.rest<Array<{ id: string; channels?: string[] | string }>>('GET', '/bridges');
    return list.map((b) => ({ id: b.id, channels: asArray(b.channels) }));
  }

  async applicationChannels(): Promise<string[]> {
    const app = await this.rest<{ channel_ids?: string[] | string }>('GET', `/applications/${enc(this.settings.app)}`);
    return asArray(app.channel_ids);
  }
}

const toneId = (channelId: string): string => `tone-${channelId}`;
const enc = encodeURIComponent;

/** "ivr,leg,<call>" while in Stasis -> ["leg", "<call>"] (the application name dropped) */
function stasisArgs(dp: { app_name?: string; app_data?: string } | undefined): string[] {
  if (dp?.app_name?.toLowerCase() !== 'stasis' || !dp.app_data) return [];
  return dp.app_data.split(',').slice(1);
}

const asArray = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
