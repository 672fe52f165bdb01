// The caller's profile ("profilo utente"): everything the system knows about one number,
// oldest first. Read-only; built from the calls, their events and the callbacks.
import type { Lang } from '../config/languages';
import type { CallEventRow } from '../storage/call-events-repo';
import type { CallbackRow } from '../storage/callbacks-repo';
import type { AttemptRow } from '../storage/callback-attempts-repo';
import type { CallRow } from '../storage/calls-repo';
import type { OutcomeRow } from '../storage/outcomes-repo';
import type { NoteRow } from '../storage/notes-repo';
import type { FollowupRow } from '../storage/followups-repo';
import { personNumbers } from '../storage/person';
import type { ProfileSource } from '../storage/profile-source';
import { isLive } from '../vocabulary/callbacks';

export interface CallbackView {
  id: number;
  dp: string;
  number: string;
  status: CallbackRow['status'];
  attempts: number;
  requestedAt: string;
  language: Lang;
  dueAt: string;
  expiresAt: string;
  callId: string | null;
  menuPath: string | null;
  ringCount: number | null;
  updatedAt: string;
  closedReason: string | null;
  lastOutcome: string | null;
  carriedOver: number;
  /** 'operators', or an office ('unit:<id>') chosen in the menu */
  group: string;
  /** place in its directorate's queue while pending */
  position: number | null;
}

export interface Profile {
  number: string;
  /** every number of the person: the one looked up, and those a booking connected to it */
  numbers: string[];
  calls: Array<CallRow & { events: Array<Omit<CallEventRow, 'callId' | 'id'>> }>;
  callbacks: Array<CallbackView & { attemptLog: AttemptRow[] }>;
  /** outcome codes keyed by the officials, and transfers to internal units */
  outcomes: OutcomeRow[];
  /** what operators recorded from the console: information given, free-text notes */
  notes: NoteRow[];
  /** cases marked "needs follow-up", and what was done when they were closed */
  followups: FollowupRow[];
  /** everything above merged in time order */
  timeline: Array<{
    at: string;
    kind: 'call' | 'callback' | 'attempt' | 'outcome' | 'transfer' | 'intervention' | 'note' | 'followup';
    id: string | number;
    /** the number it concerns */ number: string;
    summary: string;
    /** the same in Italian, for the console */ summaryIt: string;
  }>;
}

/** a callback request's status, in Italian (the profile's timeline and the console) */
export const CALLBACK_STATUS_IT: Record<CallbackRow['status'], string> = {
  pending: 'in attesa',
  dialing: 'in chiamata',
  done: 'completata',
  failed: 'fallita',
  cancelled: 'annullata',
  expired: 'scaduta',
};
const END_IT: Record<string, string> = { completed: 'conclusa', caller_hangup: "riagganciato dall'utente", error: 'errore', lost: 'persa' };

/** Every record of the person behind a number, on either engine (the CLI, the console, the tests). */
export async function buildProfile(number: string, source: ProfileSource): Promise<Profile> {
  // one person, all their numbers: a callback booked to another number does not split the history
  const numbers = await personNumbers(number, source.linkedNumbers);
  const each = async <T>(read: (n: string) => Promise<T[]>): Promise<T[]> => (await Promise.all(numbers.map(read))).flat();
  const calls = await Promise.all(
    (await each(source.callsByCaller)).map(async (c) => ({ ...c, events: (await source.eventsOf(c.id)).map(({ at, type, data }) => ({ at, type, data })) })),
  );
  const callbacks = await Promise.all(
    (await each(source.callbacksByNumber)).map(async (r) => ({
      ...r,
      position: isLive(r.status) ? await source.position(r.dp, r.id) : null,
      attemptLog: await source.attemptsOf(r.id),
    })),
  );
  const outcomes = await each(source.outcomesByNumber);
  const notes = await each(source.notesByNumber);
  const followups = await each(source.followupsByNumber);
  // a conversation the restarted controller kept (recovery/)
  const recovered = (c: (typeof calls)[number]): boolean => c.events.some((e) => e.type === 'recovered');
  const order = { call: 0, callback: 1, attempt: 2, transfer: 3, outcome: 4, intervention: 5, followup: 6, note: 7 } as const;
  const timeline: Profile['timeline'] = [
    ...calls.map((c) => ({
      at: c.startedAt,
      kind: 'call' as const,
      id: c.id,
      number: c.caller ?? number,
      summary: `${c.dp}: ${c.answeredBy ? `answered by ${c.answeredBy}` : c.ringCount !== null ? `unanswered after ${c.ringCount} rings` : 'not put through'}${c.callbackId ? `, callback #${c.callbackId} booked` : ''}${recovered(c) ? ', kept through a controller restart' : ''} (${c.endReason ?? 'in progress'})`,
      summaryIt: `${c.dp}: ${c.answeredBy ? `risposta di ${c.answeredBy}` : c.ringCount !== null ? `senza risposta dopo ${c.ringCount} squilli` : 'non inoltrata'}${c.callbackId ? `, prenotata la richiamata n. ${c.callbackId}` : ''}${recovered(c) ? ', mantenuta durante un riavvio del controller' : ''} (${END_IT[c.endReason ?? ''] ?? c.endReason ?? 'in corso'})`,
    })),
    ...callbacks.map((b) => ({
      at: b.requestedAt,
      kind: 'callback' as const,
      id: b.id,
      number: b.number,
      summary: `${b.dp}: callback #${b.id} ${b.status}, ${b.attempts} attempt(s)`,
      summaryIt: `${b.dp}: richiesta di richiamata n. ${b.id} ${CALLBACK_STATUS_IT[b.status]}, ${b.attempts} tentativi`,
    })),
    ...callbacks.flatMap((b) =>
      b.attemptLog.map((a) => ({
        at: a.startedAt,
        kind: 'attempt' as const,
        id: a.id,
        number: b.number,
        summary: `callback #${b.id} through ${a.operator}${a.callerAttempt ? `, caller dialled (attempt ${a.callerAttempt})` : ''}: ${a.outcome ?? 'in progress'}`,
        summaryIt: `richiamata n. ${b.id} tramite ${a.operator}${a.callerAttempt ? `, chiamato l'utente (tentativo ${a.callerAttempt})` : ''}: ${a.outcome ?? 'in corso'}`,
      })),
    ),
    ...outcomes.map((o) => ({
      at: o.at,
      kind: o.kind === 'operator' ? ('outcome' as const) : o.kind === 'unit' ? ('intervention' as const) : ('transfer' as const),
      id: o.id,
      number: o.number ?? number,
      summary:
        o.kind === 'transfer'
          ? `transfer to ${o.unit}: ${o.label}`
          : o.label === 'not_recorded'
            ? `${o.official}: not recorded (no code keyed)`
            : `${o.official}: ${o.code} ${o.label}${o.byDefault ? ' (default, no key)' : ''}${o.recordedVia === 'console' ? ` (recorded in the console at ${o.recordedAt})` : ''}${o.detail ? `: ${o.detail}` : ''}`,
      summaryIt:
        o.kind === 'transfer'
          ? `trasferimento a ${o.unit}: ${o.label === 'answered' ? 'risposto' : o.label}`
          : o.label === 'not_recorded'
            ? `${o.official}: non registrato (nessun codice digitato)`
            : `${o.official}: ${o.code} ${o.label}${o.byDefault ? ' (predefinito, nessun tasto)' : ''}${o.recordedVia === 'console' ? ' (registrato dalla console)' : ''}${o.detail ? `: ${o.detail}` : ''}`,
    })),
    ...followups.flatMap((f) => {
      const list = f.unit ?? 'operators';
      const opened = {
        at: f.openedAt,
        kind: 'followup' as const,
        id: f.id,
        number: f.number ?? number,
        summary: `follow-up #${f.id} opened by ${f.openedBy} (${list})`,
        summaryIt: `seguito n. ${f.id} aperto da ${f.openedBy} (${f.unit ? `ufficio ${f.unit}` : 'operatori'})`,
      };
      if (f.status !== 'closed') return [opened];
      return [
        opened,
        {
          at: f.closedAt!,
          kind: 'followup' as const,
          id: f.id,
          number: f.number ?? number,
          summary: `follow-up #${f.id} closed by ${f.closedBy}: ${f.outcome ?? ''}`,
          summaryIt: `seguito n. ${f.id} chiuso da ${f.closedBy}: ${f.outcome ?? ''}`,
        },
      ];
    }),
    ...notes.map((n) => {
      const text = `${n.author}${n.operator ? ` (${n.operator})` : ''}: ${n.info ? `[${n.info}] ` : ''}${n.text}`;
      return { at: n.at, kind: 'note' as const, id: n.id, number: n.number ?? number, summary: text, summaryIt: text };
    }),
  ].sort((a, b) => a.at.localeCompare(b.at) || order[a.kind] - order[b.kind]);
  return { number, numbers, calls, callbacks, outcomes, notes, followups, timeline };
}
