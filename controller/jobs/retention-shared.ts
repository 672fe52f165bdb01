// Retention on the cluster's shared PostgreSQL: the same masks as one box's (retention.ts:
// the same tables, columns and rules), found another way. PostgreSQL has no rowid to walk
// and keep a watermark on, so each table says in SQL which of its rows still identify the
// person (a number with no '*', a text not yet emptied, an event's data holding digits): rows
// older than the cutoff that match are masked in chunks, each one short transaction, until
// none is left. A masked row no longer matches, so a run reads only what it masks (and a
// request still to be called back, or a follow-up still open, is left for a later run).
import { inTransaction, type Pg } from '../storage/postgres/connection';
import { CHUNK, WALKS, type RetentionResult } from './retention';

const UNMASKED = (c: string): string => `(${c} IS NOT NULL AND ${c} <> '' AND strpos(${c}, '*') = 0)`;
const FILLED = (c: string): string => `(${c} IS NOT NULL AND ${c} <> '')`;
const ID = 'ctid';

/** Per table: the rows that still say something of the person. */
const STILL: Record<string, string> = {
  calls: UNMASKED('caller'),
  call_events: `(${UNMASKED("data->>'number'")} OR ${UNMASKED("data->>'digits'")} OR (data->>'phase' = 'typing' AND data->>'digit' ~ '^[0-9]$'))`,
  callbacks: UNMASKED('number'),
  outcomes: `(${UNMASKED('number')} OR ${FILLED('detail')})`,
  notes: `(${UNMASKED('number')} OR ${FILLED('text')})`,
  followups: `(${UNMASKED('number')} OR ${FILLED('outcome')})`,
  audit_log: UNMASKED('subject'),
};

/** Masks what is older than `days` in the shared database; the counts per table, as on one box. */
export async function maskOldNumbersShared(pool: Pg, days: number, now: Date): Promise<RetentionResult> {
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const masked: RetentionResult['masked'] = { calls: 0, callEvents: 0, callbacks: 0, outcomes: 0, notes: 0, audit: 0, followups: 0 };
  for (const w of WALKS) {
    const still = STILL[w.table];
    if (!still) throw new Error(`retention: no rule for ${w.table} on PostgreSQL`);
    // jsonb goes to the mask as the text one box stores, and comes back as jsonb
    const cols = w.columns.map((c) => (w.table === 'call_events' && c === 'data' ? 'data::text AS data' : c));
    for (;;) {
      const changed = await inTransaction(pool, async (tx) => {
        const rows = (
          await tx.query<Record<string, string | null> & { rid: string }>(
            `SELECT ${ID}::text AS rid, ${cols.join(', ')} FROM ${w.table} WHERE ${w.at} < $1 AND ${still}${w.live ? ` AND NOT (${w.live})` : ''} LIMIT ${CHUNK} FOR UPDATE`,
            [cutoff],
          )
        ).rows;
        let n = 0;
        for (const r of rows) {
          const values = w.columns.map((c) => r[c] ?? null);
          const m = w.mask(values);
          if (m.every((v, i) => v === values[i])) continue;
          await tx.query(`UPDATE ${w.table} SET ${w.columns.map((c, i) => `${c} = $${i + 1}`).join(', ')} WHERE ${ID} = $${w.columns.length + 1}::tid`, [...m, r.rid]);
          n++;
        }
        return { rows: rows.length, n };
      });
      masked[w.key] += changed.n;
      // a chunk that masked nothing it found would find the same rows again: the rule and the mask disagree
      if (changed.rows < CHUNK || changed.n === 0) break;
    }
  }
  return { days, cutoff, masked };
}
