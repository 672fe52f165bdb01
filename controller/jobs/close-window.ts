// End of a service window: the requests the operators did not reach in it either wait for
// the directorate's next window (their due time moves there, so queues and `callbacks list`
// tell the truth) or end, per the directorate's `callback.atClose` policy and validity.
import type { Directorate } from '../config/schema';
import { currentOrNextWindow } from '../schedule/service-hours';
import type { CallbacksRepo } from '../storage/callbacks-repo';

export interface CloseWindowResult {
  dp: string;
  /** start of the window the carried-over requests now wait for; null when none within a year */
  nextWindow: string | null;
  carriedOver: number[];
  expired: number[];
}

export function closeWindow(dp: Directorate, repo: CallbacksRepo, now: Date): CloseWindowResult {
  const next = currentOrNextWindow(dp.hours, now);
  const result: CloseWindowResult = { dp: dp.id, nextWindow: next?.start.toISOString() ?? null, carriedOver: [], expired: [] };
  // windows back to back (e.g. open all day): nothing closed, nothing to carry
  if (next && next.start.getTime() <= now.getTime()) return result;
  const horizon = next?.start ?? new Date(8.64e15);
  for (const cb of repo.pendingDueBefore(dp.id, horizon)) {
    if (dp.callback.atClose === 'expire') {
      if (repo.expire(cb.id, 'not reached before the service window closed', now)) result.expired.push(cb.id);
    } else if (!next || next.start.getTime() >= Date.parse(cb.expiresAt)) {
      if (repo.expire(cb.id, 'validity ends before the next service window', now)) result.expired.push(cb.id);
    } else if (repo.carryOver(cb.id, next.start, now)) {
      result.carriedOver.push(cb.id);
    }
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
