// How an inbound call ended and what the flow reports as it goes: counted by the metrics
// (monitoring/metrics.ts), reported by the inbound runner (inbound-call.ts).

export const CALL_RESULTS = ['answered', 'booked', 'abandoned', 'not_put_through', 'lost'] as const;
export type CallResult = (typeof CALL_RESULTS)[number];

export interface InboundObserver {
  offerDelayMs(ms: number): void;
  answeredAfter(dp: string, rings: number): void;
  callEnded(dp: string, result: CallResult): void;
}
