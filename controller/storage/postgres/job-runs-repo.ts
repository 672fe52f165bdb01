// SQL for job_runs on PostgreSQL (the cluster mode): a scheduled job's slot is run by one node
// of the cluster. The claim is one transaction under the job's advisory lock: the slot is
// taken when a run of it ended well or is under way on a node whose lease runs; a run left
// 'running' by a dead node is closed as interrupted and the slot taken again.
import type { JobRunRow } from '../job-runs-repo';
import { inTransaction, type Pg } from './connection';

const SELECT = `SELECT id, job, trigger, slot, host, pid, started_at AS "startedAt", ended_at AS "endedAt", status, detail FROM job_runs`;

export type SlotClaim = { ok: true; id: number } | { ok: false; by: JobRunRow };

export class PgJobRunsRepo {
  /** The slot of a scheduled job for `node`, or the run that has it (`host` is the node's id). */
  claimSlot(pool: Pg, job: string, slot: Date, node: string, at: Date): Promise<SlotClaim> {
    return inTransaction(pool, async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('job:' || $1, 0))", [job]);
      const running = (await tx.query<JobRunRow>(`${SELECT} WHERE job = $1 AND status = 'running'`, [job])).rows[0];
      if (running) {
        const alive = await tx.query('SELECT 1 FROM node_leases WHERE node = $1 AND expires_at > $2', [running.host, at.toISOString()]);
        if (alive.rowCount) return { ok: false, by: running };
        await tx.query("UPDATE job_runs SET status = 'interrupted', ended_at = $1, detail = $2 WHERE id = $3", [
          at.toISOString(),
          JSON.stringify({ error: `node ${running.host} ended during the run` }),
          running.id,
        ]);
      }
      const done = (await tx.query<JobRunRow>(`${SELECT} WHERE job = $1 AND slot = $2 AND trigger = 'schedule' AND status = 'ok' LIMIT 1`, [job, slot.toISOString()])).rows[0];
      if (done) return { ok: false, by: done };
      const r = await tx.query<{ id: number }>(
        "INSERT INTO job_runs (job, trigger, slot, host, pid, started_at, status) VALUES ($1, 'schedule', $2, $3, $4, $5, 'running') RETURNING id",
        [job, slot.toISOString(), node, process.pid, at.toISOString()],
      );
      return { ok: true, id: r.rows[0]!.id };
    });
  }

  async finish(pool: Pg, id: number, status: 'ok' | 'failed', detail: unknown, at: Date): Promise<void> {
    await pool.query("UPDATE job_runs SET status = $1, ended_at = $2, detail = $3 WHERE id = $4 AND status = 'running'", [status, at.toISOString(), JSON.stringify(detail), id]);
  }
}
