// SQL for console_sessions. Only a hash of the session token is stored.
import type { Db } from './database';

export interface ConsoleSession {
  tokenHash: string;
  username: string;
  csrf: string;
  createdAt: string;
  expiresAt: string;
}

export class ConsoleSessionsRepo {
  constructor(private readonly db: Db) {}

  add(s: ConsoleSession): void {
    this.db
      .prepare('INSERT INTO console_sessions (token_hash, username, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(s.tokenHash, s.username, s.csrf, s.createdAt, s.expiresAt);
  }

  /** The session if it has not expired. */
  live(tokenHash: string, now: Date): ConsoleSession | undefined {
    return this.db
      .prepare('SELECT token_hash AS tokenHash, username, csrf, created_at AS createdAt, expires_at AS expiresAt FROM console_sessions WHERE token_hash = ? AND expires_at > ?')
      .get(tokenHash, now.toISOString()) as ConsoleSession | undefined;
  }

  /** Sliding expiry: a session in use stays open. */
  extend(tokenHash: string, expiresAt: Date): void {
    this.db.prepare('UPDATE console_sessions SET expires_at = ? WHERE token_hash = ?').run(expiresAt.toISOString(), tokenHash);
  }

  remove(tokenHash: string): void {
    this.db.prepare('DELETE FROM console_sessions WHERE token_hash = ?').run(tokenHash);
  }

  removeExpired(now: Date): number {
    return this.db.prepare('DELETE FROM console_sessions WHERE expires_at <= ?').run(now.toISOString()).changes;
  }
}
