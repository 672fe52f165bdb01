// A person as the records know them: a number and every number a booking connected to it
// (a mobile that booked a callback to a landline), and the contacts they had before a
// request. Shared by the profile (monitoring/profile.ts) and the operator's whisper, on
// either engine.
import type { CallbackRow } from './callbacks-repo';

/** at most this many numbers are gathered into one person (a number shared by many people stops the chain) */
const MAX_LINKED = 10;

/** The number and every number a booking connected to it, directly or through another. */
export async function personNumbers(number: string, linked: (n: string) => Promise<string[]>): Promise<string[]> {
  const seen = [number];
  for (let i = 0; i < seen.length && seen.length < MAX_LINKED; i++) for (const n of await linked(seen[i]!)) if (!seen.includes(n) && seen.length < MAX_LINKED) seen.push(n);
  return seen;
}

/** What the earlier contacts are read from, on either engine. */
export interface PersonReads {
  linkedNumbers(n: string): Promise<string[]>;
  callsByCaller(n: string): Promise<Array<{ id: string; startedAt: string }>>;
  callbacksByNumber(n: string): Promise<Array<Pick<CallbackRow, 'id' | 'status'>>>;
}

/**
 * The contacts a person had with the office before a request (the operator's whisper): their
 * calls, from any of their numbers, started before it, except the call that booked it, and
 * their callbacks completed before it.
 */
export async function countEarlierContacts(cb: Pick<CallbackRow, 'id' | 'number' | 'requestedAt' | 'callId'>, reads: PersonReads): Promise<number> {
  const numbers = await personNumbers(cb.number, reads.linkedNumbers);
  const calls = (await Promise.all(numbers.map(reads.callsByCaller))).flat();
  const callbacks = (await Promise.all(numbers.map(reads.callbacksByNumber))).flat();
  return calls.filter((c) => c.startedAt < cb.requestedAt && c.id !== cb.callId).length + callbacks.filter((c) => c.id < cb.id && c.status === 'done').length;
}
