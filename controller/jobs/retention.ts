// Retention: caller numbers in records older than the configured number of days are masked
// (jobs.retention.days, default 90). Rows are kept, so the figures of past days do not
// change; only the person behind them is no longer identified.
//
// The work is bounded: each table is walked in rowid order (rows are appended as time goes
// on) from a watermark kept in the meta table, the rowid up to which every row is already
// masked, so a nightly run reads one day of rows, not the whole history. It goes in chunks
// of CHUNK rows, each one short transaction that also moves the watermark, and `step` runs
// each chunk: in the controller through its write queue (calls' writes interleave, a busy
// database delays the job instead of failing it), in ivrctl directly, yielding in between.
// A request still waiting to be called back keeps its number and holds its table's
// watermark below it, so it is masked by a later run once it is closed. The SQL is here,
// not in the repositories, because it is one walk applied alike to five tables.
import Database from 'better-sqlite3';
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { maskNumber } from '../numbering/numbering-plan';
import type { Db } from '../storage/database';
import { MetaRepo } from '../storage/meta-repo';

export interface RetentionResult {
  days: number;
  cutoff: string;
  masked: { calls: number; callEvents: number; callbacks: number; outcomes: number; notes: number; audit: number; followups: number };
}

/** Runs one chunk (a write) and resolves with its result; the default runs it in a transaction, then yields. */
export type RetentionStep = <T>(what: string, write: () => T) => Promise<T>;

export const CHUNK = 500;

export interface TableWalk {
  key: keyof RetentionResult['masked'];
  table: string;
  /** the column that dates the row */
  at: string;
  /** the columns that may identify the person */
  columns: string[];
  /** those values with the person no longer identified (the same values when nothing is left to mask) */
  mask(values: Array<string | null>): Array<string | null>;
  /** rows that must keep their number for now (a request still to be called back) */
  live?: string;
}

const maskOrNull = (v: string | null): string | null => (v === null ? null : maskNumber(v));

/**
 * An event's JSON data: the numbers it holds (a booked or typed number), and the digits typed
 * while entering a number (each key is its own event: together they spell the number).
 */
export function maskEventData(value: string | null): string | null {
  if (value === null) return null;
  const data = JSON.parse(value) as Record<string, unknown>;
  let changed = false;
  for (const k of ['number', 'digits']) {
    if (typeof data[k] === 'string') {
      const m = maskNumber(data[k]);
      if (m !== data[k]) {
        data[k] = m;
        changed = true;
      }
    }
  }
  if (data.phase === 'typing' && typeof data.digit === 'string' && /^[0-9]$/.test(data.digit)) {
    data.digit = '*';
    changed = true;
  }
  return changed ? JSON.stringify(data) : value;
}

export const WALKS: TableWalk[] = [
  { key: 'calls', table: 'calls', at: 'started_at', columns: ['caller'], mask: ([c]) => [maskOrNull(c!)] },
  { key: 'callEvents', table: 'call_events', at: 'at', columns: ['data'], mask: ([d]) => [maskEventData(d!)] },
  { key: 'callbacks', table: 'callbacks', at: 'requested_at', columns: ['number'], mask: ([n]) => [maskOrNull(n!)], live: "status IN ('pending', 'dialing')" },
  // an official's words about the intervention go like a note's text; the code stays
  { key: 'outcomes', table: 'outcomes', at: 'at', columns: ['number', 'detail'], mask: ([n, d]) => [maskOrNull(n!), d ? '' : d!] },
  // a note's free text may say anything about the caller: it goes, its topic (info) stays
  { key: 'notes', table: 'notes', at: 'at', columns: ['number', 'text'], mask: ([n, text]) => [maskOrNull(n!), text ? '' : text!] },
  // a case still open keeps its number (somebody is to act on it); a closed one's outcome goes like a note's text
  { key: 'followups', table: 'followups', at: 'opened_at', columns: ['number', 'outcome'], mask: ([n, o]) => [maskOrNull(n!), o ? '' : o!], live: "status = 'open'" },
  // who looked at whose profile: the looking stays on record, whose it was does not
  { key: 'audit', table: 'audit_log', at: 'at', columns: ['subject'], mask: ([n]) => [maskOrNull(n!)] },
];

interface Cursor {
  /** the last rowid looked at in this run */
  from: number;
  /** a row keeping its number was met in this run: the watermark stays below it */
  held: boolean;
}

/**
 * One chunk of one table after the cursor: masks what is due and moves the watermark while no
 * row is held. Pure with respect to the cursor (a new one is returned): a chunk whose
 * transaction is rolled back and retried starts again from the same place.
 */
function walkChunk(db: Db, meta: MetaRepo, w: TableWalk, cutoffIso: string, cursor: Cursor): { changed: number; done: boolean; cursor: Cursor } {
  const key = `retention_watermark:${w.table}`;
  const rows = db
    .prepare(`SELECT rowid AS id, ${w.at} AS at, ${w.columns.join(', ')}${w.live ? `, (${w.live}) AS live` : ''} FROM ${w.table} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .all(cursor.from, CHUNK) as Array<Record<string, string | null> & { id: number; at: string; live?: number }>;
  const update = db.prepare(`UPDATE ${w.table} SET ${w.columns.map((c) => `${c} = ?`).join(', ')} WHERE rowid = ?`);
  const next: Cursor = { ...cursor };
  let changed = 0;
  let mark: number | undefined;
  let done = rows.length < CHUNK;
  for (const r of rows) {
    if (r.at >= cutoffIso) {
      done = true;
      break;
    }
    if (r.live) next.held = true;
    else {
      const values = w.columns.map((c) => r[c] as string | null);
      const m = w.mask(values);
      if (m.some((v, i) => v !== values[i])) changed += update.run(...m, r.id).changes;
    }
    next.from = r.id;
    if (!next.held) mark = r.id;
  }
  if (mark !== undefined) meta.set(key, String(mark));
  return { changed, done, cursor: next };
}

const directStep =
  (db: Db): RetentionStep =>
  async <T>(_what: string, write: () => T): Promise<T> =>
    db.transaction(write).immediate();

/** a turn of the event loop between two chunks: calls' events and timers go first */
const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function maskOldNumbers(db: Db, days: number, now: Date, step: RetentionStep = directStep(db)): Promise<RetentionResult> {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const cutoffIso = cutoff.toISOString();
  const meta = new MetaRepo(db);
  const result: RetentionResult['masked'] = { calls: 0, callEvents: 0, callbacks: 0, outcomes: 0, notes: 0, audit: 0, followups: 0 };
  for (const w of WALKS) {
    let cursor: Cursor = { from: Number(meta.get(`retention_watermark:${w.table}`) ?? 0), held: false };
    for (;;) {
      const r = await step(`retention:${w.table}`, () => walkChunk(db, meta, w, cutoffIso, cursor));
      result[w.key] += r.changed;
      cursor = r.cursor;
      if (r.done) break;
      await yieldTurn();
    }
  }
  return { days, cutoff: cutoffIso, masked: result };
}

/**
 * The backups hold the same records as they were when copied: each is masked like the
 * database (its own watermarks came with it), in place, with secure_delete so that the
 * old values do not stay in its free space. Returns what each file had masked.
 */
export async function maskBackupFiles(dir: string, prefix: string, days: number, now: Date): Promise<Array<{ file: string; masked: RetentionResult['masked'] }>> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.db'))
      .sort();
  } catch {
    return [];
  }
  const out: Array<{ file: string; masked: RetentionResult['masked'] }> = [];
  for (const f of files) {
    const file = path.join(dir, f);
    // a backup is a single file in rollback-journal mode: opened as it is, not turned to WAL
    const db = new Database(file);
    try {
      db.pragma('busy_timeout = 15000');
      db.pragma('secure_delete = ON');
      const r = await maskOldNumbers(db, days, now);
      out.push({ file, masked: r.masked });
    } finally {
      db.close();
    }
  }
  return out;
}

/**
 * Log files not written for `days` (rotated copies: the logs are rotated daily and by size)
 * are deleted, under the log folder and one level below it (Asterisk's). Returns their names.
 */
export function removeOldLogs(logDir: string, days: number, now: Date): string[] {
  const cutoff = now.getTime() - days * 86_400_000;
  const removed: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (depth > 0) walk(p, depth - 1);
      } else if (st.mtimeMs < cutoff) {
        rmSync(p, { force: true });
        removed.push(path.relative(logDir, p));
      }
    }
  };
  walk(logDir, 1);
  return removed;
}
