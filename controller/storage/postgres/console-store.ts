// What the web console's pages read and write, on the cluster's shared PostgreSQL
// (storage/console-store.ts). A database that cannot answer now comes out as
// StorageUnavailable, which the console shows as "busy, try again" (503); a write is bounded
// by statement_timeout, so one the page gave up on is rolled back, never made later.
import type { PoolClient } from 'pg';
import type { AuditEntry, AuditRow } from '../audit-repo';
import type { AttemptRow } from '../callback-attempts-repo';
import type { CallbackRow } from '../callbacks-repo';
import type { CallRow } from '../calls-repo';
import { CONSOLE_WRITE_DEADLINE_MS, type CallbackFilter, type ConsoleStore, type FollowupFilter, type InterventionRecord, type LiveAttempt } from '../console-store';
import type { FollowupRow } from '../followups-repo';
import type { NoteRecord } from '../notes-repo';
import type { OutcomeRow } from '../outcomes-repo';
import { PgAuditRepo } from './audit-repo';
import { PgCallbackAttemptsRepo } from './callback-attempts-repo';
import { PgCallbacksRepo } from './callbacks-repo';
import { PgCallsRepo } from './calls-repo';
import { inTransaction, type Pg } from './connection';
import { unavailableWhenTransient } from './errors';
import { PgFollowupsRepo } from './followups-repo';
import { PgNotesRepo } from './notes-repo';
import { PgOutcomesRepo } from './outcomes-repo';

/** A console read on the shared database; one that cannot be answered now comes out as StorageUnavailable. */
export function consoleRead<T>(pool: Pg, what: string, op: (pool: Pg) => Promise<T>): Promise<T> {
  return unavailableWhenTransient(`console ${what}`, () => op(pool));
}

/** A console write: one transaction bounded by the console's deadline, rolled back by the server past it. */
export function consoleWrite<T>(pool: Pg, what: string, op: (client: PoolClient) => Promise<T>): Promise<T> {
  return unavailableWhenTransient(`console ${what}`, () => inTransaction(pool, op, { timeoutMs: CONSOLE_WRITE_DEADLINE_MS }));
}

export class PgConsoleStore implements ConsoleStore {
  private readonly auditRepo = new PgAuditRepo();
  private readonly calls = new PgCallsRepo();
  private readonly callbacksRepo = new PgCallbacksRepo();
  private readonly attempts = new PgCallbackAttemptsRepo();
  private readonly outcomes = new PgOutcomesRepo();
  private readonly followupsRepo = new PgFollowupsRepo();
  private readonly notes = new PgNotesRepo();

  constructor(private readonly pool: Pg) {}

  private read<T>(what: string, op: (pool: Pg) => Promise<T>): Promise<T> {
    return consoleRead(this.pool, what, op);
  }

  private write<T>(what: string, op: (client: PoolClient) => Promise<T>): Promise<T> {
    return consoleWrite(this.pool, what, op);
  }

  // awaited: a page that shows a caller's data is shown only once its audit entry is written
  audit = (e: AuditEntry): Promise<void> => this.write('audit', (c) => this.auditRepo.add(c, e));
  auditLog = (f: { username?: string | undefined; subject?: string | undefined; limit: number }): Promise<AuditRow[]> => this.read('audit log', (p) => this.auditRepo.list(p, f));

  handled(op: string, n: string): Promise<boolean> {
    return this.read('least privilege', async (p) => (await this.calls.handledBy(p, op, n)) || (await this.attempts.placedBy(p, op, n)) || this.outcomes.keyedBy(p, op, n));
  }

  callbacks(f: CallbackFilter): Promise<Array<CallbackRow & { position: number | null }>> {
    return this.read('callbacks', async (p) => Promise.all((await this.callbacksRepo.list(p, f)).map((r) => this.callbacksRepo.withPosition(p, r))));
  }

  callback = (id: number): Promise<CallbackRow | undefined> => this.read('callback', (p) => this.callbacksRepo.get(p, id));
  call = (id: string): Promise<CallRow | undefined> => this.read('call', (p) => this.calls.get(p, id));
  liveAttempts = (): Promise<LiveAttempt[]> => this.read('live attempts', (p) => this.attempts.liveWithRequest(p));
  lastAnsweredBy = (op: string): Promise<CallRow | undefined> => this.read('last call', (p) => this.calls.lastAnsweredBy(p, op));
  lastConnectedOf = (op: string): Promise<AttemptRow | undefined> => this.read('last callback', (p) => this.attempts.lastConnectedOf(p, op));
  outcome = (id: number): Promise<OutcomeRow | undefined> => this.read('outcome', (p) => this.outcomes.get(p, id));
  interventionsOf = (official: string): Promise<OutcomeRow[]> => this.read('interventions', (p) => this.outcomes.interventionsOf(p, official));
  followups = (f: FollowupFilter): Promise<FollowupRow[]> => this.read('follow-ups', (p) => this.followupsRepo.list(p, f));
  followup = (id: number): Promise<FollowupRow | undefined> => this.read('follow-up', (p) => this.followupsRepo.get(p, id));

  recordIntervention(r: InterventionRecord): Promise<void> {
    const { row } = r;
    return this.write('intervention', async (c) => {
      await this.outcomes.recordIntervention(c, row.id, row.official, r.code, r.label, r.detail, r.at);
      if (r.opensFollowUp)
        await this.followupsRepo.open(c, { dp: row.dp, unit: row.unit, number: row.number, callId: row.callId, callbackId: row.callbackId, openedBy: row.official, at: r.at });
    });
  }

  closeFollowup = (id: number, by: string, outcome: string, at: Date): Promise<boolean> => this.write('follow-up close', (c) => this.followupsRepo.close(c, id, by, outcome, at));

  async addNote(n: NoteRecord): Promise<void> {
    await this.write('note', (c) => this.notes.add(c, n));
  }
}
