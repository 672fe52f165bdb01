// Which operators' phones can ring now: registered (endpoint online), idle (device state
// NOT_INUSE), not paused, and not already being rung or talking through this controller.
// "Longest idle first" orders them by when their last call through us ended (or since this
// controller started, for an operator it has not seen yet).
import type { OperatorRole } from '../config/schema';
import type { OperatorsRepo } from '../storage/operators-repo';
import type { TelephonyPort } from '../telephony/port';

export interface Availability {
  /** operator ids, longest idle first */
  phones: string[];
  /** why none, when phones is empty */
  reason?: 'none_registered' | 'all_busy';
}

export class Presence {
  private readonly idleSince = new Map<string, number>();
  /** operators we are ringing or have bridged: one call at a time each */
  private readonly engaged = new Set<string>();

  constructor(
    private readonly operators: OperatorsRepo,
    private readonly port: Pick<TelephonyPort, 'endpointState' | 'deviceState'>,
    private readonly now: () => number = Date.now,
    private readonly startedAt: number = Date.now(),
  ) {}

  /** `role`: one role or several (a switchboard directorate whose staff also place callbacks). */
  async available(dp: string, role: OperatorRole | OperatorRole[], unit?: string): Promise<Availability> {
    const roles = Array.isArray(role) ? role : [role];
    const members = this.operators.list().filter((o) => o.dp === dp && roles.includes(o.role) && (unit === undefined || o.unit === unit));
    const checked = await Promise.all(
      members.map(async (o) => {
        const [endpoint, device] = await Promise.all([this.port.endpointState(o.id).catch(() => 'unknown'), this.port.deviceState(o.id).catch(() => 'UNKNOWN')]);
        return { op: o, online: endpoint === 'online', idle: device === 'NOT_INUSE' };
      }),
    );
    const online = checked.filter((c) => c.online);
    const free = online.filter((c) => c.idle && !c.op.paused && !this.engaged.has(c.op.id));
    if (free.length === 0) return { phones: [], reason: online.length === 0 ? 'none_registered' : 'all_busy' };
    const since = (id: string): number => this.idleSince.get(id) ?? this.startedAt;
    return { phones: free.map((c) => c.op.id).sort((a, b) => since(a) - since(b) || a.localeCompare(b)) };
  }

  /** every operator account (their device states are watched) */
  operatorIds(): string[] {
    return this.operators.list().map((o) => o.id);
  }

  engage(id: string): void {
    this.engaged.add(id);
  }

  /** The operator's call through us ended: free again, idle from now. */
  release(id: string, talked: boolean): void {
    this.engaged.delete(id);
    if (talked) this.idleSince.set(id, this.now());
  }
}
