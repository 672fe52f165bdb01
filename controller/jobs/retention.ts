// Retention: caller numbers in records older than the configured number of days are masked
// (jobs.retention.days, default 90), in one transaction. Rows are kept, so the figures of
// past days do not change; only the person behind them is no longer identified.
import type { CallEventsRepo } from '../storage/call-events-repo';
import type { CallbacksRepo } from '../storage/callbacks-repo';
import type { CallsRepo } from '../storage/calls-repo';
import type { Db } from '../storage/database';
import type { NotesRepo } from '../storage/notes-repo';
import type { OutcomesRepo } from '../storage/outcomes-repo';

export interface RetentionResult {
  days: number;
  cutoff: string;
  masked: { calls: number; callEvents: number; callbacks: number; outcomes: number; notes: number };
}

export function maskOldNumbers(
  db: Db,
  repos: { calls: CallsRepo; events: CallEventsRepo; callbacks: CallbacksRepo; outcomes: OutcomesRepo; notes: NotesRepo },
  days: number,
  now: Date,
): RetentionResult {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const masked = db.transaction(() => ({
    calls: repos.calls.maskCallersBefore(cutoff),
    callEvents: repos.events.maskNumbersBefore(cutoff),
    callbacks: repos.callbacks.maskNumbersBefore(cutoff),
    outcomes: repos.outcomes.maskNumbersBefore(cutoff),
    notes: repos.notes.maskNumbersBefore(cutoff),
  }))();
  return { days, cutoff: cutoff.toISOString(), masked };
}
