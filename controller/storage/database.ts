// Opens the SQLite database and brings its schema up to date. Migrations are the numbered
// files in db/ (NNN_name.sql), each applied once, in order, inside one transaction together
// with its row in schema_version: a crash mid-migration leaves the previous version intact.
// A migration that rebuilds a table other tables refer to (SQLite cannot alter a CHECK) says
// `-- foreign_keys: off` on a line of its own: the runner turns the foreign keys off around
// its transaction (SQLite ignores the pragma inside one) and checks them all before commit.
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

/** how long a connection outside the controller's event loop waits for a lock */
export const CLI_BUSY_TIMEOUT_MS = 15_000;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f));
  const migrations = files.map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(path.join(dir, f), 'utf8') })).sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${dir}: migration ${m.name} breaks the numbering (expected ${String(i + 1).padStart(3, '0')}_*)`);
  });
  return migrations;
}

export function openDatabase(file: string, opts: { readonly?: boolean } = {}): Db {
  if (!opts.readonly) mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file, { readonly: !!opts.readonly, fileMustExist: !!opts.readonly });
  // WAL: the CLI reads while the controller writes; busy_timeout makes the rare writer
  // overlap (CLI + controller) wait instead of failing. The controller lowers it to a few
  // milliseconds once started (its writes wait in storage/write-queue.ts instead, off the
  // event loop); a sysadmin's command may wait this long for the lock.
  if (!opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // what retention masks or deletes is overwritten with zeros, not left in free space
  if (!opts.readonly) db.pragma('secure_delete = ON');
  db.pragma(`busy_timeout = ${CLI_BUSY_TIMEOUT_MS}`);
  // NORMAL: a commit survives the process dying (kill -9), and costs no fsync; the commits
  // a caller is told about go through durable() below
  db.pragma('synchronous = NORMAL');
  return db;
}

/**
 * SQLite's quick integrity check, run before anything is served from the file: a damaged
 * database is refused with one line saying what to do, rather than answering calls from it.
 */
export function checkIntegrity(db: Db, file: string): void {
  const rows = db.pragma('quick_check(5)') as Array<{ quick_check: string }>;
  const result = rows
    .map((r) => r.quick_check)
    .join('; ')
    .replace(/\s+/g, ' ');
  if (result !== 'ok') throw new Error(`${file} is damaged (quick_check: ${result.slice(0, 300)}): it is not served; restore the newest backup (README, "Restore")`);
}

export function schemaVersion(db: Db): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").get();
  if (!exists) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies the pending migrations; returns the names applied. */
export function migrate(db: Db, migrations: Migration[], now: () => Date = () => new Date()): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const current = schemaVersion(db);
  const latest = migrations.length;
  if (current > latest) throw new Error(`database schema version ${current} is newer than this program (${latest}): upgrade the program`);
  const applied: string[] = [];
  for (const m of migrations.filter((x) => x.version > current)) {
    const rebuild = /^-- foreign_keys: off$/m.test(m.sql);
    if (rebuild) db.pragma('foreign_keys = OFF');
    try {
      // IMMEDIATE: a second process migrating at the same time waits, then sees the new version
      db.transaction(() => {
        if (schemaVersion(db) >= m.version) return;
        db.exec(m.sql);
        if (rebuild) {
          const broken = db.pragma('foreign_key_check') as Array<{ table: string; rowid: number; parent: string }>;
          if (broken.length > 0) {
            const first = broken[0]!;
            throw new Error(`migration ${m.name} breaks ${broken.length} reference(s), e.g. ${first.table} row ${first.rowid} to ${first.parent}: not applied`);
          }
        }
        db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now().toISOString());
        applied.push(m.name);
      }).immediate();
    } finally {
      if (rebuild) db.pragma('foreign_keys = ON');
    }
  }
  return applied;
}

/** When the database was created (its first migration), or undefined before any. */
export function createdAt(db: Db): Date | undefined {
  const row = db.prepare('SELECT applied_at AS at FROM schema_version WHERE version = 1').get() as { at: string } | undefined;
  return row ? new Date(row.at) : undefined;
}

/** distinct SQL texts kept prepared; the repositories use a few dozen */
const STATEMENT_CACHE = 500;

/**
 * Times every statement run on this connection (for the latency metric), and keeps
 * statements prepared: the repositories prepare at each use, which under a burst of calls
 * cost more than running most of them (measured: a fifth of the database time). A statement
 * is wrapped once, at its first prepare, so the cost is one clock read per run. Safe to share
 * because nothing in the controller changes a statement's mode (pluck, raw, expand) or keeps
 * one iterating.
 */
export function instrumentDatabase(db: Db, observe: (op: string, seconds: number) => void): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, ReturnType<Db['prepare']>>();
  db.prepare = ((sql: string) => {
    const cached = cache.get(sql);
    if (cached) return cached;
    if (cache.size >= STATEMENT_CACHE) cache.clear();
    const stmt = prepare(sql);
    cache.set(sql, stmt);
    const op = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other';
    for (const m of ['run', 'get', 'all'] as const) {
      const fn = (stmt[m] as (...a: unknown[]) => unknown).bind(stmt);
      (stmt as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
        const t0 = process.hrtime.bigint();
        try {
          return fn(...args);
        } finally {
          observe(op, Number(process.hrtime.bigint() - t0) / 1e9);
        }
      };
    }
    return stmt;
  }) as Db['prepare'];
}

/**
 * Runs a write whose commit someone is told about (a caller hears "booked") with
 * synchronous=FULL: the WAL is fsynced at that commit, so it survives a power cut or an OS
 * crash too, not only the process dying. About 0.1 ms more per commit on this class of disk,
 * paid only here rather than by every call event.
 */
export function durable<T>(db: Db, write: () => T): T {
  db.pragma('synchronous = FULL');
  try {
    return write();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}
