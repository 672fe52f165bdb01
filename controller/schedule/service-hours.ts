// Service hours in the directorate's time zone: weekly windows, Italian national holidays
// (with Easter Monday computed) and local holidays. Pure: every function takes the instant
// it reasons about.
import type { ServiceHours, Weekday } from '../config/schema';

const WEEKDAY_OF_INDEX: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface LocalDate {
  year: number;
  month: number; // 1..12
  day: number;
}

export interface LocalTime extends LocalDate {
  hour: number;
  minute: number;
  weekday: Weekday;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall-clock time of an instant in a time zone. */
export function localTime(at: Date, tz: string): LocalTime {
  const parts = Object.fromEntries(
    formatter(tz)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: (parts.weekday as string).toLowerCase().slice(0, 3) as Weekday,
  };
}

/** The instant at which the wall clock of `tz` shows the given local date and time. */
export function zonedInstant(d: LocalDate, hour: number, minute: number, tz: string): Date {
  const asUtc = Date.UTC(d.year, d.month - 1, d.day, hour, minute);
  let guess = asUtc;
  // two rounds settle the offset, including on DST change days
  for (let i = 0; i < 2; i++) {
    const lt = localTime(new Date(guess), tz);
    const shown = Date.UTC(lt.year, lt.month - 1, lt.day, lt.hour, lt.minute);
    guess += asUtc - shown;
  }
  return new Date(guess);
}

/** Easter Sunday (Gregorian), by the anonymous (Meeus/Jones/Butcher) algorithm. */
export function easterSunday(year: number): LocalDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { year, month, day };
}

export function addDays(d: LocalDate, n: number): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

const mmdd = (d: LocalDate): string => `${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

/** Italian national holidays of a year as "MM-DD". */
export function italianNationalHolidays(year: number): string[] {
  const fixed = ['01-01', '01-06', '04-25', '05-01', '06-02', '08-15', '11-01', '12-08', '12-25', '12-26'];
  // St Francis of Assisi (4 October) is a national holiday again from 2026 (law 151/2025)
  if (year >= 2026) fixed.push('10-04');
  return [...fixed, mmdd(addDays(easterSunday(year), 1))].sort();
}

export function isHoliday(hours: ServiceHours, d: LocalDate): boolean {
  const key = mmdd(d);
  if (hours.nationalHolidays && italianNationalHolidays(d.year).includes(key)) return true;
  return hours.localHolidays.some((h) => h === key || h === `${d.year}-${key}`);
}

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

function windowsOf(hours: ServiceHours, d: LocalDate): Array<[number, number]> {
  if (isHoliday(hours, d)) return [];
  const weekday = WEEKDAY_OF_INDEX[new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay()]!;
  return (hours.weekly[weekday] ?? []).map((w) => w.split('-').map(minutes) as [number, number]).sort((a, b) => a[0] - b[0]);
}

/** An extraordinary closure: closed from `from` (inclusive) to `until` (exclusive), whatever the hours say. */
export interface ClosedInterval {
  from: Date;
  until: Date;
}

export function isOpen(hours: ServiceHours, at: Date, closed: readonly ClosedInterval[] = []): boolean {
  const lt = localTime(at, hours.timezone);
  const now = lt.hour * 60 + lt.minute;
  if (closed.some((c) => at >= c.from && at < c.until)) return false;
  return windowsOf(hours, lt).some(([a, b]) => now >= a && now < b);
}

export interface ServiceWindow {
  start: Date;
  end: Date;
}

/** [start, end) minus the closures that overlap it: zero, one or more pieces, in order. */
function withoutClosures(start: number, end: number, closed: readonly ClosedInterval[]): Array<[number, number]> {
  let pieces: Array<[number, number]> = [[start, end]];
  for (const c of closed) {
    const [from, until] = [c.from.getTime(), c.until.getTime()];
    pieces = pieces.flatMap(([a, b]): Array<[number, number]> => {
      if (until <= a || from >= b) return [[a, b]];
      return [...(from > a ? [[a, from] as [number, number]] : []), ...(until < b ? [[until, b] as [number, number]] : [])];
    });
  }
  return pieces;
}

/** The window open at `at`, or the next one to open (searching a year ahead); closures cut windows short or remove them. */
export function currentOrNextWindow(hours: ServiceHours, at: Date, closed: readonly ClosedInterval[] = []): ServiceWindow | undefined {
  const tz = hours.timezone;
  const today = localTime(at, tz);
  for (let i = 0; i <= 370; i++) {
    const d = addDays(today, i);
    for (const [a, b] of windowsOf(hours, d)) {
      const start = zonedInstant(d, Math.floor(a / 60), a % 60, tz).getTime();
      const end = zonedInstant(d, Math.floor(b / 60), b % 60, tz).getTime();
      for (const [s, e] of withoutClosures(start, end, closed)) if (e > at.getTime()) return { start: new Date(Math.max(s, at.getTime())), end: new Date(e) };
    }
  }
  return undefined;
}

/** "today" when the window is on the same local day as `at`, else "later". */
export function sameLocalDay(a: Date, b: Date, tz: string): boolean {
  const x = localTime(a, tz);
  const y = localTime(b, tz);
  return x.year === y.year && x.month === y.month && x.day === y.day;
}

const stampFormatters = new Map<string, Intl.DateTimeFormat>();

/** "2026-11-26 17:48:05 CET" for an instant, in `tz` (default Europe/Rome). */
export function localStamp(at: string | Date, tz = 'Europe/Rome'): string {
  let f = stampFormatters.get(tz);
  if (!f) {
    // en-GB names the Italian zones CET / CEST (en-US would say GMT+1)
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
    stampFormatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(typeof at === 'string' ? new Date(at) : at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}
