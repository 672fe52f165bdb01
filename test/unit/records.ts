// A call's records over one SQLite database, as main.ts builds them on one box.
import type { Db } from '../../controller/storage/database';
import { CallEventsRepo } from '../../controller/storage/call-events-repo';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { CallsRepo } from '../../controller/storage/calls-repo';
import { FollowupsRepo } from '../../controller/storage/followups-repo';
import { NotesRepo } from '../../controller/storage/notes-repo';
import { OutcomesRepo } from '../../controller/storage/outcomes-repo';
import { SqliteCallRecords } from '../../controller/storage/sqlite-call-records';
import { WriteQueue } from '../../controller/storage/write-queue';

export function sqliteRecords(db: Db, writes = new WriteQueue()): SqliteCallRecords {
  return new SqliteCallRecords(writes, {
    calls: new CallsRepo(db),
    events: new CallEventsRepo(db),
    callbacks: new CallbacksRepo(db),
    outcomes: new OutcomesRepo(db),
    followups: new FollowupsRepo(db),
    notes: new NotesRepo(db),
  });
}
