// What ivrctl prints. --json: exactly one JSON value on stdout, times in ISO 8601 UTC, for
// scripts. Otherwise aligned tables for people, with times in Italian local time and the
// zone shown ("2026-11-26 17:48:05 CET"), because a sysadmin in Rome reads UTC wrong.
import { localStamp } from '../schedule/service-hours';

const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

export class Printer {
  constructor(
    private readonly write: (s: string) => void,
    readonly timezone: string,
  ) {}

  line(s: string): void {
    this.write(s.endsWith('\n') ? s : s + '\n');
  }

  json(v: unknown): void {
    this.line(JSON.stringify(v, null, 2));
  }

  /**
   * A cell as a person reads it: instants in local time, nothing shown as "-". Control
   * characters are replaced: a caller's data (a note, a caller id) must not move the
   * sysadmin's cursor, recolour the terminal or forge lines of the table (ANSI escapes).
   */
  cell(v: unknown): string {
    if (v === null || v === undefined || v === '') return '-';
    if (typeof v === 'string' && ISO_INSTANT.test(v)) return localStamp(v, this.timezone);
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    return printable(String(v));
  }

  /** Aligned columns under upper-case headers; "(none)" for no rows. */
  table(rows: ReadonlyArray<object>, columns: string[]): string {
    if (rows.length === 0) return '(none)';
    const cells = rows.map((r) => columns.map((c) => this.cell((r as Record<string, unknown>)[c])));
    const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
    const line = (vals: string[]): string =>
      vals
        .map((v, i) => v.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
  }

  /** "key   value" lines for one record. */
  fields(record: object, width = 13): string {
    return Object.entries(record)
      .map(([k, v]) => `${k.padEnd(width)} ${this.cell(v)}`)
      .join('\n');
  }
}

/** Control characters (C0, DEL, C1) shown as "?", so that text prints as text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const printable = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
