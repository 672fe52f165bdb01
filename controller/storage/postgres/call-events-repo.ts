// SQL for call_events on PostgreSQL (the cluster mode): the twin of storage/call-events-repo.ts.
import type { CallEventType } from '../../vocabulary/call-events';
import type { Queryable } from './connection';

export class PgCallEventsRepo {
  async add(db: Queryable, callId: string, at: Date, type: CallEventType, data?: Record<string, unknown>): Promise<void> {
    await db.query('INSERT INTO call_events (call_id, at, type, data) VALUES ($1, $2, $3, $4)', [callId, at.toISOString(), type, data ? JSON.stringify(data) : null]);
  }
}
