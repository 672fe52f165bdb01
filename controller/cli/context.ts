// What every ivrctl command is given: where things are, how to print, and how to open the
// database. Reads open it read-only (the controller keeps writing; WAL lets both run);
// maintenance opens it for writing but never migrates behind the sysadmin's back.
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { controllerSqliteFile, migrationsDir, postgresMigrationsDir, redactedUrl, sqliteFile, type Environment } from '../environment';
import { openPostgres, schemaVersionPg, type Pg } from '../storage/postgres/connection';
import { openDatabase, readMigrations, schemaVersion, type Db } from '../storage/database';
import { prepare, type Prepared } from '../setup';
import type { Printer } from './format';
import { UsageError } from '../errors';

/** A record's id given on the command line ("callback id", "follow-up id"): digits only. */
export function recordId(what: string, id: string): number {
  if (!/^\d{1,12}$/.test(id)) throw new UsageError(`${what} id must be a number, got "${id}"`);
  return Number(id);
}

export interface DbAccess {
  write?: boolean;
  /** e.g. a backup taken before migrating */
  anySchema?: boolean;
}

export class Cli {
  private cfg: Config | undefined;
  /** what the run exits with when no error is thrown (1: e.g. status found a problem) */
  exitCode = 0;

  constructor(
    readonly env: Environment,
    readonly print: Printer,
    /** raw output (a report as it is) and stdin (a password) */
    readonly io: { out: (s: string) => void; stdin: AsyncIterable<unknown> },
  ) {}

  get config(): Config {
    return (this.cfg ??= loadConfig(this.env.configFile));
  }

  /** The database, read-only unless `write`; its schema must be current unless `anySchema`. Close it after use. */
  openDb(o: DbAccess = {}): Db {
    return this.openSqlite(sqliteFile(this.env), o);
  }

  /**
   * The node's own SQLite file: one box's database, or in the cluster mode the file beside the
   * shared database (the node's copy of the roster, its jobs' runs, its backups' source).
   */
  openNodeDb(o: DbAccess = {}): Db {
    return this.openSqlite(controllerSqliteFile(this.env), o);
  }

  private openSqlite(file: string, o: DbAccess): Db {
    if (!existsSync(file)) throw new Error(`no database at ${file}: start the service once (make up) or run ivrctl setup`);
    const db = openDatabase(file, { readonly: !o.write });
    if (o.anySchema) return db;
    const have = schemaVersion(db);
    const want = readMigrations(migrationsDir(this.env.root)).length;
    if (have < want) {
      db.close();
      throw new Error(`${file} has schema version ${have}, this program needs ${want}: run ivrctl db migrate`);
    }
    return db;
  }

  /**
   * The whole preparation (operators service, provisioner) for commands that change
   * operators, on an existing database of the current schema: a typo in IVR_DB must not
   * create and seed a new one.
   */
  prepared(): Prepared {
    this.openDb({ write: true }).close();
    return prepare(this.env);
  }

  /** Runs `use` with the database open, and closes it whatever happens. */
  // async: a database that cannot be opened is a rejection, as every other failure here
  async withDb<T>(use: (db: Db) => T | Promise<T>, access: DbAccess = {}): Promise<T> {
    return this.using(this.openDb(access), use);
  }

  /** Runs `use` with the node's own file open (openNodeDb), and closes it whatever happens. */
  async withNodeDb<T>(use: (db: Db) => T | Promise<T>, access: DbAccess = {}): Promise<T> {
    return this.using(this.openNodeDb(access), use);
  }

  private async using<T>(db: Db, use: (db: Db) => T | Promise<T>): Promise<T> {
    try {
      return await use(db);
    } finally {
      db.close();
    }
  }

  /**
   * Runs `use` on the cluster's shared database (IVR_DB a postgres:// URL) at the current
   * schema, and closes the pool whatever happens; the driver's errors say where.
   */
  async withShared<T>(use: (pool: Pg) => Promise<T>): Promise<T> {
    const url = this.env.dbUrl;
    if (!url) throw new Error('IVR_DB is not a PostgreSQL database');
    const where = redactedUrl(url);
    const pool = openPostgres(url, { max: 2, application: 'ivrctl' });
    try {
      const have = await schemaVersionPg(pool).catch((err: Error) => {
        throw new Error(`${where}: ${err.message}`);
      });
      const want = readMigrations(postgresMigrationsDir(this.env.root)).length;
      if (have < want) throw new Error(`${where} has schema version ${have}, this program needs ${want}: run ivrctl db migrate`);
      return await use(pool);
    } finally {
      await pool.end();
    }
  }

  /** A use of the records where they are: the SQLite file (read-only unless `access.write`), or in the cluster mode the shared database. */
  withRecords<T>(sqlite: (db: Db) => T | Promise<T>, shared: (pool: Pg) => Promise<T>, access: DbAccess = {}): Promise<T> {
    return this.env.dbUrl ? this.withShared(shared) : this.withDb(sqlite, access);
  }

  /** A directorate id given on the command line must exist in the configuration. */
  checkDp(dp: string | undefined): void {
    if (dp !== undefined && !this.config.directorates.some((d) => d.id === dp))
      throw new UsageError(`unknown directorate "${dp}" (known: ${this.config.directorates.map((d) => d.id).join(', ')})`);
  }
}
