// SQL for the job_runs table: one row per run of a scheduled job. A row 'running' is the
// job's lock (partial unique index); it is taken and checked in one IMMEDIATE transaction.
import type { Db } from './database';

export type JobTrigger = 'schedule' | 'manual';
export type JobRunStatus = 'running' | 'ok' | 'failed' | 'interrupted';

export interface JobRunRow {
  id: number;
  job: string;
  trigger: JobTrigger;
  slot: string;
  host: string;
  pid: number;
  startedAt: string;
  endedAt: string | null;
  status: JobRunStatus;
  detail: string | null;
}

const SELECT = `SELECT id, job, trigger, slot, host, pid, started_at AS startedAt, ended_at AS endedAt, status, detail FROM job_runs`;

export type BeginResult = { ok: true; id: number; interrupted: JobRunRow[] } | { ok: false; running: JobRunRow };

export class JobRunsRepo {
  constructor(private readonly db: Db) {}

  /**
   * Takes the job's lock and records the run. A 'running' row left by a process that is gone
   * (killed mid-run) is closed as 'interrupted' first; one whose process lives refuses.
   */
  begin(run: { job: string; trigger: JobTrigger; slot: Date; host: string; pid: number; at: Date }, alive: (row: JobRunRow) => boolean): BeginResult {
    return this.db
      .transaction((): BeginResult => {
        const interrupted: JobRunRow[] = [];
        const running = this.db.prepare(`${SELECT} WHERE job = ? AND status = 'running'`).get(run.job) as JobRunRow | undefined;
        if (running) {
          if (alive(running)) return { ok: false, running };
          this.db
            .prepare("UPDATE job_runs SET status = 'interrupted', ended_at = ?, detail = ? WHERE id = ? AND status = 'running'")
            .run(run.at.toISOString(), JSON.stringify({ error: `process ${running.pid} on ${running.host} ended during the run` }), running.id);
          interrupted.push(running);
        }
        const { id } = this.db
          .prepare("INSERT INTO job_runs (job, trigger, slot, host, pid, started_at, status) VALUES (?, ?, ?, ?, ?, ?, 'running') RETURNING id")
          .get(run.job, run.trigger, run.slot.toISOString(), run.host, run.pid, run.at.toISOString()) as { id: number };
        return { ok: true, id, interrupted };
      })
      .immediate();
  }

  finish(id: number, status: 'ok' | 'failed', detail: unknown, at: Date): void {
    this.db.prepare("UPDATE job_runs SET status = ?, ended_at = ?, detail = ? WHERE id = ? AND status = 'running'").run(status, at.toISOString(), JSON.stringify(detail), id);
  }

  /** The latest run of each job, and the latest successful one. */
  latest(): Array<{ last: JobRunRow; lastOk: JobRunRow | undefined }> {
    const lasts = this.db.prepare(`${SELECT} WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job) ORDER BY job`).all() as JobRunRow[];
    const lastOk = this.db.prepare(`${SELECT} WHERE job = ? AND status = 'ok' ORDER BY id DESC LIMIT 1`);
    return lasts.map((last) => ({ last, lastOk: last.status === 'ok' ? last : (lastOk.get(last.job) as JobRunRow | undefined) }));
  }

  history(job: string, limit: number): JobRunRow[] {
    return this.db.prepare(`${SELECT} WHERE job = ? ORDER BY id DESC LIMIT ?`).all(job, limit) as JobRunRow[];
  }
}
