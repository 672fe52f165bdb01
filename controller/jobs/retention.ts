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
import { maskNumber } from '../callbacks/numbering-plan';
import type { Db } from '../storage/database';
import { MetaRepo } from '../storage/meta-repo';

export interface RetentionResult {
  days: number;
  cutoff: string;
  masked: { calls: number; callEvents: number; callbacks: number; outcomes: number; notes: number };
}

/** Runs one chunk (a write) and resolves with its result; the default runs it in a transaction, then yields. */
export type RetentionStep = <T>(what: string, write: () => T) => Promise<T>;

export const CHUNK = 500;

interface TableWalk {
  key: keyof RetentionResult['masked'];
  table: string;
  /** the column that dates the row */
  at: string;
  /** the column holding the number, or the JSON column whose fields hold numbers */
  column: string;
  json?: boolean;
  /** rows that must keep their number for now (a request still to be called back) */
  live?: string;
}

const WALKS: TableWalk[] = [
  { key: 'calls', table: 'calls', at: 'started_at', column: 'caller' },
  { key: 'callEvents', table: 'call_events', at: 'at', column: 'data', json: true },
  { key: 'callbacks', table: 'callbacks', at: 'requested_at', column: 'number', live: "status IN ('pending', 'dialing')" },
  { key: 'outcomes', table: 'outcomes', at: 'at', column: 'number' },
  { key: 'notes', table: 'notes', at: 'at', column: 'number' },
];

/** the number-bearing fields of an event's JSON data */
const EVENT_FIELDS = ['number', 'digits'];

function masked(value: string | null, json: boolean): string | null {
  if (value === null) return null;
  if (!json) return maskNumber(value);
  const data = JSON.parse(value) as Record<string, unknown>;
  let changed = false;
  for (const k of EVENT_FIELDS) {
    if (typeof data[k] === 'string') {
      const m = maskNumber(data[k]);
      if (m !== data[k]) (data[k] = m), (changed = true);
    }
  }
  return changed ? JSON.stringify(data) : value;
}

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
    .prepare(`SELECT rowid AS id, ${w.at} AS at, ${w.column} AS v${w.live ? `, (${w.live}) AS live` : ''} FROM ${w.table} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .all(cursor.from, CHUNK) as Array<{ id: number; at: string; v: string | null; live?: number }>;
  const update = db.prepare(`UPDATE ${w.table} SET ${w.column} = ? WHERE rowid = ?`);
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
      const m = masked(r.v, !!w.json);
      if (m !== r.v) changed += update.run(m, r.id).changes;
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
  const result: RetentionResult['masked'] = { calls: 0, callEvents: 0, callbacks: 0, outcomes: 0, notes: 0 };
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
