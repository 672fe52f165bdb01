// End of a service window: the requests the operators did not reach in it either wait for
// the directorate's next window (their due time moves there, so queues and `callbacks list`
// tell the truth) or end, per the directorate's `callback.atClose` policy and validity.
import type { Directorate } from '../config/schema';
import { currentOrNextWindow } from '../schedule/service-hours';
import type { CallbackRow, CallbacksRepo } from '../storage/callbacks-repo';

export interface CloseWindowResult {
  dp: string;
  /** start of the window the carried-over requests now wait for; null when none within a year */
  nextWindow: string | null;
  carriedOver: number[];
  expired: number[];
}

/**
 * What closing does to a request not reached: it ends (with why) or waits for the next window.
 * One rule for both engines: one box runs it in one transaction, a cluster on the shared database.
 */
export function atClose(dp: Directorate, next: { start: Date } | undefined, cb: Pick<CallbackRow, 'expiresAt'>): { expire: string } | { carryTo: Date } {
  if (dp.callback.atClose === 'expire') return { expire: 'not reached before the service window closed' };
  if (!next || next.start.getTime() >= Date.parse(cb.expiresAt)) return { expire: 'validity ends before the next service window' };
  return { carryTo: next.start };
}

/**
 * The next window; whether a window closed now (windows back to back, e.g. open all day, close
 * none); the horizon: the requests due before it were not reached.
 */
export function closing(dp: Directorate, now: Date): { next: { start: Date } | undefined; closed: boolean; horizon: Date; result: CloseWindowResult } {
  const next = currentOrNextWindow(dp.hours, now);
  return {
    next,
    closed: !(next && next.start.getTime() <= now.getTime()),
    horizon: next?.start ?? new Date(8.64e15),
    result: { dp: dp.id, nextWindow: next?.start.toISOString() ?? null, carriedOver: [], expired: [] },
  };
}

export function closeWindow(dp: Directorate, repo: CallbacksRepo, now: Date): CloseWindowResult {
  const c = closing(dp, now);
  const { result } = c;
  if (!c.closed) return result;
  for (const cb of repo.pendingDueBefore(dp.id, c.horizon)) {
    const d = atClose(dp, c.next, cb);
    if ('expire' in d) {
      if (repo.expire(cb.id, d.expire, now)) result.expired.push(cb.id);
    } else if (repo.carryOver(cb.id, d.carryTo, now)) result.carriedOver.push(cb.id);
  }
  return result;
}

/**
 * The cron slots at which the directorate's windows end, grouped by time of day: "09:00-13:00"
 * Monday to Friday gives "0 13 * * 1,2,3,4,5". A window ending at 24:00 closes at 00:00 of
 * the next day. Holidays are not left out: on a closed day the job finds nothing new to do.
 */
export function windowEndCrons(dp: Directorate): string[] {
  const dow: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
  const byTime = new Map<string, Set<number>>();
  for (const [day, windows] of Object.entries(dp.hours.weekly)) {
    for (const w of windows ?? []) {
      let end = w.split('-')[1]!;
      let d = dow[day]!;
      if (end === '24:00') {
        end = '00:00';
        d = (d + 1) % 7;
      }
      const set = byTime.get(end) ?? new Set<number>();
      set.add(d);
      byTime.set(end, set);
    }
  }
  return [...byTime.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([hhmm, days]) => `${Number(hhmm.slice(3))} ${Number(hhmm.slice(0, 2))} * * ${[...days].sort((a, b) => a - b).join(',')}`);
}
