// What a caller's profile reads, on the cluster's shared PostgreSQL (storage/profile-source.ts).
import type { CallEventRow } from '../call-events-repo';
import type { AttemptRow } from '../callback-attempts-repo';
import type { CallbackRow } from '../callbacks-repo';
import type { CallRow } from '../calls-repo';
import type { FollowupRow } from '../followups-repo';
import type { NoteRow } from '../notes-repo';
import type { OutcomeRow } from '../outcomes-repo';
import type { ProfileSource } from '../profile-source';
import { PgCallEventsRepo } from './call-events-repo';
import { PgCallbackAttemptsRepo } from './callback-attempts-repo';
import { PgCallbacksRepo } from './callbacks-repo';
import { PgCallsRepo } from './calls-repo';
import type { Pg } from './connection';
import { PgFollowupsRepo } from './followups-repo';
import { PgNotesRepo } from './notes-repo';
import { PgOutcomesRepo } from './outcomes-repo';

export class PgProfileSource implements ProfileSource {
  private readonly calls = new PgCallsRepo();
  private readonly events = new PgCallEventsRepo();
  private readonly callbacks = new PgCallbacksRepo();
  private readonly attempts = new PgCallbackAttemptsRepo();
  private readonly outcomes = new PgOutcomesRepo();
  private readonly notes = new PgNotesRepo();
  private readonly followups = new PgFollowupsRepo();

  constructor(private readonly pool: Pg) {}

  linkedNumbers = (n: string): Promise<string[]> => this.callbacks.linkedNumbers(this.pool, n);
  callsByCaller = (n: string): Promise<CallRow[]> => this.calls.byCaller(this.pool, n);
  eventsOf = (id: string): Promise<CallEventRow[]> => this.events.byCall(this.pool, id);
  callbacksByNumber = (n: string): Promise<CallbackRow[]> => this.callbacks.byNumber(this.pool, n);
  position = (dp: string, id: number): Promise<number> => this.callbacks.position(this.pool, dp, id);
  attemptsOf = (id: number): Promise<AttemptRow[]> => this.attempts.ofCallback(this.pool, id);
  outcomesByNumber = (n: string): Promise<OutcomeRow[]> => this.outcomes.byNumber(this.pool, n);
  notesByNumber = (n: string): Promise<NoteRow[]> => this.notes.byNumber(this.pool, n);
  followupsByNumber = (n: string): Promise<FollowupRow[]> => this.followups.byNumber(this.pool, n);
}
