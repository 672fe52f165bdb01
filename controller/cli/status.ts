// `ivrctl status`: what a sysadmin checks first. Reads the database, asks ARI (read-only)
// about each operator's phone and the controller's /healthz; never changes anything.
import type { Environment } from '../environment';
import { readSecrets } from '../provisioning/secrets';
import { prepare } from '../setup';
import { ariGet } from '../telephony/ari-rest';
import { CallbacksRepo } from '../storage/callbacks-repo';

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

export interface Status {
  asterisk: { reachable: boolean; version: string | null; error?: string };
  controller: { up: boolean; ari: string | null; activeCalls: number | null; error?: string };
  operators: OperatorStatus[];
  directorates: Array<{ id: string; case: string; operatorsOnline: number; operatorsAvailable: number; pendingCallbacks: number }>;
}

export async function collectStatus(env: Environment): Promise<Status> {
  const { config, operators, db } = prepare(env);
  const pending = new CallbacksRepo(db).pendingCountByDp();
  const status: Status = {
    asterisk: { reachable: false, version: null },
    controller: { up: false, ari: null, activeCalls: null },
    operators: [],
    directorates: [],
  };
  const secrets = readSecrets(env.stateDir);
  const ari = { url: config.asterisk.ariUrl, user: secrets.ari.user, password: secrets.ari.password };
  try {
    const info = await ariGet<{ system?: { version?: string } }>(ari, '/asterisk/info');
    status.asterisk = { reachable: true, version: info.system?.version ?? null };
  } catch (err) {
    status.asterisk.error = (err as Error).message;
  }
  try {
    const res = await fetch(`http://${config.http.host}:${config.http.port}/healthz`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { ari?: string; activeCalls?: number };
    status.controller = { up: res.ok, ari: body.ari ?? null, activeCalls: body.activeCalls ?? null };
  } catch (err) {
    status.controller.error = (err as Error).message;
  }
  for (const op of operators.list()) {
    let online = false;
    let deviceState = 'UNKNOWN';
    if (status.asterisk.reachable) {
      const ep = await ariGet<{ state?: string }>(ari, `/endpoints/PJSIP/${encodeURIComponent(op.id)}`).catch(() => ({ state: 'unknown' }));
      online = ep.state === 'online';
      const ds = await ariGet<{ state?: string }>(ari, `/deviceStates/${encodeURIComponent(`PJSIP/${op.id}`)}`).catch(() => ({ state: 'UNKNOWN' }));
      deviceState = ds.state ?? 'UNKNOWN';
    }
    const busy = ['INUSE', 'BUSY', 'RINGING', 'RINGINUSE', 'ONHOLD'].includes(deviceState);
    const availability = !online ? 'offline' : op.paused ? 'paused' : busy ? 'busy' : 'available';
    status.operators.push({ id: op.id, dp: op.dp, role: op.role, unit: op.unit, paused: op.paused, online, deviceState, availability });
  }
  status.directorates = config.directorates.map((d) => {
    const mine = status.operators.filter((o) => o.dp === d.id && o.role !== 'unit');
    return {
      id: d.id,
      case: d.case,
      operatorsOnline: mine.filter((o) => o.online).length,
      operatorsAvailable: mine.filter((o) => o.availability === 'available').length,
      pendingCallbacks: pending[d.id] ?? 0,
    };
  });
  return status;
}

export function formatStatus(s: Status, table: (rows: Array<Record<string, unknown>>, cols: string[]) => string): string {
  const lines = [
    `asterisk:   ${s.asterisk.reachable ? `up (${s.asterisk.version ?? '?'})` : `DOWN (${s.asterisk.error ?? 'unreachable'})`}`,
    `controller: ${s.controller.up ? `up (ARI ${s.controller.ari}, ${s.controller.activeCalls ?? 0} active calls)` : `DOWN (${s.controller.error ?? `ARI ${s.controller.ari ?? '?'}`})`}`,
    '',
    table(s.directorates as unknown as Array<Record<string, unknown>>, ['id', 'case', 'operatorsOnline', 'operatorsAvailable', 'pendingCallbacks']),
    '',
    table(s.operators as unknown as Array<Record<string, unknown>>, ['id', 'dp', 'role', 'unit', 'availability', 'deviceState']),
  ];
  return lines.join('\n');
}
