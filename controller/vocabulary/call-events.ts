// What happened in a call, as one row of call_events each: the names the inbound flow
// records (ivr-flow.ts), those its runner and the recovery add (inbound-call.ts,
// inbound-service.ts), and that the figures count (monitoring/figures.ts). One list, so that
// a figure cannot count an event that is no longer recorded under that name.

export const CALL_EVENTS = [
  // the flow's own (ivr-flow.ts, record effects)
  'menu',
  'language',
  'invalid_key',
  'no_input',
  'closure',
  'offer',
  'no_operator',
  'unanswered',
  'number_typed',
  'booked',
  'booking_refused',
  'booking_slow',
  'pending_kept',
  'pending_cancelled',
  // the runner's (inbound-call.ts)
  'dtmf',
  'operators',
  'callback_cancelled',
  'ringing_started',
  'ringing_ended',
  'operator_hangup',
  'ended',
  // a restarted controller's (inbound-service.ts)
  'recovered',
] as const;
export type CallEventType = (typeof CALL_EVENTS)[number];

/** A call event's name as an SQL literal, for the figures' queries. */
export const sqlEvent = (type: CallEventType): string => `'${type}'`;
