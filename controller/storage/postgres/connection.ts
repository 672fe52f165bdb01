// The cluster mode's shared database: a PostgreSQL pool and its migrations (db/postgres/,
// numbered as db/ is for SQLite, so that a schema version means the same tables on both).
// Instants come back as ISO strings and bigints as numbers, as SQLite gives them, so that a
// row reads the same from either engine.
import pg from 'pg';
import type { Migration } from '../database';

export type Pg = pg.Pool;
/** a pool, or one client of it inside a transaction */
export type Queryable = pg.Pool | pg.PoolClient;

const TIMESTAMPTZ = 1184;
const INT8 = 20;
/** any number that fits an advisory lock key: the migrations of one database run one at a time */
const MIGRATION_LOCK = 0x1f0c_0001;

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMPTZ) return (v: string) => new Date(v).toISOString();
    // ids and counts stay far below 2^53
    if (oid === INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** A pool on a postgres:// URL; every connection on UTC (the instants are compared as such), in `schema` when given. */
export function openPostgres(url: string, opts: { max?: number; application?: string; schema?: string } = {}): Pg {
  if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(opts.schema)) throw new Error(`not a schema name: ${opts.schema}`);
  return new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types,
    application_name: opts.application ?? 'ivr',
    connectionTimeoutMillis: 5000,
    options: `-c TimeZone=UTC${opts.schema ? ` -c search_path=${opts.schema}` : ''}`,
  });
}

/** Runs fn in one transaction on this client: committed when it returns, rolled back when it throws. */
async function transaction<T>(client: pg.PoolClient, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Runs fn in one transaction on one client of the pool. With timeoutMs, a statement still
 * running (or still waiting for a lock) after that long is cancelled by the server and the
 * transaction rolled back: a write given up is never made later.
 */
export async function inTransaction<T>(pool: Pg, fn: (client: pg.PoolClient) => Promise<T>, o: { timeoutMs?: number | undefined } = {}): Promise<T> {
  const client = await pool.connect();
  try {
    return await transaction(client, async (c) => {
      if (o.timeoutMs !== undefined) await c.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(o.timeoutMs))}`);
      return fn(c);
    });
  } finally {
    client.release();
  }
}

export async function schemaVersionPg(db: Queryable): Promise<number> {
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t");
  if (!exists.rows[0]?.t) return 0;
  const r = await db.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  return r.rows[0]?.v ?? 0;
}

/**
 * Applies the pending migrations, each in one transaction with its row in schema_version;
 * two nodes starting at once take turns (an advisory lock), the second finding nothing to do.
 * Returns the names applied.
 */
export async function migratePostgres(pool: Pg, migrations: Migration[], now: () => Date = () => new Date()): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)');
    const current = await schemaVersionPg(client);
    if (current > migrations.length) throw new Error(`database schema version ${current} is newer than this program (${migrations.length}): upgrade the program`);
    // on the client that holds the advisory lock (a session's)
    for (const m of migrations.filter((x) => x.version > current)) {
      await transaction(client, async (tx) => {
        await tx.query(m.sql);
        await tx.query('INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now().toISOString()]);
      }).catch((err: Error) => {
        throw new Error(`migration ${m.name} failed: ${err.message}`);
      });
      applied.push(m.name);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}
