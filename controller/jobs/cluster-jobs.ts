// The cluster mode's scheduled work on the shared database, run once per cluster: every node
// schedules the job, the first to claim the slot in the shared job_runs runs it, the others
// record that it was done (storage/postgres/job-runs-repo.ts: a dead node's run is taken over).
// The end of a window carries over or expires the directorate's requests on the shared
// database; retention masks the shared records (retention-shared.ts).
import type { Directorate } from '../config/schema';
import { PgCallbacksRepo } from '../storage/postgres/callbacks-repo';
import { inTransaction, type Pg } from '../storage/postgres/connection';
import { PgJobRunsRepo } from '../storage/postgres/job-runs-repo';
import { atClose, closing, type CloseWindowResult } from './close-window';

export interface SharedJobs {
  pool: Pg;
  /** this controller's node */
  node: string;
  now: () => Date;
}

export type ClusterRun<T> = { ranOn: string; result: T } | { ranOn: string; skipped: string };

/** Runs `work` for the job's slot unless another node of the cluster has it (done, or under way). */
export async function oncePerCluster<T>(s: SharedJobs, job: string, slot: Date, work: () => Promise<T>): Promise<ClusterRun<T>> {
  const runs = new PgJobRunsRepo();
  const claim = await runs.claimSlot(s.pool, job, slot, s.node, s.now());
  if (!claim.ok) return { ranOn: claim.by.host, skipped: `slot ${slot.toISOString()} ${claim.by.status === 'ok' ? 'done' : 'under way'} on node ${claim.by.host}` };
  try {
    const result = await work();
    await runs.finish(s.pool, claim.id, 'ok', result, s.now());
    return { ranOn: s.node, result };
  } catch (err) {
    await runs.finish(s.pool, claim.id, 'failed', { error: (err as Error).message }, s.now()).catch(() => undefined);
    throw err;
  }
}

/** The end of a directorate's window on the shared database: the same rule as one box's (close-window.ts), in one transaction. */
export function closeWindowShared(dp: Directorate, pool: Pg, now: Date): Promise<CloseWindowResult> {
  const repo = new PgCallbacksRepo();
  return inTransaction(pool, async (tx) => {
    const c = closing(dp, now);
    const { result } = c;
    if (!c.closed) return result;
    for (const cb of await repo.pendingDueBefore(tx, dp.id, c.horizon)) {
      const d = atClose(dp, c.next, cb);
      if ('expire' in d) {
        if (await repo.expire(tx, cb.id, d.expire, now)) result.expired.push(cb.id);
      } else if (await repo.carryOver(tx, cb.id, d.carryTo, now)) result.carriedOver.push(cb.id);
    }
    return result;
  });
}
