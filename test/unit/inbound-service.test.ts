// The inbound service's start of a call against the scripted PBX and a real SQLite file: the
// caller's live request is read before the flow starts (a round trip to the shared database in
// a cluster), and a hang-up meanwhile is not lost: it ends the call. A lookup that fails or does not answer lets the call go on without it.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { configSchema } from '../../controller/config/schema';
import { InboundService, PENDING_LOOKUP_MS } from '../../controller/inbound/inbound-service';
import { Presence } from '../../controller/operators/presence';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { OperatorsRepo } from '../../controller/storage/operators-repo';
import { FakePbx, settle } from './fake-pbx';
import { sqliteRecords } from './records';
import { bookingRequest } from '../fixtures/booking-request';

const root = path.resolve(__dirname, '..', '..', '..');
const config = configSchema.parse({
  directorates: [
    {
      id: 'bz',
      name: 'Bolzano',
      numbers: ['0471000001'],
      case: 'staff',
      ringsBeforeCallback: 2,
      languages: ['it'],
      hours: { weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, ['00:00-24:00']])), nationalHolidays: false },
    },
  ],
});

const CALLER = '0612345678';

/** o.lookup: what the read of the caller's live request does instead of answering at once */
function service(o: { lookup?: 'gated' | 'fails' | 'silent'; pending?: boolean } = {}) {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-inbound-service-')), 'a.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const pbx = new FakePbx();
  const records = sqliteRecords(db);
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const read = records.pendingBooking.bind(records);
  if (o.lookup === 'gated') records.pendingBooking = async (dp, n) => (await gate, read(dp, n));
  if (o.lookup === 'fails') records.pendingBooking = () => Promise.reject(new Error('connection terminated'));
  if (o.lookup === 'silent') records.pendingBooking = () => new Promise(() => undefined);
  const live = o.pending ? new CallbacksRepo(db).book(bookingRequest(new Date(), { dp: 'bz', number: CALLER })) : undefined;
  const inbound = new InboundService(config, {
    port: pbx,
    tracker: pbx,
    records,
    presence: new Presence(new OperatorsRepo(db), pbx),
    log: pino({ level: 'silent' }),
    now: () => new Date(),
  });
  inbound.handleStasisStart({ id: 'ch-1', name: 'PJSIP/trunk-1', callerNumber: CALLER, dialed: '0471000001', state: 'Ring', args: ['inbound', 'bz'] });
  const call = (): { end_reason: string | null } | undefined => db.prepare('SELECT end_reason FROM calls WHERE id = ?').get('ch-1') as { end_reason: string | null } | undefined;
  const events = (): string[] => db.prepare('SELECT type FROM call_events WHERE call_id = ? ORDER BY id').pluck().all('ch-1') as string[];
  return { pbx, inbound, open, call, events, live };
}

t.test('a live request read before the flow: the welcome, then its own menu', async (t) => {
  const s = service({ pending: true });
  t.ok(s.live?.ok, 'the caller has a live request');
  await settle();
  t.equal(s.inbound.activeCount, 1, 'the call runs');
  t.match(s.pbx.ops, [/^play ch-1 bz-welcome$/], 'the welcome');
  s.pbx.finish('ch-1');
  await settle();
  t.match(s.pbx.ops.at(-1), /pending-request/, 'then the menu of the live request (keep or cancel)');
});

t.test('a caller who hangs up while the live request is read: the call ends, nothing is left', async (t) => {
  const s = service({ lookup: 'gated', pending: true });
  await settle();
  s.pbx.gone('ch-1', 16);
  s.open();
  await settle();
  t.equal(s.inbound.activeCount, 0, 'no call left running');
  t.equal(s.call()?.end_reason, 'caller_hangup', 'the call row is closed as a caller hang-up');
  t.notOk(s.pbx.isTracked('ch-1'), 'nothing listens to the channel any more');
});

t.test('a read that fails or does not answer: the call goes on without it', async (t) => {
  const failed = service({ lookup: 'fails' });
  await settle();
  t.equal(failed.inbound.activeCount, 1, 'a failed read: the call runs');
  t.match(failed.pbx.ops, [/^play ch-1 bz-welcome$/], 'with its welcome');
  const silent = service({ lookup: 'silent' });
  const t0 = Date.now();
  await t.resolves(
    new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (silent.inbound.activeCount === 1) resolve(void clearInterval(check));
      }, 20);
    }),
  );
  const waited = Date.now() - t0;
  t.ok(waited >= PENDING_LOOKUP_MS - 50 && waited < PENDING_LOOKUP_MS + 1000, `a read with no answer: the call runs after ${waited} ms (bound ${PENDING_LOOKUP_MS} ms)`);
  t.match(silent.pbx.ops, [/^play ch-1 bz-welcome$/], 'with its welcome');
});
