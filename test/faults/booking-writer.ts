// Child process of db-kill.test.ts: a stand-in for the controller's database traffic during
// inbound calls, meant to be killed with SIGKILL at an arbitrary instant.
//
//   node dist/test/faults/booking-writer.js <dbfile> <startIndex>
//
// It opens and migrates the database as the controller does at start (controller/setup.ts),
// runs the WAL checkpoint worker with a short period (the controller's is 5 s) so that kills
// also land during checkpoints, then plays one inbound call after another, as fast as it can,
// with the writes the controller makes for a call that books a callback (inbound-service.ts,
// inbound-call.ts): the calls row, call events, the booking itself (CallbacksRepo.book, one
// IMMEDIATE transaction), the link from the call to the booking, the end of the call.
//
// Once the booking is committed and the call linked to it - the point where the controller
// plays "your request is registered" to the caller - it writes one line to stdout:
//   <callback id> <number> <call id>
// with a synchronous write(2), so the line is in the pipe before the next statement runs.
// Anything printed is therefore a booking the caller was told about.
import { writeSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../controller/config/load';
import { checkCallbackNumber } from '../../controller/numbering/numbering-plan';
import { migrationsDir } from '../../controller/environment';
import { currentOrNextWindow, localTime, zonedInstant } from '../../controller/schedule/service-hours';
import { CallEventsRepo } from '../../controller/storage/call-events-repo';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { CallsRepo } from '../../controller/storage/calls-repo';
import { startCheckpointer } from '../../controller/storage/checkpointer';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';

/** the repository root, from dist/test/faults */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** the shipped configuration; its 24/7 directorate takes the bookings */
export const CONFIG_FILE = path.join(ROOT, 'config', 'demo.yaml');
export const DIRECTORATE = 'demo-st';
export const CHECKPOINT_EVERY_MS = 50;

/** Booking number `index` books from this mobile number: distinct for distinct indexes. */
const NUMBER_BASE = 3_200_000_000;
export const numberOf = (index: number): string => String(NUMBER_BASE + index);
export const indexOf = (number: string): number => Number(number) - NUMBER_BASE;
export const CALL_ID_PREFIX = 'kill-test-';
export const callIdOf = (index: number): string => `${CALL_ID_PREFIX}${index}`;

function main(): void {
  const [file, startArg] = process.argv.slice(2);
  const start = Number(startArg);
  if (!file || !Number.isSafeInteger(start) || start < 0) {
    writeSync(2, 'usage: booking-writer <dbfile> <startIndex>\n');
    process.exit(2);
  }
  const config = loadConfig(CONFIG_FILE);
  const dp = config.directorates.find((d) => d.id === DIRECTORATE);
  if (!dp) throw new Error(`${CONFIG_FILE}: no directorate ${DIRECTORATE}`);
  const tz = dp.hours.timezone;

  const db = openDatabase(file);
  migrate(db, readMigrations(migrationsDir(ROOT)));
  startCheckpointer(db, file, CHECKPOINT_EVERY_MS, (message) => writeSync(2, `checkpoint failed: ${message}\n`));
  const calls = new CallsRepo(db);
  const events = new CallEventsRepo(db);
  const callbacks = new CallbacksRepo(db);

  // A virtual clock, one step per booking, so that the directorate's daily capacity (from the
  // config) is never what refuses a booking however many a run makes: no local day (25 hours
  // at most) holds more than dailyCapacity steps. Monotonic in the index, so across runs too.
  const stepMs = Math.ceil((25 * 3_600_000) / dp.callback.dailyCapacity) + 1000;
  const epoch = Date.parse('2026-01-05T08:00:00Z');
  const clock = (index: number, k: number): Date => new Date(epoch + index * stepMs + k);

  const oneCall = (index: number): void => {
    const number = numberOf(index);
    if (!checkCallbackNumber(number).ok) throw new Error(`${number} is not a number a callback may be booked for`);
    const callId = callIdOf(index);
    const at = clock(index, 0);
    calls.start({ id: callId, dp: dp.id, caller: number, dialed: dp.numbers[0]!, at });
    calls.answered(callId, at);
    events.add(callId, at, 'dtmf', { digit: '1', phase: 'offer' });
    const window = currentOrNextWindow(dp.hours, at);
    if (!window) throw new Error(`${dp.id} has no service window`);
    const r = callbacks.book({
      dp: dp.id,
      number,
      language: 'it',
      callId,
      menuPath: '1,offer:1',
      ringCount: dp.ringsBeforeCallback,
      at,
      dueAt: window.start,
      expiresAt: new Date(at.getTime() + dp.callback.validityDays * 86_400_000),
      dayStart: zonedInstant(localTime(at, tz), 0, 0, tz),
      maxPerNumberPerDay: dp.callback.maxPerNumberPerDay,
      dailyCapacity: dp.callback.dailyCapacity,
    });
    if (!r.ok) throw new Error(`booking ${index} (${number}) refused: ${r.reason}`);
    calls.update(callId, { callbackId: r.id });
    // the caller hears the confirmation now
    writeSync(1, `${r.id} ${number} ${callId}\n`);
    const end = clock(index, 1);
    events.add(callId, end, 'ended', { reason: 'completed', cause: 16 });
    calls.end(callId, end, 'completed', 16);
  };

  // Calls in short bursts, yielding to the event loop in between as the controller does
  // (checkpoint errors are reported through it).
  let index = start;
  const burst = (): void => {
    for (let k = 0; k < 20; k++) oneCall(index++);
    setImmediate(burst);
  };
  burst();
}

if (require.main === module) main();
