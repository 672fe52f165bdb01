// The cluster mode's roster: the operators are the shared database's table; each node keeps
// its own copy in step, since its Asterisk's endpoints are generated from it and presence reads
// it (both synchronous, on the node). The first node of the configuration's cluster seeds the
// shared table once from its own first-start rows (the configuration's operators, with the
// passwords it wrote to its operator-passwords.txt); until then no node changes its copy, so
// a node starting first never empties its own roster. A pause goes to the shared table and
// the node's copy at once; the other nodes see it at their next pull.
import type { OperatorsRepo } from '../storage/operators-repo';
import { inTransaction, type Pg } from '../storage/postgres/connection';
import { PgOperatorsRepo } from '../storage/postgres/operators-repo';

const SEEDED = 'operators_seeded';

export class SharedOperators {
  private readonly shared = new PgOperatorsRepo();

  constructor(
    private readonly pool: Pg,
    private readonly local: OperatorsRepo,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The node's rows into the shared table, once for the cluster; true when this call did it. */
  seed(): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('operators_seed', 0))");
      if ((await tx.query('SELECT 1 FROM meta WHERE key = $1', [SEEDED])).rowCount) return false;
      for (const r of this.local.list())
        await tx.query(
          `INSERT INTO operators (id, dp, role, unit, ha1, paused, paused_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (id) DO NOTHING`,
          [r.id, r.dp, r.role, r.unit, r.ha1, r.paused ? 1 : 0, r.pausedAt, r.createdAt, r.updatedAt],
        );
      await tx.query('INSERT INTO meta (key, value) VALUES ($1, $2)', [SEEDED, this.now().toISOString()]);
      return true;
    });
  }

  /** The node's copy made the shared table's; true when it changed (the caller regenerates Asterisk's endpoints). Nothing before the seeding. */
  async pull(): Promise<boolean> {
    if (!(await this.pool.query('SELECT 1 FROM meta WHERE key = $1', [SEEDED])).rowCount) return false;
    return this.local.replaceAll(await this.shared.list(this.pool));
  }

  /** false when there is no such operator */
  async setPaused(id: string, paused: boolean): Promise<boolean> {
    const at = this.now();
    if (!(await this.shared.setPaused(this.pool, id, paused, at))) return false;
    // at once here, by the same rule and time as the shared row: the next pull finds them equal
    this.local.setPaused(id, paused, at);
    return true;
  }
}
