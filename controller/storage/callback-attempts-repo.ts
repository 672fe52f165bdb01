// SQL for callback_attempts: one row per try at calling a request back.
import type { Db } from './database';
import type { AttemptOutcome, AttemptStage } from '../vocabulary/callbacks';

export interface AttemptRow {
  id: number;
  callbackId: number;
  operator: string;
  stage: AttemptStage;
  callerAttempt: number | null;
  operatorChannel: string;
  callerChannel: string | null;
  startedAt: string;
  callerDialedAt: string | null;
  connectedAt: string | null;
  endedAt: string | null;
  outcome: AttemptOutcome | null;
  cause: number | null;
  /** the controller that placed it (a cluster's node id; null on one box before the cluster mode) */
  node: string | null;
}

const SELECT = `SELECT id, callback_id AS callbackId, operator, stage, caller_attempt AS callerAttempt, operator_channel AS operatorChannel,
  caller_channel AS callerChannel, started_at AS startedAt, caller_dialed_at AS callerDialedAt, connected_at AS connectedAt,
  ended_at AS endedAt, outcome, cause, node FROM callback_attempts`;

export class CallbackAttemptsRepo {
  constructor(private readonly db: Db) {}

  /** Throws (SQLITE_CONSTRAINT_UNIQUE) when the request already has a live attempt. */
  open(callbackId: number, operator: string, operatorChannel: string, at: Date, node: string | null = null): number {
    const info = this.db
      .prepare("INSERT INTO callback_attempts (callback_id, operator, stage, operator_channel, started_at, node) VALUES (?, ?, 'operator', ?, ?, ?)")
      .run(callbackId, operator, operatorChannel, at.toISOString(), node);
    return Number(info.lastInsertRowid);
  }

  /** operator -> caller, before the caller is dialled; false when the attempt is not live any more */
  callerDialing(id: number, callerChannel: string, callerAttempt: number, at: Date): boolean {
    return (
      this.db
        .prepare("UPDATE callback_attempts SET stage = 'caller', caller_channel = ?, caller_attempt = ?, caller_dialed_at = ? WHERE id = ? AND stage = 'operator'")
        .run(callerChannel, callerAttempt, at.toISOString(), id).changes === 1
    );
  }

  talking(id: number, at: Date): boolean {
    return this.db.prepare("UPDATE callback_attempts SET stage = 'talking', connected_at = ? WHERE id = ? AND stage = 'caller'").run(at.toISOString(), id).changes === 1;
  }

  /** Closes a live attempt once; false when it was already closed. */
  close(id: number, outcome: AttemptOutcome, cause: number | null, at: Date): boolean {
    return (
      this.db
        .prepare("UPDATE callback_attempts SET stage = 'ended', outcome = ?, cause = ?, ended_at = ? WHERE id = ? AND ended_at IS NULL")
        .run(outcome, cause, at.toISOString(), id).changes === 1
    );
  }

  get(id: number): AttemptRow | undefined {
    return this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as AttemptRow | undefined;
  }

  /** The live attempts a node recovers: its own, those placed before nodes existed, and those of nodes whose lease ran out. */
  recoverableBy(node: string, now: Date): AttemptRow[] {
    return this.db
      .prepare(`${SELECT} WHERE ended_at IS NULL AND (node IS NULL OR node = ? OR node IN (SELECT node FROM node_leases WHERE expires_at <= ?)) ORDER BY id`)
      .all(node, now.toISOString()) as AttemptRow[];
  }

  live(): AttemptRow[] {
    return this.db.prepare(`${SELECT} WHERE ended_at IS NULL ORDER BY id`).all() as AttemptRow[];
  }

  /** The operator's latest attempt that reached the caller (the console's operator view). */
  /** Whether the operator placed an attempt of a request for this number. */
  placedBy(operator: string, number: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM callback_attempts a JOIN callbacks c ON c.id = a.callback_id WHERE c.number = ? AND a.operator = ? LIMIT 1').get(number, operator);
  }

  lastConnectedOf(operator: string): AttemptRow | undefined {
    return this.db.prepare(`${SELECT} WHERE operator = ? AND connected_at IS NOT NULL ORDER BY id DESC LIMIT 1`).get(operator) as AttemptRow | undefined;
  }

  /** The attempts being made now with their request's directorate and number (the console's live board and operator view). */
  liveWithRequest(): Array<AttemptRow & { dp: string; number: string }> {
    return this.db.prepare(`SELECT a.*, c.dp, c.number FROM (${SELECT} WHERE ended_at IS NULL) a JOIN callbacks c ON c.id = a.callbackId ORDER BY a.id`).all() as Array<
      AttemptRow & { dp: string; number: string }
    >;
  }

  ofCallback(callbackId: number): AttemptRow[] {
    return this.db.prepare(`${SELECT} WHERE callback_id = ? ORDER BY id`).all(callbackId) as AttemptRow[];
  }
}
