// A dispatcher as the unit tests drive it: over FakePbx and a real database (its operators and
// outcomes in `db`, its callback queue in `ledger`: SQLite's or the shared PostgreSQL's), nobody
// else ringing, nobody on the line, every other write through a plain queue.
import pino from 'pino';
import { Dispatcher } from '../../controller/callbacks/dispatcher';
import type { CallbackQueue } from '../../controller/callbacks/queue';
import type { Config } from '../../controller/config/schema';
import { Presence } from '../../controller/operators/presence';
import type { Db } from '../../controller/storage/database';
import { OperatorsRepo } from '../../controller/storage/operators-repo';
import { FakePbx } from './fake-pbx';
import { sqliteRecords } from './records';

/** o.node: a cluster's node (its lease, its directorates); o.now: the dispatcher's clock */
export function fakeDispatcher(config: Config, db: Db, ledger: CallbackQueue, pbx = new FakePbx(), o: { node?: string; now?: () => Date } = {}): Dispatcher {
  const log = pino({ level: 'silent' });
  const presence = new Presence(new OperatorsRepo(db), pbx);
  return new Dispatcher(
    config,
    pbx,
    presence,
    { ringing: () => 0, numbersOnLine: () => new Set() },
    {
      port: pbx,
      tracker: pbx,
      presence,
      records: sqliteRecords(db),
      log,
      now: o.now ?? (() => new Date()),
      ledger,
      ...(o.node ? { node: o.node } : {}),
    },
    log,
    () => true,
  );
}
