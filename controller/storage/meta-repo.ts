// SQL for the meta table: one-off facts about the database.
import type { Db } from './database';

export class MetaRepo {
  constructor(private readonly db: Db) {}

  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Sets the key only if absent; true when this call set it (used as a once-only latch). */
  setOnce(key: string, value: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, value).changes === 1;
  }
}
