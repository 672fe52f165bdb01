// SQL for audit_log: who looked at whose data in the console, and when.
import type { Db } from './database';

export type AuditAction = 'profile_view' | 'profile_refused' | 'note_added';

export interface AuditEntry {
  at: Date;
  username: string;
  role: string;
  action: AuditAction;
  /** the caller's number looked at */
  subject: string | null;
  detail?: string | null;
}

export interface AuditRow {
  id: number;
  at: string;
  username: string;
  role: string;
  action: AuditAction;
  subject: string | null;
  detail: string | null;
}

export class AuditRepo {
  constructor(private readonly db: Db) {}

  add(e: AuditEntry): void {
    this.db
      .prepare('INSERT INTO audit_log (at, username, role, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.at.toISOString(), e.username, e.role, e.action, e.subject, e.detail ?? null);
  }

  /** Newest first. */
  list(filter: { username?: string | undefined; subject?: string | undefined; limit: number }): AuditRow[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (filter.username) {
      where.push('username = ?');
      params.push(filter.username);
    }
    if (filter.subject) {
      where.push('subject = ?');
      params.push(filter.subject);
    }
    return this.db
      .prepare(`SELECT id, at, username, role, action, subject, detail FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...params, filter.limit) as AuditRow[];
  }
}
