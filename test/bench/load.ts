// SIPp as the benches' load: calls from the trunk's address in the agents container, `calls`
// in all at `rate` per second and at most `limit` at once, with the RTP of each on its own
// port. Its logs (and statistics, with -trace_stat) land in the stack's sipp-logs/<id>/.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AGENTS_CONTAINER, PODMAN, run, STATE_DIR, TRUNK_IP, type RunResult } from '../integration/harness';

export interface Load {
  /** the log directory's name */
  id: string;
  scenario: string;
  /** SIPp's own SIP port at the trunk's address */
  port: number;
  /** the number dialled */
  target: string;
  calls: number;
  rate: number;
  limit: number;
  timeoutS: number;
  recvTimeoutMs: number;
  /** more of SIPp's options (statistics, traces) */
  extra?: string[];
  /** past SIPp's own time-out, how long before the container exec is killed (default 60 s) */
  graceS?: number;
  /** the callers' address (default the trunk's) and where they call (default the stack's Asterisk): the cluster bench's edge */
  ip?: string;
  remote?: string;
}

/** Runs the load to its end; the host path of its logs is `${STATE_DIR}/sipp-logs/${id}`. */
export function sippLoad(o: Load): Promise<RunResult> {
  mkdirSync(`${STATE_DIR}/sipp-logs/${o.id}`, { recursive: true });
  return run(
    'podman',
    [
      ...PODMAN,
      'exec',
      '-w',
      `/tmp/sipp-logs/${o.id}`,
      AGENTS_CONTAINER,
      'sipp',
      o.remote ?? '127.0.0.1:5060',
      '-sf',
      o.scenario,
      '-i',
      o.ip ?? TRUNK_IP,
      '-p',
      String(o.port),
      '-mi',
      o.ip ?? TRUNK_IP,
      '-min_rtp_port',
      '30000',
      '-max_rtp_port',
      '39998',
      '-s',
      o.target,
      '-m',
      String(o.calls),
      '-r',
      String(o.rate),
      '-l',
      String(o.limit),
      '-nostdin',
      '-timeout',
      `${o.timeoutS}s`,
      '-recv_timeout',
      String(o.recvTimeoutMs),
      ...(o.extra ?? []),
    ],
    { timeoutMs: (o.timeoutS + (o.graceS ?? 60)) * 1000 },
  );
}

/**
 * What a load's statistics say (-trace_stat, sampled each second with -fd 1; -trace_rtt):
 * calls ended well and failed, the most in progress in one sample, the INVITE -> 200 times.
 * Without statistics every call counts as failed; a SIPp that failed counts at least one.
 */
export function loadStats(id: string, calls: number, code: number | null): { ok: number; failed: number; peak: number; rtts: number[] } {
  const dir = `${STATE_DIR}/sipp-logs/${id}`;
  const files = readdirSync(dir);
  const stat = files.find((f) => f.endsWith('.csv') && !f.includes('rtt'));
  let ok = 0;
  let failed = calls;
  let peak = 0;
  if (stat) {
    const lines = readFileSync(path.join(dir, stat), 'utf8').trim().split('\n');
    const head = lines[0]!.split(';');
    const last = lines.at(-1)!.split(';');
    ok = Number(last[head.indexOf('SuccessfulCall(C)')]);
    failed = Number(last[head.indexOf('FailedCall(C)')]);
    // calls in progress, sampled each second: how many were really up at once
    peak = Math.max(...lines.slice(1).map((l) => Number(l.split(';')[head.indexOf('CurrentCall')]) || 0));
  }
  const rttFile = files.find((f) => f.includes('rtt'));
  const rtts = rttFile
    ? readFileSync(path.join(dir, rttFile), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => Number(l.split(';')[1])) // Date_ms;response_time_ms;rtd_no
        .filter((x) => Number.isFinite(x))
    : [];
  if (code !== 0 && failed === 0) failed = Math.max(1, calls - ok);
  return { ok, failed, peak, rtts };
}
