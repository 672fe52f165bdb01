// What the web console's pages read and write (console/router.ts), on either engine: one box's
// SQLite file (this file), or the cluster's shared PostgreSQL (postgres/console-store.ts), so
// that a supervisor on either node sees every node's calls, requests and follow-ups, and a
// note or an intervention about a call taken by the other node is kept with it. Asynchronous,
// since the shared database answers later. The roster stays each node's own copy
// (operators/shared-operators.ts): a page reads it as the node's phones do.
import type { AuditEntry, AuditRow } from './audit-repo';
import { AuditRepo } from './audit-repo';
import { CallbackAttemptsRepo, type AttemptRow } from './callback-attempts-repo';
import { CallbacksRepo, type CallbackRow } from './callbacks-repo';
import { CallsRepo, type CallRow } from './calls-repo';
import type { Db } from './database';
import { FollowupsRepo, type FollowupRow } from './followups-repo';
import { NotesRepo, type NoteRecord } from './notes-repo';
import { OutcomesRepo, type OutcomeRow } from './outcomes-repo';
import { WriteQueue, type ApplyOptions } from './write-queue';
import type { CallbackStatus } from '../vocabulary/callbacks';

export interface CallbackFilter {
  dp?: string | undefined;
  status?: CallbackStatus | undefined;
  /** the request time, [from, to) */
  from?: Date;
  to?: Date;
}

export interface FollowupFilter {
  dp?: string | undefined;
  status?: 'open' | 'closed' | undefined;
}

/** An intervention the official records from the station, and the follow-up it opens if any. */
export interface InterventionRecord {
  row: OutcomeRow;
  code: string;
  label: string;
  detail: string | null;
  at: Date;
  opensFollowUp: boolean;
}

export type LiveAttempt = AttemptRow & { dp: string; number: string };

/** the console's writes wait at most this long for a busy database, then the page says "try again" */
export const CONSOLE_WRITE_DEADLINE_MS = 10_000;
/** a console write through one box's write queue: withdrawn at the deadline, refused at once while the file is failing */
export const CONSOLE_WRITE: ApplyOptions = { deadlineMs: CONSOLE_WRITE_DEADLINE_MS, failFast: true };

export interface ConsoleStore {
  /** Keeps who looked at whose data. Settles once the entry is certain to be kept (a page is shown only then). */
  audit(e: AuditEntry): Promise<void>;
  /** newest first */
  auditLog(filter: { username?: string | undefined; subject?: string | undefined; limit: number }): Promise<AuditRow[]>;
  /** whether the operator answered, called back or keyed an outcome about this number (the console's least privilege) */
  handled(operator: string, number: string): Promise<boolean>;
  /** requests, oldest first, each with its place in its directorate's queue while live */
  callbacks(filter: CallbackFilter): Promise<Array<CallbackRow & { position: number | null }>>;
  callback(id: number): Promise<CallbackRow | undefined>;
  call(id: string): Promise<CallRow | undefined>;
  /** the callbacks being made now, with their request's directorate and number */
  liveAttempts(): Promise<LiveAttempt[]>;
  lastAnsweredBy(operator: string): Promise<CallRow | undefined>;
  lastConnectedOf(operator: string): Promise<AttemptRow | undefined>;
  outcome(id: number): Promise<OutcomeRow | undefined>;
  /** an internal unit's official's latest interventions, newest first */
  interventionsOf(official: string): Promise<OutcomeRow[]>;
  /** the intervention's code and words and, when it says so, the follow-up it opens: together or not at all */
  recordIntervention(r: InterventionRecord): Promise<void>;
  /** oldest first */
  followups(filter: FollowupFilter): Promise<FollowupRow[]>;
  followup(id: number): Promise<FollowupRow | undefined>;
  /** open -> closed with what was done; false when it was not open */
  closeFollowup(id: number, by: string, outcome: string, at: Date): Promise<boolean>;
  addNote(n: NoteRecord): Promise<void>;
}

/** One box: the SQLite file's repositories; writes go through the controller's write queue. */
export class SqliteConsoleStore implements ConsoleStore {
  private readonly auditRepo: AuditRepo;
  private readonly calls: CallsRepo;
  private readonly callbacksRepo: CallbacksRepo;
  private readonly attempts: CallbackAttemptsRepo;
  private readonly outcomes: OutcomesRepo;
  private readonly followupsRepo: FollowupsRepo;
  private readonly notes: NotesRepo;

  constructor(
    private readonly db: Db,
    private readonly writes: WriteQueue = new WriteQueue(),
  ) {
    this.auditRepo = new AuditRepo(db);
    this.calls = new CallsRepo(db);
    this.callbacksRepo = new CallbacksRepo(db);
    this.attempts = new CallbackAttemptsRepo(db);
    this.outcomes = new OutcomesRepo(db);
    this.followupsRepo = new FollowupsRepo(db);
    this.notes = new NotesRepo(db);
  }

  /** queued as a fact: the write queue keeps it until the file takes it */
  audit = async (e: AuditEntry): Promise<void> => this.writes.record('audit', () => this.auditRepo.add(e));
  auditLog = async (f: { username?: string | undefined; subject?: string | undefined; limit: number }): Promise<AuditRow[]> => this.auditRepo.list(f);
  handled = async (op: string, n: string): Promise<boolean> => this.calls.handledBy(op, n) || this.attempts.placedBy(op, n) || this.outcomes.keyedBy(op, n);
  callbacks = async (f: CallbackFilter): Promise<Array<CallbackRow & { position: number | null }>> => this.callbacksRepo.list(f).map((r) => this.callbacksRepo.withPosition(r));
  callback = async (id: number): Promise<CallbackRow | undefined> => this.callbacksRepo.get(id);
  call = async (id: string): Promise<CallRow | undefined> => this.calls.get(id);
  liveAttempts = async (): Promise<LiveAttempt[]> => this.attempts.liveWithRequest();
  lastAnsweredBy = async (op: string): Promise<CallRow | undefined> => this.calls.lastAnsweredBy(op);
  lastConnectedOf = async (op: string): Promise<AttemptRow | undefined> => this.attempts.lastConnectedOf(op);
  outcome = async (id: number): Promise<OutcomeRow | undefined> => this.outcomes.get(id);
  interventionsOf = async (official: string): Promise<OutcomeRow[]> => this.outcomes.interventionsOf(official);
  followups = async (f: FollowupFilter): Promise<FollowupRow[]> => this.followupsRepo.list(f);
  followup = async (id: number): Promise<FollowupRow | undefined> => this.followupsRepo.get(id);

  recordIntervention(r: InterventionRecord): Promise<void> {
    const { row } = r;
    return this.writes.apply(
      'intervention',
      () =>
        this.db.transaction(() => {
          this.outcomes.recordIntervention(row.id, row.official, r.code, r.label, r.detail, r.at);
          if (r.opensFollowUp)
            this.followupsRepo.open({ dp: row.dp, unit: row.unit, number: row.number, callId: row.callId, callbackId: row.callbackId, openedBy: row.official, at: r.at });
        })(),
      CONSOLE_WRITE,
    );
  }

  closeFollowup(id: number, by: string, outcome: string, at: Date): Promise<boolean> {
    return this.writes.apply('followup_close', () => this.followupsRepo.close(id, by, outcome, at), CONSOLE_WRITE);
  }

  async addNote(n: NoteRecord): Promise<void> {
    await this.writes.apply('note', () => this.notes.add(n), CONSOLE_WRITE);
  }
}
