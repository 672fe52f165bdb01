// SQL for notes: what an operator recorded about a caller from the console.
import type { Db } from './database';

export interface NoteRecord {
  number: string | null;
  dp: string | null;
  callId?: string | null;
  callbackId?: number | null;
  author: string;
  operator: string | null;
  info: string | null;
  text: string;
  at: Date;
}

export interface NoteRow extends Omit<NoteRecord, 'at'> {
  id: number;
  at: string;
}

const SELECT = `SELECT id, number, dp, call_id AS callId, callback_id AS callbackId, author, operator, info, text, at FROM notes`;

export class NotesRepo {
  constructor(private readonly db: Db) {}

  add(n: NoteRecord): number {
    const row = this.db
      .prepare('INSERT INTO notes (number, dp, call_id, callback_id, author, operator, info, text, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id')
      .get(n.number, n.dp, n.callId ?? null, n.callbackId ?? null, n.author, n.operator, n.info, n.text, n.at.toISOString()) as { id: number };
    return row.id;
  }

  byNumber(number: string): NoteRow[] {
    return this.db.prepare(`${SELECT} WHERE number = ? ORDER BY at, id`).all(number) as NoteRow[];
  }
}
