// Renders the figures of figures.ts for people and spreadsheets: an aligned text table, CSV
// and JSON. Table and CSV are both built from reportRows(), so they can never disagree on
// a metric's name, label or value.
import type { CodeCount, DpFigures, Figures } from './figures';

export interface ReportRow {
  dp: string;
  /** the period of the row: the whole range, or one day (from = to) */
  from: string;
  to: string;
  /** stable machine name, e.g. "bookingRefusals.duplicate" */
  metric: string;
  label: string;
  labelIt: string;
  value: number | null;
}

export interface RowOptions {
  /** also one block of rows per local day, when the figures carry them */
  days?: boolean;
}

const REFUSAL_IT: Record<string, string> = {
  duplicate: 'richiesta già in attesa',
  number_cap: 'limite giornaliero del numero',
  dp_capacity: 'capienza giornaliera della DP',
  no_window: 'nessuna fascia di servizio',
};

const NUMBER_REJECTED_IT: Record<string, string> = {
  international: 'internazionale',
  premium: 'a tariffazione speciale',
  short: 'troppo corto',
  invalid: 'non valido',
};

const STATUS_IT: Record<string, string> = {
  pending: 'in attesa',
  dialing: 'in corso',
  done: 'completata',
  failed: 'non riuscita',
  cancelled: 'annullata',
  expired: 'scaduta',
};

const ATTEMPT_IT: Record<string, string> = {
  connected: 'collegato',
  no_answer: 'nessuna risposta',
  busy: 'occupato',
  rejected: 'rifiutata',
  unreachable: 'non raggiungibile',
  failed: 'errore',
  no_confirmation: 'nessuna conferma',
  operator_passed: 'operatore non disponibile',
  operator_no_answer: "l'operatore non ha risposto",
  operator_hangup: "l'operatore ha riagganciato",
  interrupted: 'interrotto',
  cancelled: 'annullato',
  in_progress: 'in corso',
};

// the labels stored with the codes (controller/conversation/codes.ts)
const CODE_LABEL_IT: Record<string, string> = {
  basic_information_given: 'informazioni di base fornite',
  transferred: 'trasferita',
  wrong_number: 'numero errato',
  needs_follow_up: 'da ricontattare',
  handled: 'gestita',
  not_competent: 'non di competenza',
};

const inItalian = (dict: Record<string, string>, key: string): string => dict[key] ?? key;

type Metric = Omit<ReportRow, 'dp' | 'from' | 'to'>;

const m = (metric: string, label: string, labelIt: string, value: number | null): Metric => ({ metric, label, labelIt, value });

function codeRows(prefix: string, en: string, itName: string, codes: CodeCount[]): Metric[] {
  return [
    ...codes.map((c) => m(`${prefix}.${c.code}`, `${en} ${c.code} (${c.label})`, `${itName} ${c.code} (${inItalian(CODE_LABEL_IT, c.label)})`, c.count)),
    m(
      `${prefix}.byDefault`,
      `${en}s recorded by default (no key)`,
      `${itName} registrati d'ufficio (nessun tasto)`,
      codes.reduce((sum, c) => sum + c.byDefault, 0),
    ),
  ];
}

/** The metrics of one period, in reading order. */
function metrics(f: Figures): Metric[] {
  return [
    m('callsReceived', 'Calls received', 'Chiamate ricevute', f.callsReceived),
    m('answeredByOperator', 'Answered by an operator', 'Risposte da un operatore', f.answeredByOperator),
    m('meanRingsBeforeAnswer', 'Mean rings before answer', 'Squilli medi prima della risposta', f.meanRingsBeforeAnswer),
    ...Object.entries(f.answeredAfterRings).map(([k, v]) => m(`answeredAfterRings.${k}`, `Answered during ring ${k}`, `Risposte al ${k}° squillo`, v)),
    m('ringUnanswered', 'Operators rang, no answer', 'Squilli agli operatori senza risposta', f.ringUnanswered),
    m('noOperatorAvailable', 'No operator available', 'Nessun operatore disponibile', f.noOperatorAvailable),
    m('hungUpInIvr', 'Caller hung up in the IVR', 'Abbandoni nel risponditore', f.hungUpInIvr),
    m('hungUpWhileRinging', 'Caller hung up while ringing', 'Abbandoni durante gli squilli', f.hungUpWhileRinging),
    m('callbackOffers', 'Calls offered a callback', 'Chiamate con offerta di richiamata', f.callbackOffers),
    m('bookings', 'Callbacks booked', 'Richiamate prenotate', f.bookings),
    ...Object.entries(f.bookingsByGroup).map(([k, v]) =>
      m(
        `bookingsByGroup.${k}`,
        `Callbacks booked for ${k === 'operators' ? 'the operators' : k.slice(5)}`,
        `Richiamate prenotate per ${k === 'operators' ? 'gli operatori' : `l'ufficio ${k.slice(5)}`}`,
        v,
      ),
    ),
    ...Object.entries(f.bookingRefusals).map(([k, v]) => m(`bookingRefusals.${k}`, `Booking refused: ${k}`, `Prenotazione rifiutata: ${inItalian(REFUSAL_IT, k)}`, v)),
    ...Object.entries(f.typedNumbersRejected).map(([k, v]) =>
      m(`typedNumbersRejected.${k}`, `Typed number rejected: ${k}`, `Numero digitato respinto: ${inItalian(NUMBER_REJECTED_IT, k)}`, v),
    ),
    ...Object.entries(f.callbacksByStatus).map(([k, v]) => m(`callbacksByStatus.${k}`, `Callbacks booked, now ${k}`, `Richiamate prenotate, ora ${inItalian(STATUS_IT, k)}`, v)),
    m('callbacksCompleted', 'Callbacks completed', 'Richiamate completate', f.callbacksCompleted),
    m('timeToCallback.meanSeconds', 'Request to callback, mean (s)', 'Attesa media dalla richiesta alla richiamata (s)', f.timeToCallback.meanSeconds),
    m('timeToCallback.p90Seconds', 'Request to callback, 90th percentile (s)', 'Attesa dalla richiesta alla richiamata, 90° percentile (s)', f.timeToCallback.p90Seconds),
    m('callbacksClosed', 'Callbacks closed', 'Richiamate chiuse', f.callbacksClosed),
    m('meanCallerDialsPerClosedCallback', 'Caller dials per closed callback, mean', 'Tentativi medi per richiamata chiusa', f.meanCallerDialsPerClosedCallback),
    ...Object.entries(f.attemptOutcomes).map(([k, v]) => m(`attemptOutcomes.${k}`, `Callback attempts: ${k}`, `Tentativi di richiamata: ${inItalian(ATTEMPT_IT, k)}`, v)),
    ...f.transfersByUnit.flatMap((t) => [
      m(`transfers.${t.unit}.answered`, `Transfers to ${t.unit}, answered`, `Trasferimenti a ${t.unit}, con risposta`, t.answered),
      m(`transfers.${t.unit}.notAnswered`, `Transfers to ${t.unit}, not answered`, `Trasferimenti a ${t.unit}, senza risposta`, t.notAnswered),
    ]),
    ...codeRows('operatorOutcomes', 'Operator outcome', 'Esito operatore', f.operatorOutcomes),
    ...codeRows('unitInterventions', 'Unit intervention', "Intervento dell'ufficio", f.unitInterventions),
    ...Object.entries(f.topicsGiven).map(([k, v]) => m(`topicsGiven.${k}`, `Information given: ${k}`, `Informazione fornita: ${k}`, v)),
    m('followupsOpened', 'Follow-up items opened', 'Seguiti aperti', f.followupsOpened),
    m('followupsClosed', 'Follow-up items closed', 'Seguiti chiusi', f.followupsClosed),
  ];
}

/** One row per directorate, period and metric: the long form shared by table and CSV. */
export function reportRows(figs: readonly DpFigures[], opts: RowOptions = {}): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const f of figs) {
    rows.push(...metrics(f).map((x) => ({ dp: f.dp, from: f.from, to: f.to, ...x })));
    if (opts.days) for (const d of f.days ?? []) rows.push(...metrics(d).map((x) => ({ dp: f.dp, from: d.date, to: d.date, ...x })));
  }
  return rows;
}

// ---- CSV ---------------------------------------------------------------------------------------

const CSV_HEADER = ['dp', 'from', 'to', 'metric', 'label', 'label_it', 'value'];

/**
 * How a spreadsheet will read the file: `en` (the default: "," between fields, "." in
 * numbers, what every program reads) or `it` (";" and a decimal comma, what a spreadsheet
 * with Italian regional settings expects when the file is opened with a double click).
 */
export type CsvLocale = 'en' | 'it';
export const CSV_LOCALES: readonly CsvLocale[] = ['en', 'it'];

/** RFC 4180: quoted only when needed, quotes doubled; numbers with the locale's decimal mark. */
export function csvField(v: string | number | null, locale: CsvLocale = 'en'): string {
  const sep = locale === 'it' ? ';' : ',';
  const s = v === null ? '' : typeof v === 'number' && locale === 'it' ? String(v).replace('.', ',') : String(v);
  return s.includes(sep) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV with CRLF line ends and a leading BOM: without the BOM Excel reads the file in the
 * local ANSI code page and mangles "Attesa ... 90°" and the like.
 */
export function toCsv(figs: readonly DpFigures[], opts: RowOptions & { locale?: CsvLocale } = {}): string {
  const locale = opts.locale ?? 'en';
  const sep = locale === 'it' ? ';' : ',';
  const lines = [CSV_HEADER.join(sep)];
  for (const r of reportRows(figs, opts)) lines.push([r.dp, r.from, r.to, r.metric, r.label, r.labelIt, r.value].map((v) => csvField(v, locale)).join(sep));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

// ---- table -------------------------------------------------------------------------------------

const show = (v: number | null): string => (v === null ? '-' : String(v));

/**
 * Metrics down, directorates across: one block per period. A metric that only some
 * directorates have (a unit, an attempt outcome, a code) is a count that did not happen
 * elsewhere, so it shows 0 there.
 */
export function toTable(figs: readonly DpFigures[], opts: RowOptions = {}): string {
  const rows = reportRows(figs, opts);
  const periods = [...new Set(rows.map((r) => `${r.from}\u0000${r.to}`))];
  const dps = [...new Set(rows.map((r) => r.dp))];
  const blocks: string[] = [];
  for (const p of periods) {
    const [from, to] = p.split('\u0000') as [string, string];
    const inPeriod = rows.filter((r) => r.from === from && r.to === to);
    const order: string[] = [];
    const label = new Map<string, string>();
    const value = new Map<string, string>();
    for (const r of inPeriod) {
      if (!label.has(r.metric)) {
        order.push(r.metric);
        label.set(r.metric, r.label);
      }
      value.set(`${r.metric}\u0000${r.dp}`, show(r.value));
    }
    const header = [from === to ? from : `${from} .. ${to}`, ...dps];
    const body = order.map((k) => [label.get(k)!, ...dps.map((dp) => value.get(`${k}\u0000${dp}`) ?? '0')]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    // labels left-aligned, numbers right-aligned so that digits line up
    const line = (cells: string[]): string =>
      cells
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd();
    blocks.push([line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}

// ---- JSON --------------------------------------------------------------------------------------

export function toJson(figs: readonly DpFigures[]): string {
  return `${JSON.stringify(figs, null, 2)}\n`;
}
