// The live page's board: one snapshot of the service (operators, phones ringing, callers in
// the IVR, callbacks being dialled and pending, today's figures), rendered on the server and
// pushed to every open live page over server-sent events. One poller for all viewers, every
// 500 ms while someone watches, sending only when the board changed: a change shows within
// a second, and an idle service sends nothing.
import type { ServerResponse } from 'node:http';
import type { DpFigures } from '../monitoring/figures';
import type { OperatorRow } from '../storage/operators-repo';
import type { Html } from './html';

export interface InboundLive {
  channelId: string;
  dp: string;
  number: string | null;
  phase: string;
  startedAt: string;
  ringing: string[];
  operator: string | null;
  /** the internal unit's official the caller was transferred to */
  unitOfficial?: string | null;
}

export interface AttemptLive {
  callbackId: number;
  dp: string;
  number: string;
  operator: string;
  stage: string;
  startedAt: string;
}

export type OperatorState = 'libero' | 'in chiamata' | 'squilla' | 'in pausa' | 'non registrato';

export interface LiveSnapshot {
  at: string;
  operators: Array<Pick<OperatorRow, 'id' | 'dp' | 'role' | 'unit' | 'pausedAt'> & { state: OperatorState; device: string }>;
  calls: InboundLive[];
  attempts: AttemptLive[];
  pending: Record<string, number>;
  today: DpFigures[];
  /** ARI is down: the board shows it rather than stale states */
  phonesUnknown: boolean;
}

export interface LiveSources {
  operators(): OperatorRow[];
  phoneStates(): Promise<Map<string, { online: boolean; device: string }>>;
  calls(): InboundLive[];
  /** (the cluster mode: from the shared database, hence a promise) */
  attempts(): AttemptLive[] | Promise<AttemptLive[]>;
  pending(): Record<string, number> | Promise<Record<string, number>>;
  today(): DpFigures[] | Promise<DpFigures[]>;
}

const RINGING = ['RINGING', 'RINGINUSE'];
const BUSY = ['INUSE', 'BUSY', 'ONHOLD'];

/** What each operator is doing, from their phone's registration and device state. */
export function operatorStates(ops: OperatorRow[], phones: Map<string, { online: boolean; device: string }>): LiveSnapshot['operators'] {
  return ops.map((o) => {
    const p = phones.get(o.id);
    const state: OperatorState = !p?.online
      ? 'non registrato'
      : RINGING.includes(p.device)
        ? 'squilla'
        : BUSY.includes(p.device)
          ? 'in chiamata'
          : o.paused
            ? 'in pausa'
            : 'libero';
    return { id: o.id, dp: o.dp, role: o.role, unit: o.unit, pausedAt: o.pausedAt, state, device: p?.device ?? 'UNKNOWN' };
  });
}

export async function takeSnapshot(src: LiveSources, now: Date): Promise<LiveSnapshot> {
  let phones = new Map<string, { online: boolean; device: string }>();
  let phonesUnknown = false;
  try {
    phones = await src.phoneStates();
  } catch {
    phonesUnknown = true;
  }
  return {
    at: now.toISOString(),
    operators: operatorStates(src.operators(), phones),
    calls: src.calls(),
    attempts: await src.attempts(),
    pending: await src.pending(),
    today: await src.today(),
    phonesUnknown,
  };
}

/** Who watches: the stream ends as soon as `allowed` says no (logout, new password, account removed). */
export interface Viewer {
  allowed(): boolean | Promise<boolean>;
  /** an operator sees their own directorate only */
  dp?: string;
}

/** The snapshot an operator of `dp` may see: that directorate's phones, callers and figures. */
export function forDirectorate(s: LiveSnapshot, dp: string | undefined): LiveSnapshot {
  if (dp === undefined) return s;
  return {
    ...s,
    operators: s.operators.filter((o) => o.dp === dp),
    calls: s.calls.filter((c) => c.dp === dp),
    attempts: s.attempts.filter((a) => a.dp === dp),
    pending: Object.fromEntries(Object.entries(s.pending).filter(([k]) => k === dp)),
    today: s.today.filter((f) => f.dp === dp),
  };
}

export class LiveBoard {
  private readonly viewers = new Map<ServerResponse, Viewer & { last: string }>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly src: LiveSources,
    private readonly render: (s: LiveSnapshot) => Html,
    private readonly now: () => Date = () => new Date(),
    private readonly periodMs = 500,
    /** a snapshot that failed (the database unreadable...): reported, the board tries again next tick */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** The board now, for the page's first render (of one directorate for an operator). */
  async current(dp?: string): Promise<Html> {
    return this.render(forDirectorate(await takeSnapshot(this.src, this.now()), dp));
  }

  /** An EventSource connection: gets the board at once, then each change, while `viewer.allowed()`. */
  watch(res: ServerResponse, viewer: Viewer = { allowed: () => true }): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.viewers.set(res, { ...viewer, last: '' });
    res.on('close', () => {
      this.viewers.delete(res);
      if (this.viewers.size === 0) this.stop();
    });
    this.timer ??= setInterval(() => void this.tick().catch(this.onError), this.periodMs);
    void this.tick().catch(this.onError);
  }

  /** Ends the streams whose viewer is no longer allowed, now (a logout). */
  async revoke(): Promise<void> {
    const asked = await Promise.all([...this.viewers].map(async ([res, v]) => ({ res, allowed: await v.allowed() })));
    for (const { res, allowed } of asked) if (!allowed && this.viewers.has(res)) this.end(res);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    for (const v of this.viewers.keys()) v.end();
    this.viewers.clear();
  }

  private end(res: ServerResponse): void {
    this.viewers.delete(res);
    res.end();
    if (this.viewers.size === 0) this.stop();
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      // every tick: a session ended elsewhere (ivrctl users passwd / remove) ends its stream
      await this.revoke();
      if (this.viewers.size === 0) return;
      const snapshot = await takeSnapshot(this.src, this.now());
      const rendered = new Map<string | undefined, string>();
      for (const [res, v] of this.viewers) {
        if (!rendered.has(v.dp)) rendered.set(v.dp, this.render(forDirectorate(snapshot, v.dp)).text);
        const board = rendered.get(v.dp)!;
        // the clock line changes every tick; only a change of what is shown counts
        if (stripClock(board) !== stripClock(v.last)) res.write(frame(board));
        v.last = board;
      }
    } finally {
      this.busy = false;
    }
  }
}

const frame = (board: string): string => `event: board\ndata: ${JSON.stringify(board)}\n\n`;
const stripClock = (s: string): string => s.replace(/<time data-clock[^>]*>[^<]*<\/time>/g, '');
