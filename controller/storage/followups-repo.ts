// SQL for followups: the cases officials marked "needs follow-up", open until closed.
import type { Db } from './database';

export interface FollowupRow {
  id: number;
  dp: string;
  unit: string | null;
  number: string | null;
  callId: string | null;
  callbackId: number | null;
  openedBy: string;
  openedAt: string;
  status: 'open' | 'closed';
  closedBy: string | null;
  closedAt: string | null;
  outcome: string | null;
}

const SELECT = `SELECT id, dp, unit, number, call_id AS callId, callback_id AS callbackId, opened_by AS openedBy, opened_at AS openedAt,
  status, closed_by AS closedBy, closed_at AS closedAt, outcome FROM followups`;

export class FollowupsRepo {
  constructor(private readonly db: Db) {}

  open(f: Pick<FollowupRow, 'dp' | 'unit' | 'number' | 'callId' | 'callbackId' | 'openedBy'> & { at: Date }): number {
    const row = this.db
      .prepare('INSERT INTO followups (dp, unit, number, call_id, callback_id, opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id')
      .get(f.dp, f.unit, f.number, f.callId, f.callbackId, f.openedBy, f.at.toISOString()) as { id: number };
    return row.id;
  }

  get(id: number): FollowupRow | undefined {
    return this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as FollowupRow | undefined;
  }

  /** Oldest first; `unit` null means the operators' worklist, undefined any. */
  list(f: { dp?: string | undefined; unit?: string | null | undefined; status?: 'open' | 'closed' | undefined } = {}): FollowupRow[] {
    const where: string[] = [];
    const params: string[] = [];
    if (f.dp) {
      where.push('dp = ?');
      params.push(f.dp);
    }
    if (f.unit === null) where.push('unit IS NULL');
    else if (f.unit !== undefined) {
      where.push('unit = ?');
      params.push(f.unit);
    }
    if (f.status) {
      where.push('status = ?');
      params.push(f.status);
    }
    return this.db.prepare(`${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`).all(...params) as FollowupRow[];
  }

  /** open -> closed with what was done; false when it was not open. */
  close(id: number, by: string, outcome: string, at: Date): boolean {
    return (
      this.db.prepare("UPDATE followups SET status = 'closed', closed_by = ?, closed_at = ?, outcome = ? WHERE id = ? AND status = 'open'").run(by, at.toISOString(), outcome, id)
        .changes === 1
    );
  }

  byNumber(number: string): FollowupRow[] {
    return this.db.prepare(`${SELECT} WHERE number = ? ORDER BY opened_at, id`).all(number) as FollowupRow[];
  }

  /** Open items per directorate and the oldest one's opening, for the metrics and the reports. */
  openByDp(): Array<{ dp: string; open: number; oldest: string }> {
    return this.db.prepare("SELECT dp, COUNT(*) AS open, MIN(opened_at) AS oldest FROM followups WHERE status = 'open' GROUP BY dp").all() as Array<{
      dp: string;
      open: number;
      oldest: string;
    }>;
  }
}
