// `ivrctl status`: what a sysadmin checks first. Asks Asterisk over AMI (is it up, since when)
// and ARI (each operator's phone), the controller's /healthz, and reads the database
// (pending callbacks, the jobs' last runs) read-only; never changes anything. In the cluster
// mode it is the node's status (its Asterisk, controller, copy of the roster and jobs' runs)
// with the cluster's pending callbacks (the shared database's); `ivrctl cluster status` is the
// cluster's.
import type { Config } from '../config/schema';
import { jobPlan } from '../jobs/catalog';
import { nextSlot } from '../jobs/schedule';
import { readSecrets } from '../provisioning/secrets';
import { CallbacksRepo } from '../storage/callbacks-repo';
import type { Db } from '../storage/database';
import { JobRunsRepo } from '../storage/job-runs-repo';
import { OperatorsRepo } from '../storage/operators-repo';
import { amiActions } from '../telephony/ami';
import { ariGet } from '../telephony/ari-rest';
import type { Printer } from './format';

export interface OperatorStatus {
  id: string;
  dp: string;
  role: string;
  unit: string | null;
  paused: boolean;
  /** a phone is registered */
  online: boolean;
  /** Asterisk device state: NOT_INUSE, INUSE, RINGING, UNAVAILABLE, ... ("UNKNOWN" when Asterisk is down) */
  deviceState: string;
  /** what the operator can do now: available | busy | paused | offline */
  availability: 'available' | 'busy' | 'paused' | 'offline';
}

export interface JobStatus {
  name: string;
  description: string;
  crons: string[];
  timezone: string;
  nextRun: string | null;
  lastRun: { startedAt: string; endedAt: string | null; status: string; trigger: string; detail: unknown } | null;
  lastOkAt: string | null;
}

export interface Status {
  /** false when Asterisk, ARI or the controller is down, or a job's last run failed */
  ok: boolean;
  problems: string[];
  asterisk: { reachable: boolean; uptimeSeconds: number | null; version: string | null; error?: string };
  controller: { up: boolean; ari: string | null; uptimeSeconds: number | null; activeCalls: number | null; pid?: number; error?: string; problems?: string[] };
  operators: OperatorStatus[];
  directorates: Array<{ id: string; case: string; operatorsOnline: number; operatorsBusy: number; operatorsPaused: number; operatorsAvailable: number; pendingCallbacks: number }>;
  jobs: JobStatus[];
}

/** Each job of the configuration: its slots, next run, and last run from the database's record. */
export function jobStatuses(config: Config, db: Db | undefined): JobStatus[] {
  const runs = new Map((db ? new JobRunsRepo(db).latest() : []).map((r) => [r.last.job, r]));
  return jobPlan(config).map((j) => {
    const r = runs.get(j.name);
    const next = j.crons
      .map((c) => nextSlot(c, j.timezone))
      .filter((d): d is Date => d !== null)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    return {
      name: j.name,
      description: j.description,
      crons: j.crons,
      timezone: j.timezone,
      nextRun: next?.toISOString() ?? null,
      lastRun: r
        ? {
            startedAt: r.last.startedAt,
            endedAt: r.last.endedAt,
            status: r.last.status,
            trigger: r.last.trigger,
            detail: r.last.detail ? (JSON.parse(r.last.detail) as unknown) : null,
          }
        : null,
      lastOkAt: r?.lastOk?.startedAt ?? null,
    };
  });
}

const BUSY_STATES = ['INUSE', 'BUSY', 'RINGING', 'RINGINUSE', 'ONHOLD'];

/** The cluster mode: the pending callbacks are the shared database's, or why it could not be read. */
export type SharedPending = { pending: Record<string, number> } | { error: string };

/**
 * `db` (the node's own file) is undefined when it cannot be opened (`dbError` says why):
 * Asterisk and the controller are still checked. In the cluster mode `shared` gives the
 * pending callbacks, which are the shared database's.
 */
export async function collectStatus(config: Config, stateDir: string, db: Db | undefined, dbError?: string, shared?: SharedPending): Promise<Status> {
  const secrets = readSecrets(stateDir);
  const status: Status = {
    ok: true,
    problems: [],
    asterisk: { reachable: false, uptimeSeconds: null, version: null },
    controller: { up: false, ari: null, uptimeSeconds: null, activeCalls: null },
    operators: [],
    directorates: [],
    jobs: [],
  };
  const ami = { host: config.asterisk.amiHost, port: config.asterisk.amiPort, user: secrets.ami.user, secret: secrets.ami.secret };
  const ari = { url: config.asterisk.ariUrl, user: secrets.ari.user, password: secrets.ari.password };
  try {
    await amiActions(ami, [{ action: 'CoreStatus' }], 4000);
    status.asterisk = { reachable: true, uptimeSeconds: null, version: null };
    // ARI's details are extras of a reachable Asterisk: without them the status says "unknown"
    const info = await ariGet<{ system?: { version?: string }; status?: { startup_time?: string } }>(ari, '/asterisk/info').catch(() => undefined);
    status.asterisk.version = info?.system?.version ?? null;
    const started = info?.status?.startup_time ? Date.parse(info.status.startup_time) : NaN;
    if (!Number.isNaN(started)) status.asterisk.uptimeSeconds = Math.max(0, Math.round((Date.now() - started) / 1000));
  } catch (err) {
    status.asterisk.error = (err as Error).message;
  }
  try {
    const res = await fetch(`http://${config.http.host}:${config.http.port}/healthz`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { ok?: boolean; reasons?: string[]; ari?: string; activeCalls?: number; uptimeSeconds?: number; pid?: number };
    status.controller = { up: true, ari: body.ari ?? null, uptimeSeconds: body.uptimeSeconds ?? null, activeCalls: body.activeCalls ?? null };
    if (typeof body.pid === 'number') status.controller.pid = body.pid;
    // the controller's own health: ARI, and whether its database takes writes (a full disk...)
    if (body.ok === false) status.controller.problems = body.reasons ?? ['unhealthy (no reason given)'];
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    status.controller.error = `no answer at ${config.http.host}:${config.http.port} (${cause})`;
  }
  for (const op of db ? new OperatorsRepo(db).list() : []) {
    let online = false;
    let deviceState = 'UNKNOWN';
    if (status.asterisk.reachable) {
      const ep = await ariGet<{ state?: string }>(ari, `/endpoints/PJSIP/${encodeURIComponent(op.id)}`).catch(() => ({ state: 'unknown' }));
      online = ep.state === 'online';
      const ds = await ariGet<{ state?: string }>(ari, `/deviceStates/${encodeURIComponent(`PJSIP/${op.id}`)}`).catch(() => ({ state: 'UNKNOWN' }));
      deviceState = ds.state ?? 'UNKNOWN';
    }
    const availability = !online ? 'offline' : op.paused ? 'paused' : BUSY_STATES.includes(deviceState) ? 'busy' : 'available';
    status.operators.push({ id: op.id, dp: op.dp, role: op.role, unit: op.unit, paused: op.paused, online, deviceState, availability });
  }
  const pending: Record<string, number> = shared ? ('pending' in shared ? shared.pending : {}) : db ? new CallbacksRepo(db).pendingCountByDp() : {};
  status.directorates = config.directorates.map((d) => {
    const mine = status.operators.filter((o) => o.dp === d.id && o.role !== 'unit');
    const count = (a: OperatorStatus['availability']): number => mine.filter((o) => o.availability === a).length;
    return {
      id: d.id,
      case: d.case,
      operatorsOnline: mine.filter((o) => o.online).length,
      operatorsBusy: count('busy'),
      operatorsPaused: mine.filter((o) => o.paused).length,
      operatorsAvailable: count('available'),
      pendingCallbacks: pending[d.id] ?? 0,
    };
  });
  status.jobs = jobStatuses(config, db);

  if (!db) status.problems.push(`database: ${dbError ?? 'not readable'}`);
  if (shared && 'error' in shared) status.problems.push(`shared database: ${shared.error}`);
  if (!status.asterisk.reachable) status.problems.push(`Asterisk unreachable over AMI: ${status.asterisk.error ?? '?'}`);
  if (!status.controller.up) status.problems.push(`controller down: ${status.controller.error ?? '?'}`);
  else if (status.controller.ari !== 'connected') status.problems.push(`controller not connected to ARI (${status.controller.ari ?? '?'})`);
  for (const p of status.controller.problems ?? []) if (!p.startsWith('ARI ')) status.problems.push(`controller: ${p}`);
  for (const j of status.jobs) {
    if (j.lastRun?.status === 'failed') status.problems.push(`job ${j.name} failed at ${j.lastRun.startedAt}: ${(j.lastRun.detail as { error?: string } | null)?.error ?? '?'}`);
  }
  status.ok = status.problems.length === 0;
  return status;
}

const duration = (s: number | null): string => {
  if (s === null) return '?';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
};

export function formatStatus(s: Status, p: Printer): string {
  const jobs = s.jobs.map((j) => ({ job: j.name, lastRun: j.lastRun?.startedAt, result: j.lastRun?.status ?? 'never run', lastOk: j.lastOkAt, nextRun: j.nextRun }));
  return [
    `asterisk:   ${s.asterisk.reachable ? `up ${duration(s.asterisk.uptimeSeconds)} (${s.asterisk.version ?? '?'})` : `DOWN (${s.asterisk.error ?? 'unreachable'})`}`,
    `controller: ${s.controller.up ? `up ${duration(s.controller.uptimeSeconds)} (ARI ${s.controller.ari}, ${s.controller.activeCalls ?? 0} active calls)` : `DOWN (${s.controller.error ?? '?'})`}`,
    '',
    p.table(s.directorates, ['id', 'case', 'operatorsOnline', 'operatorsBusy', 'operatorsPaused', 'operatorsAvailable', 'pendingCallbacks']),
    '',
    p.table(s.operators, ['id', 'dp', 'role', 'unit', 'availability', 'deviceState']),
    '',
    p.table(jobs, ['job', 'lastRun', 'result', 'lastOk', 'nextRun']),
    ...(s.problems.length > 0 ? ['', ...s.problems.map((x) => `PROBLEM: ${x}`)] : []),
  ].join('\n');
}
