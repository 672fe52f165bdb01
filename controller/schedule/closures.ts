// Extraordinary closures (ivrctl dp close, the console): when one is live, callers hear its
// message instead of the menu and, per its flag, the callback offer for the next open window;
// no callback is placed during it. Pure: the time the sysadmin typed, the spoken "until", the
// closure live at an instant.
import type { Weekday } from '../config/schema';
import type { Lang } from '../config/languages';
import { addDays, localTime, zonedInstant, type ClosedInterval } from './service-hours';
import { ClosureTimeError } from '../errors';

export interface Closure extends ClosedInterval {
  id: number;
  dp: string;
  messageIt: string | null;
  messageEn: string | null;
  offerCallback: boolean;
  /** when it was decided: the reference of a spoken "today" */
  createdAt: Date;
}

/** What callers' flows and the dispatcher ask about closures (schedule/closures-service.ts). */
export interface ClosureView {
  /** the closure of `dp` live at `at`; spoken: its own message is built (else the generic one is played) */
  live(dp: string, at: Date): { closure: Closure; spoken: boolean } | undefined;
  /** the closures of `dp` not yet over: no service window inside them */
  intervals(dp: string): readonly ClosedInterval[];
}

/** longer closures belong in the configuration (hours, localHolidays) */
export const MAX_CLOSURE_DAYS = 31;

/**
 * The end of a closure as a sysadmin types it, in the directorate's time zone: "14:30"
 * (today), "2026-12-03 12:00" or "2026-12-03T12:00", "2026-12-03" (the start of that day:
 * closed through the day before), or an ISO 8601 instant with its offset. It must lie in
 * the future and within MAX_CLOSURE_DAYS.
 */
export function parseUntil(text: string, now: Date, tz: string): Date {
  const s = text.trim();
  let at: Date | undefined;
  let m: RegExpExecArray | null;
  const today = localTime(now, tz);
  if ((m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s))) at = zonedInstant(today, Number(m[1]), Number(m[2]), tz);
  else if ((m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ]([01]\d|2[0-3]):([0-5]\d))?$/.exec(s))) {
    const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
    const check = new Date(Date.UTC(d.year, d.month - 1, d.day));
    if (check.getUTCMonth() !== d.month - 1 || check.getUTCDate() !== d.day) throw new ClosureTimeError(`"${text}" is not a date`);
    at = zonedInstant(d, Number(m[4] ?? 0), Number(m[5] ?? 0), tz);
  } else if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(s)) at = new Date(s);
  if (!at || Number.isNaN(at.getTime())) throw new ClosureTimeError(`"${text}": expected HH:MM (today), YYYY-MM-DD, YYYY-MM-DD HH:MM or an ISO 8601 time`);
  if (at.getTime() <= now.getTime() + 60_000) throw new ClosureTimeError(`"${text}" is not in the future`);
  if (at.getTime() > now.getTime() + MAX_CLOSURE_DAYS * 86_400_000)
    throw new ClosureTimeError(`"${text}" is more than ${MAX_CLOSURE_DAYS} days ahead: put a longer closure in the configuration's hours or localHolidays`);
  return at;
}

/** The closure of `dp` live at `at`, if any (the newest when several overlap). */
export function closureAt(closures: readonly Closure[], dp: string, at: Date): Closure | undefined {
  let found: Closure | undefined;
  for (const c of closures) if (c.dp === dp && at >= c.from && at < c.until && (!found || c.id > found.id)) found = c;
  return found;
}

/** How each language says the end of a closure. */
interface UntilPhrasing {
  months: string[];
  days: Record<Weekday, string>;
  time(h: number, m: number): string;
  /** the closure ends at midnight today: closed for the rest of the day */
  today: string;
  /** through the whole of a day (it ends at the midnight after it) */
  through(weekday: string, day: number, month: string): string;
  /** until a time today */
  untilToday(time: string): string;
  /** until a time on another day */
  until(time: string, weekday: string, day: number, month: string): string;
}

const UNTIL: Record<Lang, UntilPhrasing> = {
  it: {
    months: ['gennaio', 'febbraio', 'marzo', 'aprile', 'maggio', 'giugno', 'luglio', 'agosto', 'settembre', 'ottobre', 'novembre', 'dicembre'],
    days: { mon: 'lunedì', tue: 'martedì', wed: 'mercoledì', thu: 'giovedì', fri: 'venerdì', sat: 'sabato', sun: 'domenica' },
    time: (h, m) => `${h === 1 ? "all'una" : `alle ${h}`}${m ? ` e ${m}` : ''}`,
    today: 'per tutta la giornata di oggi',
    through: (wd, d, mo) => `fino a ${wd} ${d} ${mo} compreso`,
    untilToday: (t) => `fino ${t}`,
    until: (t, wd, d, mo) => `fino ${t} di ${wd} ${d} ${mo}`,
  },
  en: {
    months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
    days: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' },
    time: (h, m) => `${h}${m ? `:${String(m).padStart(2, '0')}` : ''}`,
    today: 'for the rest of today',
    through: (wd, d, mo) => `through ${wd} ${d} ${mo}`,
    untilToday: (t) => `until ${t} today`,
    until: (t, wd, d, mo) => `until ${t} on ${wd} ${d} ${mo}`,
  },
  // "Die Landesdirektion ... ist <until> ausnahmsweise geschlossen"
  de: {
    months: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
    days: { mon: 'Montag', tue: 'Dienstag', wed: 'Mittwoch', thu: 'Donnerstag', fri: 'Freitag', sat: 'Samstag', sun: 'Sonntag' },
    time: (h, m) => `${h} Uhr${m ? ` ${m}` : ''}`,
    today: 'den ganzen heutigen Tag',
    through: (wd, d, mo) => `bis einschließlich ${wd}, ${d}. ${mo},`,
    untilToday: (t) => `heute bis ${t}`,
    until: (t, wd, d, mo) => `bis ${wd}, ${d}. ${mo}, ${t}`,
  },
  fr: {
    months: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
    days: { mon: 'lundi', tue: 'mardi', wed: 'mercredi', thu: 'jeudi', fri: 'vendredi', sat: 'samedi', sun: 'dimanche' },
    time: (h, m) => `${h} ${h === 1 ? 'heure' : 'heures'}${m ? ` ${m}` : ''}`,
    today: 'pour toute la journée',
    through: (wd, d, mo) => `jusqu'au ${wd} ${d === 1 ? '1er' : d} ${mo} inclus`,
    untilToday: (t) => `jusqu'à ${t}`,
    until: (t, wd, d, mo) => `jusqu'à ${t} le ${wd} ${d === 1 ? '1er' : d} ${mo}`,
  },
};

/**
 * "fino alle 14 e 30", "fino alle 12 di giovedì 3 dicembre", "fino a martedì 1 dicembre
 * compreso" (an end at midnight); the other languages alike. Spoken relative to `now`.
 */
export function spokenUntil(until: Date, now: Date, tz: string, lang: Lang): string {
  const p = UNTIL[lang];
  const u = localTime(until, tz);
  const n = localTime(now, tz);
  const sameDay = (a: { year: number; month: number; day: number }, b: typeof a): boolean => a.year === b.year && a.month === b.month && a.day === b.day;
  if (u.hour === 0 && u.minute === 0) {
    // closed through the day before
    const d = addDays(u, -1);
    const wd = localTime(zonedInstant(d, 12, 0, tz), tz).weekday;
    if (sameDay(d, n)) return p.today;
    return p.through(p.days[wd], d.day, p.months[d.month - 1]!);
  }
  const time = p.time(u.hour, u.minute);
  if (sameDay(u, n)) return p.untilToday(time);
  return p.until(time, p.days[u.weekday], u.day, p.months[u.month - 1]!);
}
