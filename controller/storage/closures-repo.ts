// SQL for closures: a directorate's extraordinary closures, live until their end or until
// reopened early.
import type { Db } from './database';

export interface ClosureRow {
  id: number;
  dp: string;
  startsAt: string;
  endsAt: string;
  messageIt: string | null;
  messageEn: string | null;
  offerCallback: boolean;
  createdBy: string;
  createdAt: string;
  reopenedBy: string | null;
  reopenedAt: string | null;
}

const SELECT = `SELECT id, dp, starts_at AS startsAt, ends_at AS endsAt, message_it AS messageIt, message_en AS messageEn,
  offer_callback AS offerCallback, created_by AS createdBy, created_at AS createdAt, reopened_by AS reopenedBy, reopened_at AS reopenedAt FROM closures`;

export type RawClosureRow = Omit<ClosureRow, 'offerCallback'> & { offerCallback: number };
type Raw = RawClosureRow;
export const toClosureRow = (r: Raw): ClosureRow => ({ ...r, offerCallback: r.offerCallback === 1 });
const row = toClosureRow;

export class ClosuresRepo {
  constructor(private readonly db: Db) {}

  /**
   * A new closure of `dp`; one still live is ended by it (a closure extended or shortened
   * is a new record, the history kept). Returns the new id.
   */
  close(c: { dp: string; from: Date; until: Date; messageIt: string | null; messageEn: string | null; offerCallback: boolean; by: string; at: Date }): number {
    return this.db.transaction(() => {
      this.reopen(c.dp, c.by, c.at);
      const r = this.db
        .prepare('INSERT INTO closures (dp, starts_at, ends_at, message_it, message_en, offer_callback, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id')
        .get(c.dp, c.from.toISOString(), c.until.toISOString(), c.messageIt, c.messageEn, c.offerCallback ? 1 : 0, c.by, c.at.toISOString()) as { id: number };
      return r.id;
    })();
  }

  get(id: number): ClosureRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as Raw | undefined;
    return r && row(r);
  }

  /** Ends the live closures of `dp` now; how many there were. */
  reopen(dp: string, by: string, at: Date): number {
    return this.db
      .prepare('UPDATE closures SET reopened_by = ?, reopened_at = ? WHERE dp = ? AND reopened_at IS NULL AND ends_at > ?')
      .run(by, at.toISOString(), dp, at.toISOString()).changes;
  }

  /** Closures not yet over at `at` (current or planned), oldest start first. */
  live(at: Date): ClosureRow[] {
    return (this.db.prepare(`${SELECT} WHERE reopened_at IS NULL AND ends_at > ? ORDER BY starts_at, id`).all(at.toISOString()) as Raw[]).map(row);
  }

  /**
   * The cluster mode: the table made the same as the shared database's, ids kept (a closure's
   * message prompt is named after its id); true when anything changed. One transaction.
   */
  replaceAll(rows: readonly ClosureRow[]): boolean {
    const key = (r: ClosureRow): string =>
      JSON.stringify([r.dp, r.startsAt, r.endsAt, r.messageIt, r.messageEn, r.offerCallback, r.createdBy, r.createdAt, r.reopenedBy, r.reopenedAt]);
    return this.db.transaction((): boolean => {
      const before = new Map((this.db.prepare(SELECT).all() as Raw[]).map(row).map((r) => [r.id, key(r)]));
      let changed = false;
      for (const r of rows) {
        const was = before.get(r.id);
        before.delete(r.id);
        if (was === key(r)) continue;
        this.db
          .prepare(
            `INSERT OR REPLACE INTO closures (id, dp, starts_at, ends_at, message_it, message_en, offer_callback, created_by, created_at, reopened_by, reopened_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(r.id, r.dp, r.startsAt, r.endsAt, r.messageIt, r.messageEn, r.offerCallback ? 1 : 0, r.createdBy, r.createdAt, r.reopenedBy, r.reopenedAt);
        changed = true;
      }
      for (const id of before.keys()) changed = this.db.prepare('DELETE FROM closures WHERE id = ?').run(id).changes === 1 || changed;
      return changed;
    })();
  }

  /** Newest first, for ivrctl dp list and the console. */
  recent(dp: string | undefined, limit = 20): ClosureRow[] {
    const where = dp ? ' WHERE dp = ?' : '';
    return (this.db.prepare(`${SELECT}${where} ORDER BY id DESC LIMIT ?`).all(...(dp ? [dp] : []), limit) as Raw[]).map(row);
  }
}
