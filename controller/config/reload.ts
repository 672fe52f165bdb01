// Applying a changed configuration file to the running controller (ivrctl config reload,
// SIGHUP). What a directorate does day to day (hours, holidays, ring threshold, menu,
// units, topics, texts, callback policy, numbers) changes without a restart and without
// touching a call in progress: every service reads the one shared Config object's
// `directorates` at the moment it decides, and a call keeps the Directorate object it
// started with. What the process was built around (the HTTP listener, Asterisk's address,
// the set of directorates its metrics and console are labelled with, the storage reserve, the
// log limits) needs a restart: those changes are reported, not applied.
import type { Config } from './schema';
import { ConfigError } from '../errors';

export interface DirectorateChange {
  dp: string;
  /** the top-level fields of the directorate that differ, e.g. ["hours", "menu"] */
  fields: string[];
}

export interface ReloadPlan {
  changed: DirectorateChange[];
  /** sections that differ but apply only at the next start */
  restartRequired: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * What a reload from `running` to `next` would change. Throws ConfigError when the set of
 * directorates differs: adding or removing one is a restart (its metrics, jobs and console
 * pages are built at start), and half-applying a file would leave callers of the new one
 * with the apology.
 */
export function planReload(running: Config, next: Config, file: string): ReloadPlan {
  const before = running.directorates.map((d) => d.id);
  const after = next.directorates.map((d) => d.id);
  const added = after.filter((id) => !before.includes(id));
  const removed = before.filter((id) => !after.includes(id));
  if (added.length > 0 || removed.length > 0) {
    const what = [...added.map((id) => `added ${id}`), ...removed.map((id) => `removed ${id}`)].join(', ');
    throw new ConfigError(`${file}: directorates: ${what}: adding or removing a directorate needs a restart of the controller; the running configuration is kept`);
  }
  const changed: DirectorateChange[] = [];
  for (const dp of next.directorates) {
    const old = running.directorates.find((d) => d.id === dp.id)!;
    const keys = [...new Set([...Object.keys(old), ...Object.keys(dp)])] as Array<keyof typeof dp>;
    const fields = keys.filter((k) => !same(old[k], dp[k]));
    if (fields.length > 0) changed.push({ dp: dp.id, fields });
  }
  // operators are seeds for the first start of an empty database: ivrctl operators manages them after
  const restartRequired: string[] = (['http', 'asterisk', 'storage', 'logs', 'sip', 'trunks'] as const).filter((k) => !same(running[k], next[k]));
  // the call timers apply to the next call; the dispatcher's poll is set when it starts
  if (running.timing.dispatcherPollSeconds !== next.timing.dispatcherPollSeconds) restartRequired.push('timing.dispatcherPollSeconds');
  const { dispatcherPollSeconds: _a, ...runningCalls } = running.timing;
  const { dispatcherPollSeconds: _b, ...nextCalls } = next.timing;
  if (!same(runningCalls, nextCalls)) changed.push({ dp: '*', fields: ['timing'] });
  if (!same(running.jobs, next.jobs)) changed.push({ dp: '*', fields: ['jobs'] });
  return { changed, restartRequired };
}

/**
 * Puts the new directorates into the running Config in place (same array, same order as
 * the file), so that every holder of the Config sees them from its next decision on; and the
 * jobs' slots, which the scheduler is rebuilt from (the close-window slots follow the hours).
 */
export function applyReload(running: Config, next: Config): void {
  running.directorates.splice(0, running.directorates.length, ...next.directorates);
  running.jobs = next.jobs;
  running.timing = { ...next.timing, dispatcherPollSeconds: running.timing.dispatcherPollSeconds };
}
