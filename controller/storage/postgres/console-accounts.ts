// The web console's accounts and sessions on the cluster's shared PostgreSQL
// (storage/console-accounts.ts): an account and its sessions are good on every node. A
// database that cannot answer now comes out as StorageUnavailable (the login page says "try
// again"); what is kept only when it can be (a session's extension, a stronger hash) is
// reported when it is lost.
import type { ConsoleAccounts, NewConsoleUser } from '../console-accounts';
import type { ConsoleSession } from '../console-sessions-repo';
import type { ConsoleUser } from '../console-users-repo';
import { inTransaction, type Pg, type Queryable } from './connection';
import { consoleRead, consoleWrite } from './console-store';

const CONSOLE_SEEDED = 'console_users_seeded';

/**
 * The first node's console accounts into the shared table, once for the cluster (a box that
 * becomes a cluster keeps its accounts and their passwords); how many were copied, 0 when the
 * cluster was seeded before. Under an advisory lock: two nodes starting at once copy once.
 */
export function seedConsoleUsers(pool: Pg, users: readonly ConsoleUser[], now: Date): Promise<number> {
  return inTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('console_users_seed', 0))");
    if ((await tx.query('SELECT 1 FROM meta WHERE key = $1', [CONSOLE_SEEDED])).rowCount) return 0;
    let copied = 0;
    for (const u of users) {
      const r = await tx.query(
        'INSERT INTO console_users (username, password_hash, role, operator, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING',
        [u.username, u.passwordHash, u.role, u.operator, u.createdAt, u.updatedAt],
      );
      copied += r.rowCount ?? 0;
    }
    await tx.query('INSERT INTO meta (key, value) VALUES ($1, $2)', [CONSOLE_SEEDED, now.toISOString()]);
    return copied;
  });
}

const USER = `SELECT username, password_hash AS "passwordHash", role, operator, created_at AS "createdAt", updated_at AS "updatedAt" FROM console_users`;
const SESSION = `SELECT token_hash AS "tokenHash", username, csrf, created_at AS "createdAt", expires_at AS "expiresAt" FROM console_sessions`;

export class PgConsoleAccounts implements ConsoleAccounts {
  constructor(
    private readonly pool: Pg,
    /** a write kept only when it can be was lost */
    private readonly onLost: (what: string, err: Error) => void = () => undefined,
  ) {}

  user = (username: string): Promise<ConsoleUser | undefined> => this.query('user', async (db) => (await db.query<ConsoleUser>(`${USER} WHERE username = $1`, [username])).rows[0]);
  users = (): Promise<ConsoleUser[]> => this.query('users', async (db) => (await db.query<ConsoleUser>(`${USER} ORDER BY username`)).rows);

  addUser(u: NewConsoleUser): Promise<boolean> {
    return this.query('user add', async (db) => {
      const at = u.at.toISOString();
      const r = await db.query(
        'INSERT INTO console_users (username, password_hash, role, operator, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING',
        [u.username, u.passwordHash, u.role, u.operator, at, at],
      );
      return r.rowCount === 1;
    });
  }

  /** its sessions go with it (ON DELETE CASCADE) */
  removeUser = (username: string): Promise<boolean> =>
    this.query('user remove', async (db) => (await db.query('DELETE FROM console_users WHERE username = $1', [username])).rowCount === 1);

  setPassword(username: string, passwordHash: string, at: Date): Promise<boolean> {
    return consoleWrite(this.pool, 'password', async (c) => {
      const ok = (await c.query('UPDATE console_users SET password_hash = $1, updated_at = $2 WHERE username = $3', [passwordHash, at.toISOString(), username])).rowCount === 1;
      if (ok) await c.query('DELETE FROM console_sessions WHERE username = $1', [username]);
      return ok;
    });
  }

  async rehash(username: string, passwordHash: string, at: Date): Promise<void> {
    await this.pool
      .query('UPDATE console_users SET password_hash = $1, updated_at = $2 WHERE username = $3', [passwordHash, at.toISOString(), username])
      .catch((err: Error) => this.onLost('console_rehash', err));
  }

  startSession(s: ConsoleSession, now: Date): Promise<void> {
    return consoleWrite(this.pool, 'login', async (c) => {
      await c.query('DELETE FROM console_sessions WHERE expires_at <= $1', [now.toISOString()]);
      await c.query('INSERT INTO console_sessions (token_hash, username, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        s.tokenHash,
        s.username,
        s.csrf,
        s.createdAt,
        s.expiresAt,
      ]);
    });
  }

  liveSession = (tokenHash: string, now: Date): Promise<ConsoleSession | undefined> =>
    this.query('session', async (db) => (await db.query<ConsoleSession>(`${SESSION} WHERE token_hash = $1 AND expires_at > $2`, [tokenHash, now.toISOString()])).rows[0]);

  async extendSession(tokenHash: string, expiresAt: Date): Promise<void> {
    await this.pool
      .query('UPDATE console_sessions SET expires_at = $1 WHERE token_hash = $2', [expiresAt.toISOString(), tokenHash])
      .catch((err: Error) => this.onLost('console_session_extend', err));
  }

  async endSession(tokenHash: string): Promise<void> {
    await this.query('logout', (db) => db.query('DELETE FROM console_sessions WHERE token_hash = $1', [tokenHash]));
  }

  private query<T>(what: string, op: (db: Queryable) => Promise<T>): Promise<T> {
    return consoleRead(this.pool, what, op);
  }
}
