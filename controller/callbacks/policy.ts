// The pure rules of calling back: which requests go to which operators now, what happens
// to a request after each attempt, what the operator hears before the call. No I/O: the
// dispatcher (dispatcher.ts) feeds these with the database and Asterisk's view.
import { primaryOf, type Config, type Directorate } from '../config/schema';
import type { Prompt } from '../prompts/prompt';
import type { ClosingFacts, NextRequestStatus } from '../storage/callback-store';
import type { AttemptOutcome } from '../vocabulary/callbacks';

export type DispatchBlock = 'closed' | 'inbound_ringing' | 'no_free_operator' | 'kept_for_inbound' | 'nothing_due';

export interface DispatchInput {
  open: boolean;
  /** live callers of this directorate whose group is ringing now */
  inboundRinging: number;
  /** free operators of the group, longest idle first */
  free: string[];
  keepFree: number;
  /** requests due now, oldest first */
  due: number[];
  /** true when this operator passed this request back a short while ago */
  passedRecently: (callbackId: number, operator: string) => boolean;
}

export type DispatchPlan = { pairs: Array<{ callbackId: number; operator: string }>; blocked?: DispatchBlock };

/**
 * Pairs the oldest due requests with the longest-idle free operators. Live callers come
 * first: nothing is dispatched while the group rings for one, and keepFree operators stay free.
 */
export function planDispatch(i: DispatchInput): DispatchPlan {
  if (!i.open) return { pairs: [], blocked: 'closed' };
  if (i.due.length === 0) return { pairs: [], blocked: 'nothing_due' };
  if (i.inboundRinging > 0) return { pairs: [], blocked: 'inbound_ringing' };
  if (i.free.length === 0) return { pairs: [], blocked: 'no_free_operator' };
  const usable = i.free.slice(0, Math.max(0, i.free.length - i.keepFree));
  if (usable.length === 0) return { pairs: [], blocked: 'kept_for_inbound' };
  const pairs: DispatchPlan['pairs'] = [];
  const taken = new Set<string>();
  for (const callbackId of i.due) {
    const operator = usable.find((op) => !taken.has(op) && !i.passedRecently(callbackId, op));
    if (!operator) continue;
    taken.add(operator);
    pairs.push({ callbackId, operator });
    if (taken.size === usable.length) break;
  }
  return pairs.length > 0 ? { pairs } : { pairs, blocked: 'no_free_operator' };
}

/** what becomes of a request after an attempt (the storage port's word for it) */
export type NextStatus = NextRequestStatus;

/** Outcomes decided before the caller's phone rang: they do not use up an attempt. */
const OPERATOR_SIDE: ReadonlySet<AttemptOutcome> = new Set(['operator_passed', 'operator_no_answer']);

/**
 * What becomes of a request after an attempt. `callerDialled`: the attempt reached the point
 * of ringing the caller (and so counted as one of the caller's attempts, `callerAttempts`).
 */
export function afterAttempt(
  outcome: AttemptOutcome,
  o: { callerDialled: boolean; callerAttempts: number; now: Date; expiresAt: Date; policy: Directorate['callback'] },
): NextStatus {
  if (outcome === 'connected') return { status: 'done', reason: 'connected' };
  if (outcome === 'cancelled') return { status: 'cancelled', reason: 'cancelled while dialling' };
  let delaySec: number;
  if (OPERATOR_SIDE.has(outcome)) delaySec = 0;
  else if (!o.callerDialled) delaySec = outcome === 'interrupted' ? o.policy.retryAfterSeconds.interrupted : 0;
  else {
    if (o.callerAttempts >= o.policy.maxAttempts) return { status: 'failed', reason: `${outcome} at attempt ${o.callerAttempts} of ${o.policy.maxAttempts}` };
    delaySec = o.policy.retryAfterSeconds[outcome as keyof Directorate['callback']['retryAfterSeconds']] ?? o.policy.retryAfterSeconds.failed;
  }
  const dueAt = new Date(o.now.getTime() + delaySec * 1000);
  if (dueAt >= o.expiresAt) return { status: 'expired', reason: `validity ended before the next attempt (${outcome})` };
  return { status: 'pending', dueAt };
}

/** The retry rules as the storage port applies them when it closes an attempt (the request and attempt as they were). */
export const decideAfter =
  (outcome: AttemptOutcome, now: Date, policy: Directorate['callback']) =>
  ({ attempt, request }: ClosingFacts): NextStatus =>
    afterAttempt(outcome, { callerDialled: attempt.stage !== 'operator', callerAttempts: request.attempts, now, expiresAt: new Date(request.expiresAt), policy });

/** Maps how the caller's leg ended (Q.850 cause of the hang-up) to an attempt outcome. */
export function callerLegOutcome(cause: number | null, timedOut: boolean): AttemptOutcome {
  if (timedOut) return 'no_answer';
  switch (cause) {
    case 17:
      return 'busy';
    case 18:
    case 19:
      return 'no_answer';
    case 21:
      return 'rejected';
    case 1:
    case 2:
    case 3:
    case 20:
    case 27:
    case 28:
    case 38:
      return 'unreachable';
    default:
      return 'failed';
  }
}

export interface WhisperFacts {
  number: string;
  /** local time of the request, "HH:MM" */
  requestedAt: string;
  attempt: number;
  maxAttempts: number;
  earlierContacts: number;
}

const common = (name: string): Prompt => ({ kind: 'common', name });

/** What the operator hears on answering a callback (always in Italian). */
export function whisper(f: WhisperFacts): Prompt[] {
  const [h, m] = f.requestedAt.split(':').map(Number) as [number, number];
  const prompts: Prompt[] = [common('op-whisper-callback'), { kind: 'digits', value: f.number }, common('op-whisper-requested-at'), { kind: 'number', value: h }];
  if (m !== 0) prompts.push(common('op-whisper-and'), { kind: 'number', value: m });
  prompts.push(common('op-whisper-attempt'), { kind: 'number', value: f.attempt }, common('op-whisper-of'), { kind: 'number', value: f.maxAttempts });
  if (f.earlierContacts > 0) prompts.push(common('op-whisper-contacts'), { kind: 'number', value: f.earlierContacts });
  else prompts.push(common('op-whisper-first-contact'));
  prompts.push(common('op-whisper-keys'));
  return prompts;
}

/**
 * The directorates a node dispatches the callbacks of now (the cluster mode, docs/SCALING.md):
 * each directorate goes to the first node alive in its order (its primary, then the other
 * nodes as the configuration lists them). A node counts itself alive; the others are alive
 * while their lease runs (storage: node_leases). On one box (no cluster section): every
 * directorate. A primary coming back takes its directorates again at the next pass.
 */
export function directoratesServedBy(config: Config, node: string, alive: (node: string) => boolean): string[] {
  const cluster = config.cluster;
  if (!cluster) return config.directorates.map((d) => d.id);
  const up = (n: string): boolean => n === node || alive(n);
  return config.directorates
    .filter((d) => {
      const primary = primaryOf(cluster, d);
      const order = [primary, ...cluster.nodes.map((n) => n.id).filter((n) => n !== primary)];
      return order.find(up) === node;
    })
    .map((d) => d.id);
}
