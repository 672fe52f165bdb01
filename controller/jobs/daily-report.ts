// The daily report: after the day is over, each directorate's figures for it are written
// under <state dir>/reports/<YYYY-MM-DD>/<dp>.csv and .json. The job writes every day of the
// last `catchUpDays` (never before the database existed) whose files are missing, so a
// night the controller was down or the job failed is made up at the next slot. In a cluster
// each node writes its own copy from the shared database (either node has the reports).
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Directorate } from '../config/schema';
import { computeFigures, formatLocalDate, type DpFigures, type DpSelector, type FigureRange } from '../monitoring/figures';
import { toCsv, toJson } from '../monitoring/report-format';
import { addDays, localTime } from '../schedule/service-hours';
import type { Db } from '../storage/database';

export const reportsDir = (stateDir: string): string => path.join(stateDir, 'reports');

/** Writes through a temporary name: a reader (or the next catch-up) never sees half a file. */
function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export interface DailyReportResult {
  /** the local days looked at, oldest first */
  days: string[];
  written: string[];
}

/** A report's figures, from wherever the records are (one box's file, a cluster's shared database). */
export type FiguresOf = (dps: DpSelector[], range: FigureRange) => DpFigures[] | Promise<DpFigures[]>;

/** The figures of one box's SQLite file. */
export const figuresOfFile =
  (db: Db): FiguresOf =>
  (dps, range) =>
    computeFigures(db, dps, range);

export async function writeDailyReports(
  figuresOf: FiguresOf,
  dps: Directorate[],
  dir: string,
  o: { slot: Date; timezone: string; catchUpDays: number; since: Date },
): Promise<DailyReportResult> {
  const today = localTime(o.slot, o.timezone);
  const firstDay = formatLocalDate(localTime(o.since, o.timezone));
  const result: DailyReportResult = { days: [], written: [] };
  for (let back = o.catchUpDays; back >= 1; back--) {
    const day = formatLocalDate(addDays(today, -back));
    if (day < firstDay) continue;
    result.days.push(day);
    for (const dp of dps) {
      const base = path.join(dir, day, dp.id);
      if (existsSync(`${base}.json`) && existsSync(`${base}.csv`)) continue;
      mkdirSync(path.dirname(base), { recursive: true, mode: 0o700 });
      const figures = await figuresOf([{ id: dp.id, timezone: dp.hours.timezone }], { from: day, to: day });
      writeAtomically(`${base}.csv`, toCsv(figures));
      // the JSON last: its presence marks the day as written
      writeAtomically(`${base}.json`, toJson(figures));
      result.written.push(`${base}.json`, `${base}.csv`);
    }
  }
  return result;
}
