// ivrctl report: the figures of one place (monitoring/figures.ts), as a table, CSV or JSON.
import { Option, type Command } from 'commander';
import { checkReportRange, computeFigures, computeFiguresShared, formatLocalDate, MAX_REPORT_DAYS, parseLocalDate } from '../../monitoring/figures';
import { CSV_LOCALES, toCsv, toJson, toTable, type CsvLocale } from '../../monitoring/report-format';
import { localTime } from '../../schedule/service-hours';
import { type Cli } from '../context';
import { ReportRangeError, UsageError } from '../../errors';

function localDate(s: string, option: string): string {
  try {
    parseLocalDate(s);
    return s;
  } catch (err) {
    throw new UsageError(`${option}: ${(err as Error).message}`);
  }
}

export function registerReport(program: Command, cli: Cli): void {
  program
    .command('report')
    .description('figures per directorate over local days (Europe/Rome): calls, rings, offers, bookings, callbacks, outcomes, transfers')
    .option('--dp <dp>', 'only this directorate (default: all)')
    .option('--from <date>', 'first day, YYYY-MM-DD (default: --to)')
    .option('--to <date>', 'last day, YYYY-MM-DD, inclusive (default: today)')
    .addOption(new Option('--format <f>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .option('--by-day', 'also the figures of each day of the range')
    .addOption(
      new Option('--locale <l>', 'CSV for a spreadsheet with these regional settings: en ("," and "."), it (";" and a decimal comma)')
        .choices(CSV_LOCALES as string[])
        .default('en'),
    )
    .addHelpText(
      'after',
      `\nExamples:\n  ivrctl report                                   today, every directorate\n  ivrctl report --dp demo-sw --from 2026-11-01 --to 2026-11-30 --format csv > novembre.csv\n  ivrctl report --from 2026-11-23 --by-day --format json\n  ivrctl report --format csv --locale it > oggi.csv   for Excel/LibreOffice with Italian settings\nA report covers at most ${MAX_REPORT_DAYS} days (years 2000-2099); longer periods are the sum of yearly reports.\nCSV: UTF-8 with a byte-order mark and a header row (opens cleanly in a spreadsheet).`,
    )
    .action(async (opts: { dp?: string; from?: string; to?: string; format: 'table' | 'csv' | 'json'; byDay?: boolean; locale: CsvLocale }) => {
      cli.checkDp(opts.dp);
      const dps = cli.config.directorates.filter((d) => !opts.dp || d.id === opts.dp).map((d) => ({ id: d.id, timezone: d.hours.timezone }));
      const to = opts.to ? localDate(opts.to, '--to') : formatLocalDate(localTime(new Date(), cli.print.timezone));
      const from = opts.from ? localDate(opts.from, '--from') : to;
      if (from > to) throw new UsageError(opts.to ? `--from ${from} is after --to ${to}` : `--from ${from} is after today (${to})`);
      try {
        checkReportRange(from, to);
      } catch (err) {
        if (err instanceof ReportRangeError) throw new UsageError(err.message);
        throw err;
      }
      // one box's file, or in the cluster mode the shared database
      const figures = await cli.withRecords(
        (db) => computeFigures(db, dps, { from, to }, { byDay: !!opts.byDay }),
        (pool) => computeFiguresShared(pool, dps, { from, to }, { byDay: !!opts.byDay }),
      );
      const text =
        opts.format === 'json' ? toJson(figures) : opts.format === 'csv' ? toCsv(figures, { days: !!opts.byDay, locale: opts.locale }) : toTable(figures, { days: !!opts.byDay });
      cli.io.out(text);
    });
}
