// The words of a callback request and its attempts, as the rows, ivrctl, the console and the
// reports say them. They belong to no table: the repositories store them, the callback rules
// (callbacks/policy.ts) decide them, the figures count them. Kept below every layer that uses
// them, so that none has to import another's.

/**
 * A request's status: pending (waiting for its window, a free operator or its retry), dialing
 * (an attempt is under way), done (the caller was put through), failed (the attempts ran
 * out), cancelled (by the caller, a sysadmin or an operator), expired (its validity ended, or
 * the window closed with atClose: expire).
 */
export const CALLBACK_STATUSES = ['pending', 'dialing', 'done', 'failed', 'cancelled', 'expired'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

/** A live request (waiting or being dialled) has a place in its directorate's queue. */
export const isLive = (status: CallbackStatus): boolean => status === 'pending' || status === 'dialing';

/** Where an attempt is: the operator's phone rings, then the caller is dialled, then they talk. */
export type AttemptStage = 'operator' | 'caller' | 'talking' | 'ended';

/**
 * How an attempt ended. The caller's side: connected (confirmed with 1 and bridged),
 * no_answer, busy, rejected, unreachable, failed (another cause), no_confirmation (answered
 * without pressing 1). Before the caller's phone rang, which uses up none of the caller's
 * attempts: operator_passed (the operator keyed 2 at the whisper), operator_no_answer. The
 * operator hanging up before the caller was put through: operator_hangup. Ours: interrupted
 * (the controller stopped mid-attempt; a restarted one closed it), cancelled (the request
 * was cancelled while dialling).
 */
export type AttemptOutcome =
  | 'connected'
  | 'no_answer'
  | 'busy'
  | 'rejected'
  | 'unreachable'
  | 'failed'
  | 'no_confirmation'
  | 'operator_passed'
  | 'operator_no_answer'
  | 'operator_hangup'
  | 'interrupted'
  | 'cancelled';
