// SQL for audit_log on PostgreSQL (the cluster mode): the twin of storage/audit-repo.ts. A
// profile read from the shared database is audited there.
import type { AuditEntry, AuditRow } from '../audit-repo';
import type { Queryable } from './connection';

export class PgAuditRepo {
  async add(db: Queryable, e: AuditEntry): Promise<void> {
    await db.query('INSERT INTO audit_log (at, username, role, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
      e.at.toISOString(),
      e.username,
      e.role,
      e.action,
      e.subject,
      e.detail ?? null,
    ]);
  }

  /** Newest first. */
  async list(db: Queryable, filter: { username?: string | undefined; subject?: string | undefined; limit: number }): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (filter.username) where.push(`username = $${params.push(filter.username)}`);
    if (filter.subject) where.push(`subject = $${params.push(filter.subject)}`);
    const limit = `$${params.push(filter.limit)}`;
    return (
      await db.query<AuditRow>(
        `SELECT id, at, username, role, action, subject, detail FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
        params,
      )
    ).rows;
  }
}
