// Benchmark report: the delay between the N-th unanswered ring and the start of the callback
// offer, from the call logs of a database that recorded real calls (by default the one the
// integration tests leave in /tmp/ivr-test-state). Prints p50/p99 and the ratio to the
// threshold itself.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { percentile } from './figure';

const file = process.argv[2] ?? '/tmp/ivr-test-state/ivr.db';
if (!existsSync(file)) {
  console.log(`offer delay: no database at ${file} (run make test-integration first)`);
  process.exit(0);
}
const db = new Database(file, { readonly: true });
const rows = db
  .prepare(
    `SELECT s.at AS started, o.at AS offered, json_extract(s.data, '$.thresholdMs') AS threshold
     FROM call_events s JOIN call_events o ON o.call_id = s.call_id AND o.type = 'offer' AND o.id > s.id
     WHERE s.type = 'ringing_started'`,
  )
  .all() as Array<{ started: string; offered: string; threshold: number }>;
if (rows.length === 0) {
  console.log('offer delay: no unanswered ringing recorded in', file);
  process.exit(0);
}
const delays = rows.map((r) => Date.parse(r.offered) - Date.parse(r.started) - r.threshold).sort((a, b) => a - b);
console.log(
  `offer delay after the N-th ring (${rows.length} calls from ${file}): p50 ${percentile(delays, 50)} ms, p99 ${percentile(delays, 99)} ms (threshold ${rows[0]!.threshold} ms)`,
);
