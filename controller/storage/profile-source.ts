// What a caller's profile reads (monitoring/profile.ts), on either engine: one box's SQLite
// file, or the cluster's shared PostgreSQL (postgres/profile-source.ts). Asynchronous, since
// the shared database answers later; the profile itself is built the same way from both.
import type { CallEventRow } from './call-events-repo';
import type { AttemptRow } from './callback-attempts-repo';
import { CallbackAttemptsRepo } from './callback-attempts-repo';
import { CallbacksRepo, type CallbackRow } from './callbacks-repo';
import { CallEventsRepo } from './call-events-repo';
import { CallsRepo, type CallRow } from './calls-repo';
import type { Db } from './database';
import { FollowupsRepo, type FollowupRow } from './followups-repo';
import { NotesRepo, type NoteRow } from './notes-repo';
import { OutcomesRepo, type OutcomeRow } from './outcomes-repo';

export interface ProfileSource {
  /** the numbers a booking connected to this one (storage/person.ts) */
  linkedNumbers(number: string): Promise<string[]>;
  callsByCaller(number: string): Promise<CallRow[]>;
  eventsOf(callId: string): Promise<CallEventRow[]>;
  callbacksByNumber(number: string): Promise<CallbackRow[]>;
  /** a live request's place in its directorate's queue (1 = next) */
  position(dp: string, id: number): Promise<number>;
  attemptsOf(callbackId: number): Promise<AttemptRow[]>;
  outcomesByNumber(number: string): Promise<OutcomeRow[]>;
  notesByNumber(number: string): Promise<NoteRow[]>;
  followupsByNumber(number: string): Promise<FollowupRow[]>;
}

/** One box: the SQLite file's repositories (reads are immediate). */
export class SqliteProfileSource implements ProfileSource {
  private readonly calls: CallsRepo;
  private readonly events: CallEventsRepo;
  private readonly callbacks: CallbacksRepo;
  private readonly attempts: CallbackAttemptsRepo;
  private readonly outcomes: OutcomesRepo;
  private readonly notes: NotesRepo;
  private readonly followups: FollowupsRepo;

  constructor(db: Db) {
    this.calls = new CallsRepo(db);
    this.events = new CallEventsRepo(db);
    this.callbacks = new CallbacksRepo(db);
    this.attempts = new CallbackAttemptsRepo(db);
    this.outcomes = new OutcomesRepo(db);
    this.notes = new NotesRepo(db);
    this.followups = new FollowupsRepo(db);
  }

  linkedNumbers = async (n: string): Promise<string[]> => this.callbacks.linkedNumbers(n);
  callsByCaller = async (n: string): Promise<CallRow[]> => this.calls.byCaller(n);
  eventsOf = async (id: string): Promise<CallEventRow[]> => this.events.byCall(id);
  callbacksByNumber = async (n: string): Promise<CallbackRow[]> => this.callbacks.byNumber(n);
  position = async (dp: string, id: number): Promise<number> => this.callbacks.position(dp, id);
  attemptsOf = async (id: number): Promise<AttemptRow[]> => this.attempts.ofCallback(id);
  outcomesByNumber = async (n: string): Promise<OutcomeRow[]> => this.outcomes.byNumber(n);
  notesByNumber = async (n: string): Promise<NoteRow[]> => this.notes.byNumber(n);
  followupsByNumber = async (n: string): Promise<FollowupRow[]> => this.followups.byNumber(n);
}
