// The narrow, typed port between the call flows and Asterisk. The flows see only this;
// ari-gateway.ts implements it once over ari-client. Every wait takes an AbortSignal, which
// the call's session aborts on hangup, so no flow can wait on a caller who has gone.

export interface StasisChannel {
  id: string;
  name: string;
  /** caller id number as received, '' when withheld */
  callerNumber: string;
  /** Request-URI user: the number that was dialled */
  dialed: string;
  state: string;
  /** Stasis() application arguments, e.g. ["inbound", "demo-sw"] */
  args: string[];
}

export interface ChannelSummary {
  id: string;
  name: string;
  state: string;
  /** Stasis() arguments while the channel is in an application, else [] */
  args: string[];
  language: string;
}

/** stopped: the caller's signal stopped it (barge-in); failed: the file could not be played
 *  or the channel went away */
export type PlaybackOutcome = 'finished' | 'failed' | 'stopped';

/** where a call goes when the controller cannot go on with it: the dialplan's apology */
export const FALLBACK = { context: 'ivr-fallback', extension: 's', priority: 1 } as const;

/** Routes a channel's events to the flow that owns it (the inbound service). */
export interface CallTracker {
  attachCall(channelId: string, events: CallEvents): () => void;
  /** some flow of this controller routes this channel's events */
  isTracked(channelId: string): boolean;
}

export interface CallEvents {
  /** a DTMF digit from the channel */
  onDtmf(digit: string): void;
  /** the channel left Stasis or was hung up */
  onGone(cause: number | null): void;
  /** an originated channel answered and entered the application */
  onEnterApp?(): void;
}

export interface OriginateRequest {
  /** e.g. "PJSIP/st1" */
  endpoint: string;
  /** chosen by the caller so events can be routed before the request returns */
  channelId: string;
  /** "name <number>" shown on the phone */
  callerId: string;
  timeoutSec: number;
  appArgs: string[];
}

export interface TelephonyPort {
  answer(channelId: string): Promise<void>;
  /** Plays media (e.g. "sound:/opt/ivr/sounds/it/welcome") and waits for its end; the
   *  signal stops it ('stopped'). Resolves 'failed' when Asterisk could not play it. */
  play(channelId: string, media: string[], signal: AbortSignal): Promise<PlaybackOutcome>;
  /** Stops the tone (e.g. ringback) playing on the channel, even one started by a previous
   *  controller; nothing when none plays. */
  stopTone(channelId: string): Promise<void>;
  hangup(channelId: string, reason?: 'normal' | 'busy' | 'congestion'): Promise<void>;
  /** Hands the channel back to the dialplan (the apology fallback). */
  continueInDialplan(channelId: string, context: string, extension: string, priority: number): Promise<void>;
  setLanguage(channelId: string, lang: string): Promise<void>;
  /** Rings an endpoint; its events go to the handlers attached for request.channelId. */
  originate(request: OriginateRequest): Promise<void>;
  createBridge(): Promise<string>;
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  /** hold music (class default) on a channel, e.g. while an internal unit rings */
  startMoh(channelId: string): Promise<void>;
  stopMoh(channelId: string): Promise<void>;
  /** Asks for DeviceStateChanged events of these PJSIP resources (busy, idle, registered
   *  or not), so presence changes wake the dispatcher. */
  watchPresence(resources: string[]): Promise<void>;
  /** "online" | "offline" | "unknown" */
  endpointState(resource: string): Promise<string>;
  /** Asterisk device state of PJSIP/<resource>: NOT_INUSE, INUSE, RINGING, UNAVAILABLE... */
  deviceState(resource: string): Promise<string>;
  listChannels(): Promise<ChannelSummary[]>;
  listBridges(): Promise<Array<{ id: string; channels: string[] }>>;
  /** The channels currently in this controller's Stasis application. */
  applicationChannels(): Promise<string[]>;
}
