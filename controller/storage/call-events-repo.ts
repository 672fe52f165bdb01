// SQL for call_events: the ordered log of what happened in each call.
import type { CallEventType } from '../vocabulary/call-events';
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

  add(callId: string, at: Date, type: CallEventType, data?: Record<string, unknown>): void {
    this.db.prepare('INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?)').run(callId, at.toISOString(), type, data ? JSON.stringify(data) : null);
  }

  byCall(callId: string): CallEventRow[] {
    const rows = this.db.prepare('SELECT id, call_id AS callId, at, type, data FROM call_events WHERE call_id = ? ORDER BY id').all(callId) as Array<
      Omit<CallEventRow, 'data'> & { data: string | null }
    >;
    return rows.map((r) => ({ ...r, data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null }));
  }
}
