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
  /** the official's words (the console's intervention form) */
  detail: string | null;
  recordedVia: 'phone' | 'console';
  recordedAt: string | null;
}

const COLUMNS = `id, dp, number, call_id AS callId, callback_id AS callbackId, attempt_id AS attemptId, kind, official, unit, code, label,
  by_default AS byDefault, at, detail, recorded_via AS recordedVia, recorded_at AS recordedAt`;

export class OutcomesRepo {
  constructor(private readonly db: Db) {}

  add(r: OutcomeRecord): number {
    const info = this.db
      .prepare('INSERT INTO outcomes (dp, number, call_id, callback_id, attempt_id, kind, official, unit, code, label, by_default, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        r.dp,
        r.number,
        r.callId ?? null,
        r.callbackId ?? null,
        r.attemptId ?? null,
        r.kind,
        r.official,
        r.unit ?? null,
        r.code,
        r.label,
        r.byDefault ? 1 : 0,
        r.at.toISOString(),
      );
    return Number(info.lastInsertRowid);
  }

  /** Whether the official keyed an outcome about this number. */
  keyedBy(official: string, number: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM outcomes WHERE number = ? AND official = ? LIMIT 1').get(number, official);
  }

  byNumber(number: string): OutcomeRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM outcomes WHERE number = ? ORDER BY at, id`).all(number) as OutcomeRow[];
  }

  get(id: number): OutcomeRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM outcomes WHERE id = ?`).get(id) as OutcomeRow | undefined;
  }

  /** An internal unit's official's latest interventions, newest first (their console station). */
  interventionsOf(official: string, limit = 10): OutcomeRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM outcomes WHERE official = ? AND kind = 'unit' ORDER BY id DESC LIMIT ?`).all(official, limit) as OutcomeRow[];
  }

  /** The official records an intervention from the console: its code (a "not recorded" becomes what they say) and their words. */
  recordIntervention(id: number, official: string, code: string, label: string, detail: string | null, at: Date): boolean {
    return (
      this.db
        .prepare("UPDATE outcomes SET code = ?, label = ?, by_default = 0, detail = ?, recorded_via = 'console', recorded_at = ? WHERE id = ? AND official = ? AND kind = 'unit'")
        .run(code, label, detail, at.toISOString(), id, official).changes === 1
    );
  }
}
