// Report figures per directorate over a range of local days: the one place where they are
// computed, so that the CLI, the HTTP API and any export agree on every number. A read
// model: it only SELECTs, and the SQL lives here rather than in the repos because it
// aggregates across tables that the repos keep separate.
//
// Which instant puts a row into a day (always the directorate's local day):
//   - a call and everything that happened in it (offers, refusals, typed numbers): the
//     call's start, because call_events carry no directorate and a call must not be split
//     across two days when it straddles midnight;
//   - a callback request (bookings, status): its request time;
//   - a completed callback: the moment the caller was connected;
//   - a closed callback (attempts per callback): its closing time (updated_at, which
//     nothing moves once the request is closed);
//   - a callback attempt: its start;
//   - outcome codes, interventions, transfers: the moment they were recorded.
import { sqlEvent } from '../vocabulary/call-events';
import type { Db } from '../storage/database';
import type { Queryable } from '../storage/postgres/connection';
import { CALLBACK_STATUSES, type CallbackStatus } from '../vocabulary/callbacks';
import { addDays, localTime, zonedInstant, type LocalDate } from '../schedule/service-hours';
import { ReportRangeError } from '../errors';

export const DEFAULT_TIMEZONE = 'Europe/Rome';

export interface FigureRange {
  /** first local day, YYYY-MM-DD, inclusive */
  from: string;
  /** last local day, YYYY-MM-DD, inclusive */
  to: string;
  /** IANA zone of the local days; Europe/Rome when absent */
  timezone?: string;
}

/** A directorate by id (the range's time zone applies), or with its own time zone. */
export type DpSelector = string | { id: string; timezone: string };

export interface CodeCount {
  code: string;
  label: string;
  count: number;
  /** of which nobody keyed a code and the default was recorded */
  byDefault: number;
}

export interface UnitTransfers {
  unit: string;
  answered: number;
  notAnswered: number;
}

export interface Figures {
  callsReceived: number;
  answeredByOperator: number;
  /** mean of calls.ring_count over answered calls that rang the group; null when none */
  meanRingsBeforeAnswer: number | null;
  /** answered calls by the rings heard before the answer ("2": answered during the second ring) */
  answeredAfterRings: Record<string, number>;
  /** calls whose operator group rang out without an answer */
  ringUnanswered: number;
  /** calls that found no operator registered or free */
  noOperatorAvailable: number;
  /** callers who hung up neither answered by an operator nor with a booking, outside ringing */
  hungUpInIvr: number;
  /** the same, while the operators' phones were ringing */
  hungUpWhileRinging: number;
  /** calls in which a callback was offered (at least once) */
  callbackOffers: number;
  /** callback requests registered */
  bookings: number;
  /** of which, by whom they are for: 'operators', or an office ('unit:<id>') chosen in the menu */
  bookingsByGroup: Record<string, number>;
  /** refused booking attempts by reason (duplicate, number_cap, dp_capacity, no_window, ...) */
  bookingRefusals: Record<string, number>;
  /** typed callback numbers rejected by the number check, by reason */
  typedNumbersRejected: Record<string, number>;
  /** the requests booked in the range, by their status now */
  callbacksByStatus: Record<CallbackStatus, number>;
  /** requests whose caller was connected in the range */
  callbacksCompleted: number;
  /** from request to the caller connected, over callbacksCompleted; null when none */
  timeToCallback: { meanSeconds: number | null; p90Seconds: number | null };
  /** requests closed (done, failed, cancelled, expired) in the range */
  callbacksClosed: number;
  /** dials of the caller per closed request; null when none closed */
  meanCallerDialsPerClosedCallback: number | null;
  /** attempts started in the range by outcome; 'in_progress' for those not ended yet */
  attemptOutcomes: Record<string, number>;
  transfersByUnit: UnitTransfers[];
  operatorOutcomes: CodeCount[];
  unitInterventions: CodeCount[];
  /** the basic information given, by topic (keyed by phone after outcome 1, or recorded in the console) */
  topicsGiven: Record<string, number>;
  /** cases marked "needs follow-up" in the range, and items closed in it */
  followupsOpened: number;
  followupsClosed: number;
}

export interface DayFigures extends Figures {
  /** the local day, YYYY-MM-DD */
  date: string;
}

export interface DpFigures extends Figures {
  dp: string;
  from: string;
  to: string;
  timezone: string;
  /** the UTC instants bounding the range: [startUtc, endUtc) */
  startUtc: string;
  endUtc: string;
  /** one entry per local day, only when asked for */
  days?: DayFigures[];
}

export interface FigureOptions {
  byDay?: boolean;
}

/** The reasons a booking can be refused (BookRefusal in the IVR flow), always reported. */
export const BOOKING_REFUSAL_REASONS: readonly string[] = ['duplicate', 'number_cap', 'caller_cap', 'dp_capacity', 'no_window', 'unavailable'];

/**
 * The longest range one report may cover: a year (a leap year's 366 days). The figures are
 * computed day by day on request; a range of decades took 18 s and answered 49 MB. Longer
 * periods are the sum of yearly reports (or the daily report files).
 */
export const MAX_REPORT_DAYS = 366;
/** dates outside these years are typing mistakes, not history */
export const REPORT_YEARS = { first: 2000, last: 2099 } as const;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' naming a real calendar day; throws an Error naming the value otherwise. */
export function parseLocalDate(s: string): LocalDate {
  const m = DATE_RE.exec(s);
  if (!m) throw new Error(`invalid date '${s}': expected YYYY-MM-DD`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < REPORT_YEARS.first || year > REPORT_YEARS.last) throw new Error(`invalid date '${s}': the year must be between ${REPORT_YEARS.first} and ${REPORT_YEARS.last}`);
  // Date.UTC rolls 2026-02-30 over to March: a round trip catches days that do not exist
  const t = new Date(Date.UTC(year, month - 1, day));
  if (t.getUTCFullYear() !== year || t.getUTCMonth() !== month - 1 || t.getUTCDate() !== day) {
    throw new Error(`invalid date '${s}': there is no such day`);
  }
  return { year, month, day };
}

export function formatLocalDate(d: LocalDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

const compareDates = (a: LocalDate, b: LocalDate): number => a.year - b.year || a.month - b.month || a.day - b.day;

function checkTimezone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new Error(`invalid time zone '${tz}': expected an IANA name such as Europe/Rome`);
  }
}

/**
 * The UTC instant at which a local day starts. In a zone whose clocks jump over midnight
 * (not Rome, but the zone is a parameter) zonedInstant can settle on the previous evening;
 * the day then starts at the first quarter hour that shows it, since every offset change
 * in use happens on a quarter hour.
 */
function dayStart(d: LocalDate, tz: string): Date {
  let at = zonedInstant(d, 0, 0, tz).getTime();
  for (let i = 0; i < 12 && compareDates(localTime(new Date(at), tz), d) < 0; i++) at += 15 * 60_000;
  return new Date(at);
}

/** The directorates that appear anywhere in the data, sorted: for "all directorates". */
export function directoratesInDatabase(db: Db): string[] {
  const rows = db.prepare('SELECT dp FROM calls UNION SELECT dp FROM callbacks UNION SELECT dp FROM outcomes ORDER BY dp').all() as Array<{ dp: string }>;
  return rows.map((r) => r.dp);
}

// ---- queries ---------------------------------------------------------------------------------

interface Window {
  dp: string;
  from: string;
  to: string;
}

/** What the two engines spell differently; the rest of each query is the same text. */
interface Dialect {
  /** a JSON member of an event's data, as text */
  jsonText(col: string, key: string): string;
  /** a JSON member that is false */
  jsonFalse(col: string, key: string): string;
  /** a code's label: the latest one, if a code's label was ever reworded */
  latestLabel: string;
  /** an average, as a JavaScript number (PostgreSQL's AVG is numeric, read as text) */
  avg(expr: string): string;
}

const SQLITE: Dialect = {
  jsonText: (col, key) => `json_extract(${col}, '$.${key}')`,
  // JSON false is read back by json_extract as 0
  jsonFalse: (col, key) => `json_extract(${col}, '$.${key}') = 0`,
  // SQLite takes a bare column from the row that gave MAX()
  latestLabel: 'label, MAX(at) AS latest',
  avg: (e) => `AVG(${e})`,
};

const POSTGRES: Dialect = {
  jsonText: (col, key) => `(${col} ->> '${key}')`,
  jsonFalse: (col, key) => `(${col} -> '${key}') = 'false'::jsonb`,
  latestLabel: '(array_agg(label ORDER BY at DESC))[1] AS label',
  avg: (e) => `AVG(${e})::float8`,
};

/** The queries of one window (@dp, @from, @to; @kind for the codes), in an engine's spelling. */
function queries(d: Dialect) {
  return {
    calls: `
      SELECT COUNT(*) AS received,
        COUNT(c.answered_by) AS answered,
        ${d.avg('CASE WHEN c.answered_by IS NOT NULL THEN c.ring_count END')} AS "meanRings",
        COALESCE(SUM(CASE WHEN c.end_reason = 'caller_hangup' AND c.answered_by IS NULL AND c.callback_id IS NULL
          AND EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.type = ${sqlEvent('ringing_started')})
          AND NOT EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.type = ${sqlEvent('ringing_ended')}) THEN 1 ELSE 0 END), 0) AS "whileRinging",
        COALESCE(SUM(CASE WHEN c.end_reason = 'caller_hangup' AND c.answered_by IS NULL AND c.callback_id IS NULL THEN 1 ELSE 0 END), 0) AS "hungUp"
      FROM calls c WHERE c.dp = @dp AND c.started_at >= @from AND c.started_at < @to`,
    rings: `
      SELECT ring_count AS rings, COUNT(*) AS n FROM calls
      WHERE dp = @dp AND started_at >= @from AND started_at < @to AND answered_by IS NOT NULL AND ring_count IS NOT NULL
      GROUP BY 1 ORDER BY 1`,
    // an offer is repeated when the caller is sent back to it: count calls, not events
    callEvents: `
      SELECT COUNT(DISTINCT CASE WHEN e.type = ${sqlEvent('offer')} THEN e.call_id END) AS offered,
        COUNT(DISTINCT CASE WHEN e.type = ${sqlEvent('unanswered')} THEN e.call_id END) AS "ringUnanswered",
        COUNT(DISTINCT CASE WHEN e.type = ${sqlEvent('no_operator')} THEN e.call_id END) AS "noOperator"
      FROM call_events e JOIN calls c ON c.id = e.call_id
      WHERE c.dp = @dp AND c.started_at >= @from AND c.started_at < @to AND e.type IN (${sqlEvent('offer')}, ${sqlEvent('unanswered')}, ${sqlEvent('no_operator')})`,
    refusals: `
      SELECT COALESCE(${d.jsonText('e.data', 'reason')}, 'unknown') AS reason, COUNT(*) AS n
      FROM call_events e JOIN calls c ON c.id = e.call_id
      WHERE c.dp = @dp AND c.started_at >= @from AND c.started_at < @to AND e.type = ${sqlEvent('booking_refused')}
      GROUP BY 1 ORDER BY 1`,
    typedRejected: `
      SELECT COALESCE(${d.jsonText('e.data', 'reason')}, 'unknown') AS reason, COUNT(*) AS n
      FROM call_events e JOIN calls c ON c.id = e.call_id
      WHERE c.dp = @dp AND c.started_at >= @from AND c.started_at < @to AND e.type = ${sqlEvent('number_typed')} AND ${d.jsonFalse('e.data', 'ok')}
      GROUP BY 1 ORDER BY 1`,
    byStatus: `
      SELECT status, COUNT(*) AS n FROM callbacks
      WHERE dp = @dp AND requested_at >= @from AND requested_at < @to GROUP BY status`,
    byGroup: `
      SELECT callback_group AS grp, COUNT(*) AS n FROM callbacks
      WHERE dp = @dp AND requested_at >= @from AND requested_at < @to GROUP BY callback_group ORDER BY callback_group`,
    completed: `
      SELECT c.requested_at AS "requestedAt", a.connected_at AS "connectedAt"
      FROM callbacks c JOIN callback_attempts a ON a.callback_id = c.id AND a.outcome = 'connected'
      WHERE c.dp = @dp AND c.status = 'done' AND a.connected_at >= @from AND a.connected_at < @to`,
    closed: `
      SELECT COUNT(*) AS n, ${d.avg('attempts')} AS "meanDials" FROM callbacks
      WHERE dp = @dp AND status IN ('done', 'failed', 'cancelled', 'expired') AND updated_at >= @from AND updated_at < @to`,
    attempts: `
      SELECT COALESCE(a.outcome, 'in_progress') AS outcome, COUNT(*) AS n
      FROM callback_attempts a JOIN callbacks c ON c.id = a.callback_id
      WHERE c.dp = @dp AND a.started_at >= @from AND a.started_at < @to
      GROUP BY 1 ORDER BY 1`,
    transfers: `
      SELECT COALESCE(unit, '') AS unit,
        SUM(CASE WHEN code = 'answered' THEN 1 ELSE 0 END) AS answered,
        SUM(CASE WHEN code = 'answered' THEN 0 ELSE 1 END) AS "notAnswered"
      FROM outcomes WHERE dp = @dp AND kind = 'transfer' AND at >= @from AND at < @to
      GROUP BY 1 ORDER BY 1`,
    topics: `
      SELECT info AS topic, COUNT(*) AS n FROM notes
      WHERE dp = @dp AND info IS NOT NULL AND at >= @from AND at < @to GROUP BY info ORDER BY info`,
    followups: `
      SELECT SUM(CASE WHEN opened_at >= @from AND opened_at < @to THEN 1 ELSE 0 END) AS opened,
        SUM(CASE WHEN status = 'closed' AND closed_at >= @from AND closed_at < @to THEN 1 ELSE 0 END) AS closed
      FROM followups WHERE dp = @dp AND (opened_at >= @from AND opened_at < @to OR closed_at >= @from AND closed_at < @to)`,
    // one row per code, so that a metric name is unique even if a code's label was ever reworded
    operatorCodes: `
      SELECT code, ${d.latestLabel}, COUNT(*) AS count, SUM(by_default) AS "byDefault"
      FROM outcomes WHERE dp = @dp AND kind = 'operator' AND at >= @from AND at < @to
      GROUP BY code ORDER BY code`,
    unitCodes: `
      SELECT code, ${d.latestLabel}, COUNT(*) AS count, SUM(by_default) AS "byDefault"
      FROM outcomes WHERE dp = @dp AND kind = 'unit' AND at >= @from AND at < @to
      GROUP BY code ORDER BY code`,
  };
}

type QueryName = keyof ReturnType<typeof queries>;
/** The rows of each query for one window. */
type WindowRows = Record<QueryName, Array<Record<string, unknown>>>;
const QUERY_NAMES = Object.keys(queries(SQLITE)) as QueryName[];

/** One box: the queries prepared once per report, reused for every directorate and day. */
function sqliteRows(db: Db): (w: Window) => WindowRows {
  const q = queries(SQLITE);
  const prepared = QUERY_NAMES.map((name) => [name, db.prepare(q[name])] as const);
  return (w) => Object.fromEntries(prepared.map(([name, st]) => [name, st.all(w) as Array<Record<string, unknown>>])) as WindowRows;
}

/** The cluster's shared database: the same queries, their @names as $n. */
function postgresRows(pool: Queryable): (w: Window) => Promise<WindowRows> {
  const q = queries(POSTGRES);
  const order = ['dp', 'from', 'to'] as const;
  const texts = QUERY_NAMES.map((name) => [name, q[name].replace(/@(dp|from|to)\b/g, (_, k: string) => `$${order.indexOf(k as (typeof order)[number]) + 1}`)] as const);
  return async (w) => Object.fromEntries(await Promise.all(texts.map(async ([name, sql]) => [name, (await pool.query(sql, [w.dp, w.from, w.to])).rows] as const))) as WindowRows;
}

const round = (x: number | null, digits: number): number | null => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/** Nearest-rank percentile: always one of the observed values, none interpolated. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

const counts = (rows: Array<{ key: string; n: number }>, always: readonly string[] = []): Record<string, number> => {
  const out: Record<string, number> = Object.fromEntries(always.map((k) => [k, 0]));
  for (const r of rows) out[r.key] = (out[r.key] ?? 0) + r.n;
  return out;
};

/** The figures of one window from its rows: the same arithmetic whichever engine gave them. */
function figuresOf(r: WindowRows): Figures {
  const calls = r.calls[0] as { received: number; answered: number; meanRings: number | null; whileRinging: number; hungUp: number };
  const ev = r.callEvents[0] as { offered: number; ringUnanswered: number; noOperator: number };
  const refusals = r.refusals as Array<{ reason: string; n: number }>;
  const typed = r.typedRejected as Array<{ reason: string; n: number }>;
  const statuses = r.byStatus as Array<{ status: string; n: number }>;
  const done = r.completed as Array<{ requestedAt: string; connectedAt: string }>;
  const closed = r.closed[0] as { n: number; meanDials: number | null };
  const attempts = r.attempts as Array<{ outcome: string; n: number }>;
  const transfers = r.transfers as unknown as UnitTransfers[];
  const followups = r.followups[0] as { opened: number | null; closed: number | null };
  const codes = (rows: Array<Record<string, unknown>>): CodeCount[] =>
    (rows as unknown as CodeCount[]).map((c) => ({ code: c.code, label: c.label, count: c.count, byDefault: c.byDefault }));

  const waits = done.map((x) => (Date.parse(x.connectedAt) - Date.parse(x.requestedAt)) / 1000);
  const byStatus = counts(
    statuses.map((x) => ({ key: x.status, n: x.n })),
    CALLBACK_STATUSES,
  ) as Record<CallbackStatus, number>;
  return {
    callsReceived: calls.received,
    answeredByOperator: calls.answered,
    meanRingsBeforeAnswer: round(calls.meanRings, 2),
    answeredAfterRings: counts((r.rings as Array<{ rings: number; n: number }>).map((x) => ({ key: String(x.rings), n: x.n }))),
    ringUnanswered: ev.ringUnanswered,
    noOperatorAvailable: ev.noOperator,
    hungUpInIvr: calls.hungUp - calls.whileRinging,
    hungUpWhileRinging: calls.whileRinging,
    callbackOffers: ev.offered,
    bookings: CALLBACK_STATUSES.reduce((sum, x) => sum + byStatus[x], 0),
    bookingsByGroup: counts(
      (r.byGroup as Array<{ grp: string; n: number }>).map((x) => ({ key: x.grp, n: x.n })),
      ['operators'],
    ),
    bookingRefusals: counts(
      refusals.map((x) => ({ key: x.reason, n: x.n })),
      BOOKING_REFUSAL_REASONS,
    ),
    typedNumbersRejected: counts(typed.map((x) => ({ key: x.reason, n: x.n }))),
    callbacksByStatus: byStatus,
    callbacksCompleted: done.length,
    timeToCallback: {
      meanSeconds: round(waits.length ? waits.reduce((a, b) => a + b, 0) / waits.length : null, 1),
      p90Seconds: round(percentile(waits, 90), 1),
    },
    callbacksClosed: closed.n,
    meanCallerDialsPerClosedCallback: round(closed.meanDials, 2),
    attemptOutcomes: counts(attempts.map((x) => ({ key: x.outcome, n: x.n }))),
    transfersByUnit: transfers.map((x) => ({ unit: x.unit, answered: x.answered, notAnswered: x.notAnswered })),
    operatorOutcomes: codes(r.operatorCodes),
    unitInterventions: codes(r.unitCodes),
    topicsGiven: counts((r.topics as Array<{ topic: string; n: number }>).map((x) => ({ key: x.topic, n: x.n }))),
    followupsOpened: followups.opened ?? 0,
    followupsClosed: followups.closed ?? 0,
  };
}

/** Both ends parsed, in order, at most MAX_REPORT_DAYS days apart; else a ReportRangeError naming the problem. */
export function checkReportRange(from: string, to: string): { first: LocalDate; last: LocalDate; days: number } {
  let first: LocalDate;
  let last: LocalDate;
  try {
    first = parseLocalDate(from);
    last = parseLocalDate(to);
  } catch (err) {
    throw new ReportRangeError((err as Error).message);
  }
  if (compareDates(first, last) > 0) throw new ReportRangeError(`invalid range: ${from} is after ${to}`);
  const days = Math.round((Date.UTC(last.year, last.month - 1, last.day) - Date.UTC(first.year, first.month - 1, first.day)) / 86_400_000) + 1;
  if (days > MAX_REPORT_DAYS) throw new ReportRangeError(`the range ${from}..${to} covers ${days} days: at most ${MAX_REPORT_DAYS} per report (ask for one year at a time)`);
  return { first, last, days };
}

/** A report's windows: each directorate's whole range, and its days when asked for. */
interface ReportPlan {
  out: Array<Omit<DpFigures, keyof Figures | 'days'> & { whole: Window; days?: Array<{ date: string; window: Window }> }>;
}

function plan(dps: readonly DpSelector[], range: FigureRange, opts: FigureOptions): ReportPlan {
  const { first, last } = checkReportRange(range.from, range.to);
  return {
    out: dps.map((sel) => {
      const dp = typeof sel === 'string' ? sel : sel.id;
      const tz = typeof sel === 'string' ? (range.timezone ?? DEFAULT_TIMEZONE) : sel.timezone;
      checkTimezone(tz);
      const start = dayStart(first, tz);
      const end = dayStart(addDays(last, 1), tz);
      const days: Array<{ date: string; window: Window }> = [];
      if (opts.byDay)
        for (let d = first; compareDates(d, last) <= 0; d = addDays(d, 1))
          days.push({ date: formatLocalDate(d), window: { dp, from: dayStart(d, tz).toISOString(), to: dayStart(addDays(d, 1), tz).toISOString() } });
      return {
        dp,
        from: formatLocalDate(first),
        to: formatLocalDate(last),
        timezone: tz,
        startUtc: start.toISOString(),
        endUtc: end.toISOString(),
        whole: { dp, from: start.toISOString(), to: end.toISOString() },
        ...(opts.byDay ? { days } : {}),
      };
    }),
  };
}

function shape(p: ReportPlan['out'][number], whole: Figures, days: Figures[] | undefined): DpFigures {
  const { whole: _w, days: plannedDays, ...head } = p;
  const out: DpFigures = { ...head, ...whole };
  if (plannedDays && days) out.days = plannedDays.map((d, i) => ({ date: d.date, ...days[i]! }));
  return out;
}

/**
 * The figures of each directorate (in the order given) for the local days from..to,
 * inclusive. Throws on a malformed date, an unknown time zone or from after to.
 */
export function computeFigures(db: Db, dps: readonly DpSelector[], range: FigureRange, opts: FigureOptions = {}): DpFigures[] {
  const p = plan(dps, range, opts);
  const rows = sqliteRows(db);
  return p.out.map((x) =>
    shape(
      x,
      figuresOf(rows(x.whole)),
      x.days?.map((d) => figuresOf(rows(d.window))),
    ),
  );
}

/** The same figures from the cluster's shared database: the same queries and arithmetic. */
export async function computeFiguresShared(pool: Queryable, dps: readonly DpSelector[], range: FigureRange, opts: FigureOptions = {}): Promise<DpFigures[]> {
  const p = plan(dps, range, opts);
  const rows = postgresRows(pool);
  return Promise.all(p.out.map(async (x) => shape(x, figuresOf(await rows(x.whole)), x.days && (await Promise.all(x.days.map(async (d) => figuresOf(await rows(d.window))))))));
}
