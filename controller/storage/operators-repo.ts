// SQL for the operators table (and nothing else).
import type { Db } from './database';
import type { OperatorRole } from '../config/schema';

export interface OperatorRow {
  id: string;
  dp: string;
  role: OperatorRole;
  unit: string | null;
  ha1: string;
  paused: boolean;
  /** since when, while paused */
  pausedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RawOperatorRow {
  id: string;
  dp: string;
  role: OperatorRole;
  unit: string | null;
  ha1: string;
  paused: number;
  paused_at: string | null;
  created_at: string;
  updated_at: string;
}

export const toOperatorRow = (r: RawOperatorRow): OperatorRow => ({
  id: r.id,
  dp: r.dp,
  role: r.role,
  unit: r.unit,
  ha1: r.ha1,
  paused: r.paused === 1,
  pausedAt: r.paused === 1 ? r.paused_at : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class OperatorsRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): OperatorRow[] {
    return (this.db.prepare('SELECT * FROM operators ORDER BY dp, role, id').all() as RawOperatorRow[]).map(toOperatorRow);
  }

  get(id: string): OperatorRow | undefined {
    const r = this.db.prepare('SELECT * FROM operators WHERE id = ?').get(id) as RawOperatorRow | undefined;
    return r && toOperatorRow(r);
  }

  /** false when the id is taken */
  insert(op: { id: string; dp: string; role: OperatorRole; unit: string | null; ha1: string }): boolean {
    const ts = this.now().toISOString();
    // not INSERT OR IGNORE: that would also swallow CHECK violations as "id taken"
    try {
      this.db
        .prepare('INSERT INTO operators (id, dp, role, unit, ha1, paused, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)')
        .run(op.id, op.dp, op.role, op.unit, op.ha1, ts, ts);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw err;
    }
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM operators WHERE id = ?').run(id).changes === 1;
  }

  /**
   * The cluster mode: the table made the same as the shared database's (each node keeps its
   * Asterisk's copy in step); true when anything changed. One transaction.
   */
  replaceAll(rows: readonly OperatorRow[]): boolean {
    const same = (a: OperatorRow, b: OperatorRow): boolean =>
      a.dp === b.dp && a.role === b.role && a.unit === b.unit && a.ha1 === b.ha1 && a.paused === b.paused && a.pausedAt === b.pausedAt;
    return this.db.transaction((): boolean => {
      const before = new Map(this.list().map((r) => [r.id, r]));
      let changed = false;
      for (const r of rows) {
        const old = before.get(r.id);
        before.delete(r.id);
        if (old && same(old, r)) continue;
        this.db
          .prepare(
            `INSERT INTO operators (id, dp, role, unit, ha1, paused, paused_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET dp = excluded.dp, role = excluded.role, unit = excluded.unit, ha1 = excluded.ha1, paused = excluded.paused,
               paused_at = excluded.paused_at, updated_at = excluded.updated_at`,
          )
          .run(r.id, r.dp, r.role, r.unit, r.ha1, r.paused ? 1 : 0, r.pausedAt, r.createdAt, r.updatedAt);
        changed = true;
      }
      for (const id of before.keys()) changed = this.remove(id) || changed;
      return changed;
    })();
  }

  /** false when there is no such operator */
  setPaused(id: string, paused: boolean, at: Date = this.now()): boolean {
    return (
      this.db
        // paused_at: kept when an already paused station is paused again
        .prepare('UPDATE operators SET paused = ?, paused_at = CASE WHEN ? = 1 THEN COALESCE(CASE WHEN paused = 1 THEN paused_at END, ?) END, updated_at = ? WHERE id = ?')
        .run(paused ? 1 : 0, paused ? 1 : 0, at.toISOString(), at.toISOString(), id).changes === 1
    );
  }
}
