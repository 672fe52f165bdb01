// The caller's profile ("profilo utente"): everything the system knows about one number,
// oldest first. Read-only; built from the calls, their events and the callbacks.
import type { CallEventsRepo, CallEventRow } from '../storage/call-events-repo';
import type { CallbackRow, CallbacksRepo } from '../storage/callbacks-repo';
import type { CallRow, CallsRepo } from '../storage/calls-repo';

export interface CallbackView {
  id: number;
  dp: string;
  number: string;
  status: CallbackRow['status'];
  attempts: number;
  requestedAt: string;
  language: 'it' | 'en';
  dueAt: string;
  expiresAt: string;
  callId: string | null;
  menuPath: string | null;
  ringCount: number | null;
  updatedAt: string;
  closedReason: string | null;
  /** place in its directorate's queue while pending */
  position: number | null;
}

export function callbackView(row: CallbackRow, repo: CallbacksRepo): CallbackView {
  const live = row.status === 'pending' || row.status === 'dialing';
  return { ...row, position: live ? repo.position(row.dp, row.id) : null };
}

export interface Profile {
  number: string;
  calls: Array<CallRow & { events: Array<Omit<CallEventRow, 'callId' | 'id'>> }>;
  callbacks: CallbackView[];
  /** calls and callbacks merged in time order */
  timeline: Array<{ at: string; kind: 'call' | 'callback'; id: string | number; summary: string }>;
}

export function buildProfile(number: string, repos: { calls: CallsRepo; events: CallEventsRepo; callbacks: CallbacksRepo }): Profile {
  const calls = repos.calls.byCaller(number).map((c) => ({ ...c, events: repos.events.byCall(c.id).map(({ at, type, data }) => ({ at, type, data })) }));
  const callbacks = repos.callbacks.byNumber(number).map((r) => callbackView(r, repos.callbacks));
  const timeline = [
    ...calls.map((c) => ({
      at: c.startedAt,
      kind: 'call' as const,
      id: c.id,
      summary: `${c.dp}: ${c.answeredBy ? `answered by ${c.answeredBy}` : c.ringCount !== null ? `unanswered after ${c.ringCount} rings` : 'not put through'}${c.callbackId ? `, callback #${c.callbackId} booked` : ''} (${c.endReason ?? 'in progress'})`,
    })),
    ...callbacks.map((b) => ({ at: b.requestedAt, kind: 'callback' as const, id: b.id, summary: `${b.dp}: callback #${b.id} ${b.status}, ${b.attempts} attempt(s)` })),
  ].sort((a, b) => a.at.localeCompare(b.at) || (a.kind === 'call' ? -1 : 1));
  return { number, calls, callbacks, timeline };
}
