// SQL for the calls table: one row per inbound call handled by the controller.
import type { Db } from './database';

export type CallEndReason = 'completed' | 'caller_hangup' | 'error' | 'lost';

export interface CallRow {
  id: string;
  dp: string;
  caller: string | null;
  dialed: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  hangupCause: number | null;
  endReason: CallEndReason | null;
  language: string;
  menuPath: string | null;
  answeredBy: string | null;
  ringCount: number | null;
  callbackId: number | null;
}

/** A call as it arrives; `node` is the cluster node handling it (none on one box). */
export interface CallStart {
  id: string;
  dp: string;
  caller: string | null;
  dialed: string;
  at: Date;
  node?: string | null;
}

/** Facts about a call filled in as it goes. */
export interface CallFacts {
  language?: string;
  menuPath?: string;
  answeredBy?: string;
  ringCount?: number;
  callbackId?: number;
}

export const CALL_FACT_COLUMN: Record<keyof CallFacts, string> = {
  language: 'language',
  menuPath: 'menu_path',
  answeredBy: 'answered_by',
  ringCount: 'ring_count',
  callbackId: 'callback_id',
};

export class CallsRepo {
  constructor(private readonly db: Db) {}

  start(c: CallStart): void {
    this.db
      .prepare('INSERT OR IGNORE INTO calls (id, dp, caller, dialed, started_at, node) VALUES (?, ?, ?, ?, ?, ?)')
      .run(c.id, c.dp, c.caller, c.dialed, c.at.toISOString(), c.node ?? null);
  }

  answered(id: string, at: Date): void {
    this.db.prepare('UPDATE calls SET answered_at = ? WHERE id = ? AND answered_at IS NULL').run(at.toISOString(), id);
  }

  /** Closes the call once; later calls (e.g. a late StasisEnd after reconcile) are no-ops. */
  end(id: string, at: Date, reason: CallEndReason, cause: number | null): boolean {
    return (
      this.db.prepare('UPDATE calls SET ended_at = ?, end_reason = ?, hangup_cause = ? WHERE id = ? AND ended_at IS NULL').run(at.toISOString(), reason, cause, id).changes === 1
    );
  }

  update(id: string, facts: CallFacts): void {
    const keys = (Object.keys(facts) as Array<keyof CallFacts>).filter((k) => facts[k] !== undefined);
    if (keys.length === 0) return;
    this.db.prepare(`UPDATE calls SET ${keys.map((k) => `${CALL_FACT_COLUMN[k]} = ?`).join(', ')} WHERE id = ?`).run(...keys.map((k) => facts[k]!), id);
  }

  /** The calls not ended; with a node, only those it handled (a cluster's other nodes' go on). */
  open(node?: string): CallRow[] {
    if (node === undefined) return this.db.prepare(`${SELECT} WHERE ended_at IS NULL ORDER BY started_at`).all() as CallRow[];
    return this.db.prepare(`${SELECT} WHERE ended_at IS NULL AND node = ? ORDER BY started_at`).all(node) as CallRow[];
  }

  /** The latest call the operator answered (the console's operator view). */
  lastAnsweredBy(operator: string): CallRow | undefined {
    return this.db.prepare(`${SELECT} WHERE answered_by = ? ORDER BY started_at DESC LIMIT 1`).get(operator) as CallRow | undefined;
  }

  /** Whether the operator answered a call from this number (the console's least privilege). */
  handledBy(operator: string, caller: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM calls WHERE caller = ? AND answered_by = ? LIMIT 1').get(caller, operator);
  }

  byCaller(caller: string): CallRow[] {
    return this.db.prepare(`${SELECT} WHERE caller = ? ORDER BY started_at`).all(caller) as CallRow[];
  }

  get(id: string): CallRow | undefined {
    return this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as CallRow | undefined;
  }
}

const SELECT = `SELECT id, dp, caller, dialed, started_at AS startedAt, answered_at AS answeredAt, ended_at AS endedAt,
  hangup_cause AS hangupCause, end_reason AS endReason, language, menu_path AS menuPath, answered_by AS answeredBy,
  ring_count AS ringCount, callback_id AS callbackId FROM calls`;
