// ivrctl against the running stack: status sees Asterisk (AMI), ARI and the controller up
// with uptimes, and the jobs; a job run through the controller does its work and shows as
// the job's last run; maintenance from the CLI works while the controller writes.
import t from 'tap';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ivrctl, query, STATE_DIR } from './harness';

interface StatusJson {
  ok: boolean;
  problems: string[];
  asterisk: { reachable: boolean; uptimeSeconds: number | null };
  controller: { up: boolean; ari: string; uptimeSeconds: number | null };
  jobs: Array<{ name: string; nextRun: string | null; lastRun: { status: string; trigger: string; detail: unknown } | null }>;
}

const status = async (): Promise<StatusJson> => {
  const r = await ivrctl('status', '--json');
  return JSON.parse(r.stdout) as StatusJson;
};

t.test('status: Asterisk over AMI, ARI, the controller with their uptimes, and every job with its next run', async (t) => {
  const r = await ivrctl('status', '--json');
  t.equal(r.code, 0, 'exit 0 with everything up', { stderr: r.stderr });
  const s = JSON.parse(r.stdout) as StatusJson;
  t.same(s.problems, []);
  t.ok(s.ok && s.asterisk.reachable && s.controller.up && s.controller.ari === 'connected');
  t.ok(typeof s.asterisk.uptimeSeconds === 'number' && s.asterisk.uptimeSeconds >= 0, `Asterisk up ${s.asterisk.uptimeSeconds} s`);
  t.ok(typeof s.controller.uptimeSeconds === 'number' && s.controller.uptimeSeconds >= 0, `controller up ${s.controller.uptimeSeconds} s`);
  const names = s.jobs.map((j) => j.name);
  for (const n of ['close-window:t-closed', 'daily-report', 'backup', 'retention']) t.ok(names.includes(n), `job ${n} listed`);
  t.ok(
    s.jobs.every((j) => j.nextRun && Date.parse(j.nextRun) > Date.now()),
    'each job has a next run in the future',
  );
  const table = await ivrctl('status');
  t.equal(table.code, 0);
  t.match(table.stdout, /^asterisk: +up /m);
  t.notMatch(table.stdout, /PROBLEM/);
});

t.test('jobs run close-window: a request the closed directorate did not reach waits for its next window', async (t) => {
  // a request as a booking while closed leaves it, but due now: what a retry at closing time looks like
  const db = new Database(path.join(STATE_DIR, 'ivr.db'));
  const now = new Date();
  const id = (
    db
      .prepare(
        "INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, updated_at) VALUES ('t-closed', '0612000777', 'it', 'pending', ?, ?, ?, ?) RETURNING id",
      )
      .get(now.toISOString(), now.toISOString(), new Date(now.getTime() + 3 * 86_400_000).toISOString(), now.toISOString()) as { id: number }
  ).id;
  db.close();

  const r = await ivrctl('jobs', 'run', 'close-window:t-closed', '--json');
  t.equal(r.code, 0, 'ran', { stderr: r.stderr });
  const outcome = JSON.parse(r.stdout) as { status: string; detail: { carriedOver: number[]; expired: number[]; nextWindow: string } };
  t.equal(outcome.status, 'ok');
  t.ok(outcome.detail.carriedOver.includes(id), `request ${id} carried over`);
  // t-closed is closed today (a local holiday) and open from midnight
  t.ok(Date.parse(outcome.detail.nextWindow) > now.getTime(), `next window ${outcome.detail.nextWindow}`);
  const [row] = query<{ status: string; due_at: string; carried_over: number }>('SELECT status, due_at, carried_over FROM callbacks WHERE id = ?', id);
  t.same(row, { status: 'pending', due_at: outcome.detail.nextWindow, carried_over: 1 });
  const listed = JSON.parse((await ivrctl('callbacks', 'show', String(id), '--json')).stdout) as { dueAt: string; carriedOver: number };
  t.match(listed, { dueAt: outcome.detail.nextWindow, carriedOver: 1 }, 'callbacks show tells the new due time');

  const job = (await status()).jobs.find((j) => j.name === 'close-window:t-closed');
  t.match(job?.lastRun, { status: 'ok', trigger: 'manual' }, 'status shows the run');
  t.equal((await ivrctl('callbacks', 'cancel', String(id))).code, 0, 'clean up');
});

t.test('jobs run backup: a checked copy under the state dir; db purge runs while the controller writes', async (t) => {
  const r = await ivrctl('jobs', 'run', 'backup', '--json');
  t.equal(r.code, 0, 'ran', { stderr: r.stderr });
  const outcome = JSON.parse(r.stdout) as { status: string; detail: { file: string; integrity: string } };
  t.match(outcome, { status: 'ok', detail: { integrity: 'ok' } });
  t.ok(outcome.detail.file.startsWith(path.join(STATE_DIR, 'backups', 'ivr-')) && existsSync(outcome.detail.file), outcome.detail.file);
  const copy = new Database(outcome.detail.file, { readonly: true });
  const live = query<{ n: number }>('SELECT COUNT(*) AS n FROM operators')[0]!.n;
  t.equal((copy.prepare('SELECT COUNT(*) AS n FROM operators').get() as { n: number }).n, live, 'the copy has the operators');
  copy.close();

  const purge = await ivrctl('db', 'purge', '--json');
  t.equal(purge.code, 0, 'purge ran beside the controller', { stderr: purge.stderr });
  t.match(JSON.parse(purge.stdout), { days: 90, masked: { calls: 0, callbacks: 0 } }, 'nothing in this fresh database is 90 days old');
  const s = await status();
  t.match(s.jobs.find((j) => j.name === 'retention')?.lastRun, { status: 'ok', trigger: 'manual' });
  t.match(s.jobs.find((j) => j.name === 'backup')?.lastRun, { status: 'ok', trigger: 'manual' });
  t.ok(s.ok, 'all well');
});

t.test('jobs run: unknown job exit 2; operators pause goes through the controller', async (t) => {
  const bad = await ivrctl('jobs', 'run', 'nope');
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^ivrctl: no job "nope" \(jobs: close-window:/);
  const p = await ivrctl('operators', 'pause', 'st1');
  t.equal(p.code, 0, p.stderr);
  t.equal(p.stdout, 'operator st1 paused\n', 'applied by the running controller');
  t.equal((await ivrctl('operators', 'resume', 'st1')).code, 0);
});
