// SQL for closures on PostgreSQL (the cluster mode): the twin of storage/closures-repo.ts. A
// directorate closed on one node is closed on all: each node keeps its copy in step
// (schedule/shared-closures.ts).
import { toClosureRow, type ClosureRow, type RawClosureRow } from '../closures-repo';
import { inTransaction, type Pg, type Queryable } from './connection';

const SELECT = `SELECT id, dp, starts_at AS "startsAt", ends_at AS "endsAt", message_it AS "messageIt", message_en AS "messageEn",
  offer_callback AS "offerCallback", created_by AS "createdBy", created_at AS "createdAt", reopened_by AS "reopenedBy", reopened_at AS "reopenedAt" FROM closures`;

export class PgClosuresRepo {
  /** A new closure of `dp`, ending one still live (the history kept); its id. One transaction. */
  close(
    pool: Pg,
    c: { dp: string; from: Date; until: Date; messageIt: string | null; messageEn: string | null; offerCallback: boolean; by: string; at: Date },
    timeoutMs?: number,
  ): Promise<number> {
    return inTransaction(
      pool,
      async (tx) => {
        await this.reopen(tx, c.dp, c.by, c.at);
        const r = await tx.query<{ id: number }>(
          'INSERT INTO closures (dp, starts_at, ends_at, message_it, message_en, offer_callback, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id',
          [c.dp, c.from.toISOString(), c.until.toISOString(), c.messageIt, c.messageEn, c.offerCallback ? 1 : 0, c.by, c.at.toISOString()],
        );
        return r.rows[0]!.id;
      },
      { timeoutMs },
    );
  }

  /** Ends the live closures of `dp` now; how many there were. */
  async reopen(db: Queryable, dp: string, by: string, at: Date): Promise<number> {
    const r = await db.query('UPDATE closures SET reopened_by = $1, reopened_at = $2 WHERE dp = $3 AND reopened_at IS NULL AND ends_at > $2', [by, at.toISOString(), dp]);
    return r.rowCount ?? 0;
  }

  /** Closures not yet over at `at` (current or planned), oldest start first. */
  async live(db: Queryable, at: Date): Promise<ClosureRow[]> {
    return (await db.query<RawClosureRow>(`${SELECT} WHERE reopened_at IS NULL AND ends_at > $1 ORDER BY starts_at, id`, [at.toISOString()])).rows.map(toClosureRow);
  }

  async all(db: Queryable): Promise<ClosureRow[]> {
    return (await db.query<RawClosureRow>(`${SELECT} ORDER BY id`)).rows.map(toClosureRow);
  }
}
