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
}

export type PlaybackOutcome = 'finished' | 'failed';

/** The channel is gone (hung up, or destroyed) while an operation was waiting on it. */
export class ChannelGoneError extends Error {
  override readonly name = 'ChannelGoneError';
}

/** Asterisk refused an operation or could not be reached. */
export class AriError extends Error {
  override readonly name = 'AriError';
  constructor(
    message: string,
    readonly notFound: boolean,
  ) {
    super(message);
  }
}

export interface CallEvents {
  /** a DTMF digit from the channel */
  onDtmf(digit: string): void;
  /** the channel left Stasis or was hung up */
  onGone(cause: number | null): void;
}

export interface TelephonyPort {
  answer(channelId: string): Promise<void>;
  /** Plays media (e.g. "sound:/opt/ivr/sounds/it/welcome") and waits for its end; the
   *  signal stops it. Resolves 'failed' when Asterisk could not play the file. */
  play(channelId: string, media: string[], signal: AbortSignal): Promise<PlaybackOutcome>;
  hangup(channelId: string, reason?: 'normal' | 'busy' | 'congestion'): Promise<void>;
  /** Hands the channel back to the dialplan (the apology fallback). */
  continueInDialplan(channelId: string, context: string, extension: string, priority: number): Promise<void>;
  listChannels(): Promise<ChannelSummary[]>;
  listBridges(): Promise<Array<{ id: string; channels: string[] }>>;
  /** The channels currently in this controller's Stasis application. */
  applicationChannels(): Promise<string[]>;
}
