// SQL for notes on PostgreSQL (the cluster mode): the twin of storage/notes-repo.ts.
import type { NoteRecord, NoteRow } from '../notes-repo';
import type { Queryable } from './connection';

export class PgNotesRepo {
  async add(db: Queryable, n: NoteRecord): Promise<number> {
    const row = await db.query<{ id: number }>(
      'INSERT INTO notes (number, dp, call_id, callback_id, author, operator, info, text, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
      [n.number, n.dp, n.callId ?? null, n.callbackId ?? null, n.author, n.operator, n.info, n.text, n.at.toISOString()],
    );
    return row.rows[0]!.id;
  }

  async byNumber(db: Queryable, number: string): Promise<NoteRow[]> {
    return (
      await db.query<NoteRow>(
        'SELECT id, number, dp, call_id AS "callId", callback_id AS "callbackId", author, operator, info, text, at FROM notes WHERE number = $1 ORDER BY at, id',
        [number],
      )
    ).rows;
  }
}
