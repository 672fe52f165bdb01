// SQL for call_events: the ordered log of what happened in each call.
import { maskNumber } from '../callbacks/numbering-plan';
import type { Db } from './database';

export interface CallEventRow {
  id: number;
  callId: string;
  at: string;
  type: string;
  data: Record<string, unknown> | null;
}

export class CallEventsRepo {
  constructor(private readonly db: Db) {}

  add(callId: string, at: Date, type: string, data?: Record<string, unknown>): void {
    this.db.prepare('INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?)').run(callId, at.toISOString(), type, data ? JSON.stringify(data) : null);
  }

  /** Retention: masks the numbers a caller typed or booked (data.number, data.digits) in events before `cutoff`. */
  maskNumbersBefore(cutoff: Date): number {
    const rows = this.db
      .prepare("SELECT id, data FROM call_events WHERE at < ? AND (json_type(data, '$.number') = 'text' OR json_type(data, '$.digits') = 'text')")
      .all(cutoff.toISOString()) as Array<{ id: number; data: string }>;
    const update = this.db.prepare('UPDATE call_events SET data = ? WHERE id = ?');
    let changed = 0;
    for (const r of rows) {
      const data = JSON.parse(r.data) as Record<string, unknown>;
      for (const k of ['number', 'digits']) if (typeof data[k] === 'string') data[k] = maskNumber(data[k]);
      const masked = JSON.stringify(data);
      // an event counts once, whichever of its fields held a number
      if (masked !== r.data) changed += update.run(masked, r.id).changes;
    }
    return changed;
  }

  byCall(callId: string): CallEventRow[] {
    const rows = this.db.prepare('SELECT id, call_id AS callId, at, type, data FROM call_events WHERE call_id = ? ORDER BY id').all(callId) as Array<Omit<CallEventRow, 'data'> & { data: string | null }>;
    return rows.map((r) => ({ ...r, data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null }));
  }
}
