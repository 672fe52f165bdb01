// SQL for call_events on PostgreSQL (the cluster mode): the twin of storage/call-events-repo.ts.
import type { CallEventType } from '../../vocabulary/call-events';
import type { CallEventRow } from '../call-events-repo';
import type { Queryable } from './connection';

export class PgCallEventsRepo {
  async add(db: Queryable, callId: string, at: Date, type: CallEventType, data?: Record<string, unknown>): Promise<void> {
    await db.query('INSERT INTO call_events (call_id, at, type, data) VALUES ($1, $2, $3, $4)', [callId, at.toISOString(), type, data ? JSON.stringify(data) : null]);
  }

  /** jsonb comes back parsed, as SQLite's repository parses its text */
  async byCall(db: Queryable, callId: string): Promise<CallEventRow[]> {
    return (await db.query<CallEventRow>('SELECT id, call_id AS "callId", at, type, data FROM call_events WHERE call_id = $1 ORDER BY id', [callId])).rows;
  }
}
