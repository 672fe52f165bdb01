// Fault injection: the controller killed (SIGKILL, no clean-up of any kind) while it writes
// to the database. Proves the non-negotiable "a confirmed booking is never lost, even if the
// controller is killed at any moment", and that such a kill never corrupts the database.
//
// Each round starts booking-writer.js, which makes the controller's writes for one inbound
// call after another (calls row, events, the booking transaction, the call-to-booking link)
// with the WAL checkpoint worker running every 50 ms, and prints a line for each booking at
// the point where the caller would hear it confirmed. Once it has printed a few lines, the
// round waits a random 5-300 ms and kills it, so the kill lands anywhere: inside the booking
// transaction, between statements, during a checkpoint. Then the database is opened as the
// controller opens it at start (WAL recovery included) and checked:
//   - PRAGMA integrity_check is 'ok' and PRAGMA foreign_key_check finds nothing;
//   - every booking printed so far, in any round, is there with its number, still pending,
//     and its call record points to it;
//   - no number has two pending requests;
//   - a kill leaves at most one booking committed but never confirmed (the one between its
//     commit and its line), so the writer cannot be skipping lines unnoticed.
// A writer that confirmed before committing (or a commit that did not survive the kill)
// shows up as a printed id missing after the round.
//
// What it does not prove: durability across a power cut or an OS crash (no machine dies
// here). For that the booking commits with synchronous=FULL (storage/database.ts durable():
// the WAL fsynced at the commit); the other writes run with NORMAL, safe from the process
// dying, which is what is tested here.
//
// FAULT_SEED=<n> repeats the same sequence of kill delays (where exactly a kill lands also
// depends on scheduling, so a failure may take a few runs to reproduce). FAULT_ROUNDS=<n>
// changes the number of rounds (25).
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrationsDir } from '../../controller/environment';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { CALL_ID_PREFIX, indexOf, ROOT } from './booking-writer';

const WRITER = path.join(__dirname, 'booking-writer.js');
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 25);
const SEED = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : randomInt(2 ** 31);
/** lines to wait for before the kill timer starts: the writer is past its start-up */
const LINES_BEFORE_KILL = 3;
const KILL_DELAY_MS = { min: 5, max: 300 };
/** a writer that prints nothing for this long is stuck, not slow */
const STUCK_MS = 15_000;

// a run takes about 20 s: too close to tap's default per-file limit (30 s) on a busy machine
t.setTimeout(90_000);

/** mulberry32: a small seeded generator, so a run's kill delays can be replayed */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Ack {
  id: number;
  number: string;
  callId: string;
}

interface Round {
  acks: Ack[];
  /** complete lines that are not "<id> <number> <call id>" */
  garbled: string[];
  /** the writer died of our SIGKILL (and not of something else first) */
  killedByUs: boolean;
  exit: string;
  stderr: string;
}

/** Runs the writer until LINES_BEFORE_KILL lines are out, then `delayMs` more, then SIGKILL. */
function runWriter(dbFile: string, startIndex: number, delayMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dbFile, String(startIndex)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let lines = 0;
    let killTimer: NodeJS.Timeout | undefined;
    let killedBy: 'delay' | 'stuck' | undefined;
    const kill = (by: 'delay' | 'stuck') => (): void => {
      if (!killedBy && child.kill('SIGKILL')) killedBy = by;
    };
    const stuck = setTimeout(kill('stuck'), STUCK_MS);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (killTimer) return;
      for (const c of chunk) if (c === '\n') lines++;
      if (lines >= LINES_BEFORE_KILL) killTimer = setTimeout(kill('delay'), delayMs);
    });
    child.stderr.on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    // 'close': the process is gone and its pipes are drained, so `out` is all it wrote
    child.on('close', (code, signal) => {
      clearTimeout(stuck);
      clearTimeout(killTimer);
      const complete = out.split('\n').slice(0, -1); // after the last newline: cut by the kill
      const acks: Ack[] = [];
      const garbled: string[] = [];
      for (const line of complete) {
        const m = /^(\d+) (3\d{9}) (\S+)$/.exec(line);
        if (m) acks.push({ id: Number(m[1]), number: m[2]!, callId: m[3]! });
        else garbled.push(line);
      }
      resolve({
        acks,
        garbled,
        killedByUs: killedBy === 'delay' && signal === 'SIGKILL',
        exit: `${signal ?? `code ${code}`}${killedBy === 'stuck' ? ' (stuck: killed)' : ''}`,
        stderr: err,
      });
    });
  });
}

t.test('SIGKILL during database writes loses no confirmed booking and corrupts nothing', async (t) => {
  t.comment(`seed ${SEED} (FAULT_SEED=${SEED} replays these kill delays), ${ROUNDS} rounds`);
  const random = seededRandom(SEED);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-db-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dbFile = path.join(dir, 'ivr.db');
  const migrations = readMigrations(migrationsDir(ROOT));

  const confirmed = new Map<number, Ack>(); // every booking printed, all rounds
  let nextIndex = 0;
  const startedAt = Date.now();

  for (let round = 1; round <= ROUNDS; round++) {
    const delayMs = KILL_DELAY_MS.min + Math.floor(random() * (KILL_DELAY_MS.max - KILL_DELAY_MS.min + 1));
    const r = await runWriter(dbFile, nextIndex, delayMs);
    const label = `round ${round} (start ${nextIndex}, kill ${delayMs} ms after line ${LINES_BEFORE_KILL})`;
    if (!r.killedByUs || r.garbled.length > 0 || r.stderr !== '') {
      t.fail(`${label}: the writer misbehaved`, { exit: r.exit, garbled: r.garbled.slice(0, 5), stderr: r.stderr });
      break;
    }
    t.ok(r.acks.length >= LINES_BEFORE_KILL, `${label}: ${r.acks.length} bookings confirmed before the kill`);
    const duplicated = r.acks.filter((a) => confirmed.has(a.id));
    t.same(duplicated, [], `${label}: no booking id confirmed twice`);
    for (const a of r.acks) confirmed.set(a.id, a);

    // the controller restarting: open (WAL recovery happens here), migrate, read
    const db = openDatabase(dbFile);
    const lost: Array<Ack & { found: unknown }> = [];
    try {
      t.same(migrate(db, migrations), [], `${label}: the schema is complete, nothing to migrate`);
      t.same(db.pragma('integrity_check', { simple: true }), 'ok', `${label}: integrity_check`);
      t.same(db.pragma('foreign_key_check'), [], `${label}: foreign_key_check`);
      t.equal(db.pragma('journal_mode', { simple: true }), 'wal', `${label}: still in WAL mode`);

      const rows = new Map(
        (
          db.prepare('SELECT c.id, c.number, c.status, k.callback_id AS linked FROM callbacks c LEFT JOIN calls k ON k.id = c.call_id').all() as Array<{
            id: number;
            number: string;
            status: string;
            linked: number | null;
          }>
        ).map((x) => [x.id, x]),
      );
      for (const a of confirmed.values()) {
        const row = rows.get(a.id);
        if (!row || row.number !== a.number || row.status !== 'pending' || row.linked !== a.id) lost.push({ ...a, found: row ?? null });
      }
      t.same(lost.slice(0, 10), [], `${label}: all ${confirmed.size} confirmed bookings so far are there, pending, linked to their call (${lost.length} not)`);
      const twice = db.prepare("SELECT number, COUNT(*) AS n FROM callbacks WHERE status = 'pending' GROUP BY number HAVING n > 1").all();
      t.same(twice, [], `${label}: no number pending twice`);
      const unconfirmed = rows.size - [...confirmed.keys()].filter((id) => rows.has(id)).length;
      t.ok(unconfirmed <= round, `${label}: ${unconfirmed} committed but unconfirmed bookings, at most one per kill`);

      // the next writer books numbers and call ids never used before
      const booked = db.prepare('SELECT MAX(CAST(number AS INTEGER)) AS n FROM callbacks').get() as { n: number | null };
      const called = db.prepare(`SELECT MAX(CAST(SUBSTR(id, ${CALL_ID_PREFIX.length + 1}) AS INTEGER)) AS n FROM calls`).get() as { n: number | null };
      nextIndex = Math.max(nextIndex, booked.n === null ? 0 : indexOf(String(booked.n)) + 1, called.n === null ? 0 : called.n + 1);
    } finally {
      db.close();
    }
    if (lost.length > 0) break;
  }

  const db = openDatabase(dbFile, { readonly: true });
  const ids = [...confirmed.keys()];
  let found = 0;
  const get = db.prepare("SELECT 1 FROM callbacks WHERE id = ? AND number = ? AND status = 'pending'");
  for (const id of ids) if (get.get(id, confirmed.get(id)!.number)) found++;
  const total = (db.prepare('SELECT COUNT(*) AS n FROM callbacks').get() as { n: number }).n;
  db.close();
  t.ok(confirmed.size > 0, `${confirmed.size} bookings confirmed over ${ROUNDS} rounds`);
  t.equal(found, confirmed.size, 'every confirmed booking found at the end');
  t.comment(`${confirmed.size} confirmed, ${total} in the database, ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
});
