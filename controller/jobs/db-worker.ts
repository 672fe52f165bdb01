// Long database work off the event loop: a worker thread with its own connection runs it
// (db-worker-thread.ts) while the controller keeps answering calls. One task at a time, in
// order; a task that fails rejects with the worker's message; a worker that dies is replaced
// at the next task. Started on first use.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DpFigures, DpSelector, FigureOptions, FigureRange } from '../monitoring/figures';
import type { BackupResult } from '../storage/backup';
import type { RetentionResult } from './retention';
import type { DbTask } from './db-worker-thread';
import { ReportRangeError } from '../errors';

interface Pending {
  resolve(v: unknown): void;
  reject(err: Error): void;
}

export class DatabaseWorker {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly file: string) {}

  figures(dps: DpSelector[], range: FigureRange, opts: FigureOptions): Promise<DpFigures[]> {
    return this.submit({ task: 'figures', dps, range, opts }) as Promise<DpFigures[]>;
  }

  backup(target: string): Promise<BackupResult> {
    return this.submit({ task: 'backup', target }) as Promise<BackupResult>;
  }

  truncateWal(): Promise<unknown> {
    return this.submit({ task: 'truncateWal' });
  }

  maskBackups(dir: string, prefix: string, days: number, now: Date): Promise<Array<{ file: string; masked: RetentionResult['masked'] }>> {
    return this.submit({ task: 'maskBackups', dir, prefix, days, now: now.toISOString() }) as Promise<Array<{ file: string; masked: RetentionResult['masked'] }>>;
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private submit(task: DbTask): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensure().postMessage({ id, ...task });
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(path.join(__dirname, 'db-worker-thread.js'), { workerData: { file: this.file } });
    w.unref();
    w.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string; name?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(m.name === 'ReportRangeError' ? new ReportRangeError(m.error ?? '') : new Error(m.error));
    });
    const failAll = (err: Error): void => {
      if (this.worker === w) this.worker = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(err);
      }
    };
    w.on('error', failAll);
    w.on('exit', (code) => failAll(new Error(`the database worker exited (code ${code})`)));
    this.worker = w;
    return w;
  }
}
