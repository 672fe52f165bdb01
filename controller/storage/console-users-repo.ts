// SQL for console_users: the web console's accounts (ivrctl users add|remove|passwd|list).
import type { Db } from './database';

export type ConsoleRole = 'supervisor' | 'operator';
export const CONSOLE_ROLES: ConsoleRole[] = ['supervisor', 'operator'];

export interface ConsoleUser {
  username: string;
  passwordHash: string;
  role: ConsoleRole;
  operator: string | null;
  createdAt: string;
  updatedAt: string;
}

const SELECT = 'SELECT username, password_hash AS passwordHash, role, operator, created_at AS createdAt, updated_at AS updatedAt FROM console_users';

export class ConsoleUsersRepo {
  constructor(private readonly db: Db) {}

  /** false when the username is taken */
  add(u: { username: string; passwordHash: string; role: ConsoleRole; operator: string | null; at: Date }): boolean {
    const at = u.at.toISOString();
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO console_users (username, password_hash, role, operator, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(u.username, u.passwordHash, u.role, u.operator, at, at).changes === 1
    );
  }

  get(username: string): ConsoleUser | undefined {
    return this.db.prepare(`${SELECT} WHERE username = ?`).get(username) as ConsoleUser | undefined;
  }

  list(): ConsoleUser[] {
    return this.db.prepare(`${SELECT} ORDER BY username`).all() as ConsoleUser[];
  }

  /** Removing an account ends its sessions (ON DELETE CASCADE). */
  remove(username: string): boolean {
    return this.db.prepare('DELETE FROM console_users WHERE username = ?').run(username).changes === 1;
  }

  /** The same password under stronger hashing parameters (at a login): sessions stay. */
  rehash(username: string, passwordHash: string, at: Date): boolean {
    return this.db.prepare('UPDATE console_users SET password_hash = ?, updated_at = ? WHERE username = ?').run(passwordHash, at.toISOString(), username).changes === 1;
  }

  /** A new password ends the account's sessions: whoever knew the old one is logged out. */
  setPassword(username: string, passwordHash: string, at: Date): boolean {
    return this.db
      .transaction(() => {
        const ok = this.db.prepare('UPDATE console_users SET password_hash = ?, updated_at = ? WHERE username = ?').run(passwordHash, at.toISOString(), username).changes === 1;
        if (ok) this.db.prepare('DELETE FROM console_sessions WHERE username = ?').run(username);
        return ok;
      })
      .immediate();
  }
}
