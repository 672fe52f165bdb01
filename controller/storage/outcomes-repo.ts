// SQL for outcomes: codes keyed by the officials at the end of a conversation, and transfers.
import type { Db } from './database';

export interface OutcomeRecord {
  dp: string;
  number: string | null;
  callId?: string | null;
  callbackId?: number | null;
  attemptId?: number | null;
  kind: 'operator' | 'unit' | 'transfer';
  official: string;
  unit?: string | null;
  code: string;
  label: string;
  byDefault: boolean;
  at: Date;
}

export interface OutcomeRow {
  id: number;
  dp: string;
  number: string | null;
  callId: string | null;
  callbackId: number | null;
  attemptId: number | null;
  kind: OutcomeRecord['kind'];
  official: string;
  unit: string | null;
  code: string;
  label: string;
  byDefault: number;
  at: string;
}

export class OutcomesRepo {
  constructor(private readonly db: Db) {}

  add(r: OutcomeRecord): number {
    const info = this.db
      .prepare('INSERT INTO outcomes (dp, number, call_id, callback_id, attempt_id, kind, official, unit, code, label, by_default, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.dp, r.number, r.callId ?? null, r.callbackId ?? null, r.attemptId ?? null, r.kind, r.official, r.unit ?? null, r.code, r.label, r.byDefault ? 1 : 0, r.at.toISOString());
    return Number(info.lastInsertRowid);
  }

  /** Whether the official keyed an outcome about this number. */
  keyedBy(official: string, number: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM outcomes WHERE number = ? AND official = ? LIMIT 1').get(number, official);
  }

  byNumber(number: string): OutcomeRow[] {
    return this.db
      .prepare(
        `SELECT id, dp, number, call_id AS callId, callback_id AS callbackId, attempt_id AS attemptId, kind, official, unit, code, label,
         by_default AS byDefault, at FROM outcomes WHERE number = ? ORDER BY at, id`,
      )
      .all(number) as OutcomeRow[];
  }
}
