// SQL for audit_log on PostgreSQL (the cluster mode): the twin of storage/audit-repo.ts. A
// profile read from the shared database is audited there.
import type { AuditEntry } from '../audit-repo';
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
}
