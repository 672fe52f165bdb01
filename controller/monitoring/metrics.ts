// Every Prometheus metric of the controller, in one place (served at /metrics). The flows
// report what happened through these typed methods; gauges read the current state when
// Prometheus scrapes, so they are never stale.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { CALL_RESULTS, type CallResult } from '../inbound/call-results';
import type { DpFigures } from './figures';

export interface MetricSources {
  ariConnected: () => boolean;
  activeCalls: () => number;
  activeAttempts: () => number;
  /** (the cluster mode: read from the shared database, hence a promise) */
  pendingByDp: () => Record<string, number> | Promise<Record<string, number>>;
  /** operators per directorate and state, as the console names them (libero, in chiamata, ...) */
  operatorStates: () => Promise<Array<{ dp: string; state: string }>>;
  directorates: string[];
  /** today's figures (monitoring/figures.ts: the same numbers as the report and the console) */
  today: () => DpFigures[] | Promise<DpFigures[]>;
  /** open follow-up items per directorate, with the oldest one's opening time */
  followups?: () => Array<{ dp: string; open: number; oldest: string }>;
  /** the write queue: writes waiting for the database, and its state (0 ok, 1 busy, 2 failing) */
  storage?: () => { queued: number; state: number; freeBytes: number | null };
  /** the directorates in an extraordinary closure now */
  closed?: () => string[];
  /** the directorates inside their service hours now (and not closed): callbacks are placed */
  inService?: () => string[];
  /** per directorate, when the oldest pending request became due, if one is due and waiting */
  oldestDue?: () => Record<string, string> | Promise<Record<string, string>>;
  /** per job (as recorded in job_runs): the last successful run's end, and whether the last run failed */
  jobs?: () => Array<{ job: string; lastOkAt: string | null; lastFailed: boolean }>;
}

/** Operator states as metric labels: English snake_case, whatever the console calls them. */
export const OPERATOR_STATE_LABELS: Record<string, string> = {
  libero: 'free',
  'in chiamata': 'in_call',
  squilla: 'ringing',
  'in pausa': 'paused',
  'non registrato': 'unregistered',
};

/**
 * Today's counts (Europe/Rome day), one gauge each: ivr_today_<name>{dp}. They restart at
 * midnight, as the daily report does; rates belong to the *_total counters.
 */
const TODAY_FIGURES: Array<[keyof DpFigures, string, string]> = [
  ['callsReceived', 'calls_received', 'inbound calls received today'],
  ['answeredByOperator', 'answered_by_operator', 'inbound calls answered by an operator today'],
  ['ringUnanswered', 'ring_unanswered', 'inbound calls whose operators did not answer within the N rings today'],
  ['noOperatorAvailable', 'no_operator_available', 'inbound calls that found no operator to ring today'],
  ['hungUpInIvr', 'hung_up_in_ivr', 'callers who hung up in the menu today'],
  ['hungUpWhileRinging', 'hung_up_while_ringing', 'callers who hung up while the operators rang today'],
  ['callbackOffers', 'callback_offers', 'callback offers heard today'],
  ['bookings', 'bookings', 'callback requests booked today'],
  ['callbacksCompleted', 'callbacks_completed', 'callbacks that reached the caller today'],
  ['callbacksClosed', 'callbacks_closed', 'callback requests closed today (done, failed, expired or cancelled)'],
];

export class Metrics {
  readonly registry = new Registry();
  private readonly offerDelay: Histogram;
  private readonly bookingCommit: Histogram;
  private readonly dispatchDelay: Histogram;
  private readonly calls: Counter<'dp' | 'result'>;
  private readonly rings: Histogram<'dp'>;
  private readonly outcomes: Counter<'dp' | 'outcome'>;
  private readonly reconnects: Counter;
  private readonly dbLatency: Histogram<'op'>;
  private readonly jobs: Counter<'job' | 'status'>;
  private readonly errors: Counter<'where'>;
  private readonly loopDelay: Summary;
  private readonly writesDropped: Counter;
  private readonly reloads: Counter<'result'>;

  constructor(src: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.offerDelay = new Histogram({
      name: 'ivr_offer_delay_seconds',
      help: 'from the N-th unanswered ring to the start of the callback offer',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2],
      registers,
    });
    this.bookingCommit = new Histogram({
      name: 'ivr_booking_commit_seconds',
      help: 'callback booking transaction (checks + insert + commit)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    });
    this.dispatchDelay = new Histogram({
      name: 'ivr_dispatch_delay_seconds',
      help: 'from the event that made a callback dispatchable (e.g. an operator freed) to the originate towards the operator',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.calls = new Counter({
      name: 'ivr_calls_total',
      help: 'inbound calls ended, by directorate and result (answered by an operator, callback booked, abandoned by the caller, not put through, lost)',
      labelNames: ['dp', 'result'],
      registers,
    });
    this.rings = new Histogram({
      name: 'ivr_rings_before_answer',
      help: 'Italian rings (5 s) heard before an operator answered',
      labelNames: ['dp'],
      buckets: [1, 2, 3, 4, 5, 6, 8, 10, 15, 20],
      registers,
    });
    this.outcomes = new Counter({
      name: 'ivr_callback_attempts_total',
      help: 'callback attempts ended, by directorate and outcome (connected, no_answer, busy, ...)',
      labelNames: ['dp', 'outcome'],
      registers,
    });
    this.reconnects = new Counter({ name: 'ivr_ari_reconnects_total', help: 'ARI websocket connections after the first', registers });
    this.dbLatency = new Histogram({
      name: 'ivr_db_query_seconds',
      help: 'SQLite statement latency by kind (select, insert, update, delete)',
      labelNames: ['op'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers,
    });
    this.jobs = new Counter({ name: 'ivr_job_runs_total', help: 'runs of the scheduled jobs by job and result (ok, failed, skipped)', labelNames: ['job', 'status'], registers });
    this.errors = new Counter({
      name: 'ivr_errors_total',
      help: 'errors caught by an error boundary, by where they entered (an ARI event, an HTTP request, a job, a dispatch pass, an unhandled rejection)',
      labelNames: ['where'],
      registers,
    });
    this.loopDelay = new Summary({
      name: 'ivr_event_loop_delay_seconds',
      help: 'how late a 20 ms timer of the controller fires (the event loop blocked for that long: every call waits), over the last minute',
      percentiles: [0.5, 0.9, 0.99, 1],
      maxAgeSeconds: 60,
      ageBuckets: 6,
      registers,
    });
    this.writesDropped = new Counter({ name: 'ivr_db_writes_dropped_total', help: 'writes given up (refused by SQLite for good, or the write queue full)', registers });
    this.reloads = new Counter({
      name: 'ivr_config_reloads_total',
      help: 'configuration reloads (ivrctl config reload, SIGHUP) by result: applied, refused (an invalid file: the running one kept), failed (prompts or Asterisk)',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['applied', 'refused', 'failed']) this.reloads.inc({ result }, 0);
    for (const dp of src.directorates) for (const result of CALL_RESULTS) this.calls.inc({ dp, result }, 0);
    for (const where of ['unhandled_rejection', 'uncaught_exception']) this.errors.inc({ where }, 0);
    /**
     * A gauge per directorate, every directorate exported (0 when it has nothing to count):
     * `read` runs once per scrape and answers for each directorate.
     */
    // a gauge whose source cannot be read now (the database locked, the cluster's shared one
    // unreachable) has no series in this scrape, and the failure is counted: the scrape itself,
    // and every other metric in it, still reach Prometheus
    const readFailures = new Counter({
      name: 'ivr_metric_read_failures_total',
      help: 'scrapes in which a gauge could not read its source (it then has no series in that scrape), per metric',
      labelNames: ['metric'],
      registers,
    });
    const perDirectorate = (name: string, help: string, read: () => ((dp: string) => number) | Promise<(dp: string) => number>): void => {
      new Gauge({
        name,
        help,
        labelNames: ['dp'],
        registers,
        async collect() {
          let value: (dp: string) => number;
          try {
            value = await read();
          } catch {
            this.reset();
            readFailures.inc({ metric: name });
            return;
          }
          for (const dp of src.directorates) this.set({ dp }, value(dp));
        },
      });
    };
    /** seconds since an ISO instant; 0 when there is none */
    const ageSeconds = (iso: string | undefined): number => (iso ? Math.max(0, (Date.now() - Date.parse(iso)) / 1000) : 0);
    if (src.closed) {
      const closed = src.closed;
      perDirectorate('ivr_directorate_closed', 'whether a directorate is in an extraordinary closure now (ivrctl dp close): 1 closed, 0 open', () => {
        const now = closed();
        return (dp) => (now.includes(dp) ? 1 : 0);
      });
    }
    if (src.followups) {
      const followups = src.followups;
      perDirectorate('ivr_followups_open', 'follow-up items open (cases marked "needs follow-up"), per directorate', () => {
        const rows = followups();
        return (dp) => rows.find((r) => r.dp === dp)?.open ?? 0;
      });
      perDirectorate('ivr_followup_oldest_open_seconds', 'age of the oldest open follow-up item, per directorate (0 when none)', () => {
        const rows = followups();
        return (dp) => ageSeconds(rows.find((r) => r.dp === dp)?.oldest);
      });
    }
    if (src.storage) {
      const storage = src.storage;
      new Gauge({
        name: 'ivr_db_writes_queued',
        help: 'writes waiting for the database (busy or failing)',
        registers,
        collect() {
          this.set(storage().queued);
        },
      });
      new Gauge({
        name: 'ivr_db_state',
        help: 'the database as writes find it: 0 ok, 1 busy (locked by another process), 2 failing (full, read-only, I/O error)',
        registers,
        collect() {
          this.set(storage().state);
        },
      });
      new Gauge({
        name: 'ivr_state_dir_free_bytes',
        help: 'free space where the database lives',
        registers,
        collect() {
          const free = storage().freeBytes;
          if (free !== null) this.set(free);
        },
      });
    }

    new Gauge({
      name: 'ivr_ari_connected',
      help: '1 when the ARI websocket is connected',
      registers,
      collect() {
        this.set(src.ariConnected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ivr_active_calls',
      help: 'inbound calls in the controller',
      registers,
      collect() {
        this.set(src.activeCalls());
      },
    });
    new Gauge({
      name: 'ivr_callback_attempts_active',
      help: 'callback attempts being dialled',
      registers,
      collect() {
        this.set(src.activeAttempts());
      },
    });
    perDirectorate('ivr_callbacks_pending', 'callback requests waiting, per directorate', async () => {
      const pending = await src.pendingByDp();
      return (dp) => pending[dp] ?? 0;
    });
    // one scrape computes today's figures once, for all the ivr_today_* gauges
    let todayCache: { at: number; rows: Promise<DpFigures[]> } | undefined;
    const today = (): Promise<DpFigures[]> => {
      if (!todayCache || Date.now() - todayCache.at > 1000) todayCache = { at: Date.now(), rows: Promise.resolve(src.today()) };
      return todayCache.rows;
    };
    for (const [key, name, help] of TODAY_FIGURES) {
      perDirectorate(`ivr_today_${name}`, `${help} (Europe/Rome day, as in ivrctl report)`, async () => {
        const rows = await today();
        return (dp) => {
          const v = rows.find((r) => r.dp === dp)?.[key];
          return typeof v === 'number' ? v : 0;
        };
      });
    }
    new Gauge({
      name: 'ivr_operators',
      help: 'operators per directorate and state (free, in_call, ringing, paused, unregistered); every state exported, 0 included',
      labelNames: ['dp', 'state'],
      registers,
      async collect() {
        const rows = await src.operatorStates();
        const labels = Object.values(OPERATOR_STATE_LABELS);
        const dps = [...new Set([...src.directorates, ...rows.map((o) => o.dp)])];
        const n = new Map<string, number>();
        for (const o of rows) {
          const key = `${o.dp}\u0000${OPERATOR_STATE_LABELS[o.state] ?? 'unknown'}`;
          n.set(key, (n.get(key) ?? 0) + 1);
        }
        this.reset();
        for (const dp of dps) for (const state of labels) this.set({ dp, state }, n.get(`${dp}\u0000${state}`) ?? 0);
        for (const [key, v] of n) {
          const [dp, state] = key.split('\u0000');
          if (!labels.includes(state)) this.set({ dp, state }, v);
        }
      },
    });
    if (src.inService) {
      const inService = src.inService;
      perDirectorate('ivr_directorate_in_service', 'whether a directorate is inside its service hours now and not closed (callbacks are placed): 1 or 0', () => {
        const open = inService();
        return (dp) => (open.includes(dp) ? 1 : 0);
      });
    }
    if (src.oldestDue) {
      const oldestDue = src.oldestDue;
      perDirectorate(
        'ivr_callbacks_overdue_seconds',
        'how long the oldest pending callback request has been due and not yet placed, per directorate (0 when none is waiting past its due time)',
        async () => {
          const due = await oldestDue();
          return (dp) => ageSeconds(due[dp]);
        },
      );
    }
    if (src.jobs) {
      const jobs = src.jobs;
      new Gauge({
        name: 'ivr_job_last_success_timestamp_seconds',
        help: "when each job's last successful run ended (Unix time; from the database's job_runs, so it survives restarts); absent for a job that never succeeded",
        labelNames: ['job'],
        registers,
        collect() {
          this.reset();
          for (const j of jobs()) if (j.lastOkAt) this.set({ job: j.job }, Date.parse(j.lastOkAt) / 1000);
        },
      });
      new Gauge({
        name: 'ivr_job_last_run_failed',
        help: "1 when a job's latest run failed or was interrupted, 0 when it succeeded (or is running)",
        labelNames: ['job'],
        registers,
        collect() {
          this.reset();
          for (const j of jobs()) this.set({ job: j.job }, j.lastFailed ? 1 : 0);
        },
      });
    }
  }

  offerDelayMs(ms: number): void {
    this.offerDelay.observe(ms / 1000);
  }
  bookingCommitMs(ms: number): void {
    this.bookingCommit.observe(ms / 1000);
  }
  dispatchDelayMs(ms: number): void {
    this.dispatchDelay.observe(ms / 1000);
  }
  callEnded(dp: string, result: CallResult): void {
    this.calls.inc({ dp, result });
  }
  answeredAfter(dp: string, rings: number): void {
    this.rings.observe({ dp }, rings);
  }
  attemptEnded(dp: string, outcome: string): void {
    this.outcomes.inc({ dp, outcome });
  }
  ariReconnected(): void {
    this.reconnects.inc();
  }
  dbQuery(op: string, seconds: number): void {
    this.dbLatency.observe({ op }, seconds);
  }
  jobRun(job: string, status: string): void {
    this.jobs.inc({ job, status });
  }
  error(where: string): void {
    this.errors.inc({ where });
  }
  eventLoopDelay(seconds: number): void {
    this.loopDelay.observe(seconds);
  }
  writeDropped(): void {
    this.writesDropped.inc();
  }
  configReload(result: 'applied' | 'refused' | 'failed'): void {
    this.reloads.inc({ result });
  }
}
