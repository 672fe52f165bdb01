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
  operators: Array<Pick<OperatorRow, 'id' | 'dp' | 'role' | 'unit'> & { state: OperatorState; device: string }>;
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
  attempts(): AttemptLive[];
  pending(): Record<string, number>;
  today(): DpFigures[];
}

const RINGING = ['RINGING', 'RINGINUSE'];
const BUSY = ['INUSE', 'BUSY', 'ONHOLD'];

/** What each operator is doing, from their phone's registration and device state. */
export function operatorStates(ops: OperatorRow[], phones: Map<string, { online: boolean; device: string }>): LiveSnapshot['operators'] {
  return ops.map((o) => {
    const p = phones.get(o.id);
    const state: OperatorState = !p?.online ? 'non registrato' : RINGING.includes(p.device) ? 'squilla' : BUSY.includes(p.device) ? 'in chiamata' : o.paused ? 'in pausa' : 'libero';
    return { id: o.id, dp: o.dp, role: o.role, unit: o.unit, state, device: p?.device ?? 'UNKNOWN' };
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
  return { at: now.toISOString(), operators: operatorStates(src.operators(), phones), calls: src.calls(), attempts: src.attempts(), pending: src.pending(), today: src.today(), phonesUnknown };
}

export class LiveBoard {
  private readonly viewers = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private busy = false;

  constructor(
    private readonly src: LiveSources,
    private readonly render: (s: LiveSnapshot) => Html,
    private readonly now: () => Date = () => new Date(),
    private readonly periodMs = 500,
    /** a snapshot that failed (the database unreadable...): reported, the board tries again next tick */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** The board now, for the page's first render. */
  async current(): Promise<Html> {
    return this.render(await takeSnapshot(this.src, this.now()));
  }

  /** An EventSource connection: gets the board at once, then each change. */
  watch(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.viewers.add(res);
    res.on('close', () => {
      this.viewers.delete(res);
      if (this.viewers.size === 0) this.stop();
    });
    if (this.last) res.write(frame(this.last));
    this.timer ??= setInterval(() => void this.tick().catch(this.onError), this.periodMs);
    void this.tick(true).catch(this.onError);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.last = '';
  }

  close(): void {
    this.stop();
    for (const v of this.viewers) v.end();
    this.viewers.clear();
  }

  private async tick(force = false): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const board = this.render(await takeSnapshot(this.src, this.now())).text;
      // the clock line changes every tick; only a change of what is shown counts
      const changed = stripClock(board) !== stripClock(this.last);
      this.last = board;
      if (changed || force) for (const v of this.viewers) v.write(frame(board));
    } finally {
      this.busy = false;
    }
  }
}

const frame = (board: string): string => `event: board\ndata: ${JSON.stringify(board)}\n\n`;
const stripClock = (s: string): string => s.replace(/<time data-clock[^>]*>[^<]*<\/time>/g, '');
