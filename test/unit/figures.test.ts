// Report figures on a crafted database: every expected number below is counted by hand
// from the rows inserted here, so a change in a definition shows up as a failing number.
import t from 'tap';
import { computeFigures, directoratesInDatabase, parseLocalDate, percentile } from '../../controller/monitoring/figures';
import { csvField, reportRows, toCsv, toJson, toTable } from '../../controller/monitoring/report-format';
import { freshDb, november, RIMBORSI, writer } from '../fixtures/figures-data';

t.test('parseLocalDate accepts real calendar days only, naming the bad value', async (t) => {
  t.same(parseLocalDate('2026-11-27'), { year: 2026, month: 11, day: 27 });
  t.same(parseLocalDate('2028-02-29'), { year: 2028, month: 2, day: 29 }, 'leap day');
  t.throws(() => parseLocalDate('2026-02-30'), /invalid date '2026-02-30'/);
  t.throws(() => parseLocalDate('2027-02-29'), /invalid date '2027-02-29'/);
  t.throws(() => parseLocalDate('yesterday'), /invalid date 'yesterday': expected YYYY-MM-DD/);
  t.throws(() => parseLocalDate('2026-13-01'), /2026-13-01/);
  t.throws(() => parseLocalDate('2026-1-5'), /2026-1-5/);
  t.throws(() => parseLocalDate(' 2026-11-27'), /invalid date/);
});

t.test('percentile: nearest rank, an observed value', async (t) => {
  t.equal(percentile([], 90), null);
  t.equal(percentile([7], 90), 7);
  t.equal(percentile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 90), 9);
  t.equal(
    percentile(
      Array.from({ length: 20 }, (_, i) => i + 1),
      90,
    ),
    18,
  );
  t.equal(percentile([100, 300, 600, 82_800], 90), 82_800);
});

t.test('one local day in Rome, per directorate', async (t) => {
  const db = november();
  const [a, b] = computeFigures(db, ['dp-a', 'dp-b'], { from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome' });
  t.match(a, { dp: 'dp-a', from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome', startUtc: '2026-11-26T23:00:00.000Z', endUtc: '2026-11-27T23:00:00.000Z' });
  // a1 (23:30 UTC on the 26th) is the 27th in Rome; a0 (22:59:59 UTC) and a9 (23:00 UTC on the 27th) are not
  t.equal(a!.callsReceived, 8, 'a1 to a8');
  t.equal(a!.answeredByOperator, 2);
  t.equal(a!.meanRingsBeforeAnswer, 3.5, '(2 + 5) / 2, the unanswered call that rang 4 times excluded');
  t.equal(a!.ringUnanswered, 1);
  t.equal(a!.noOperatorAvailable, 1);
  t.equal(a!.hungUpInIvr, 1, 'a5; a4 hung up after booking, a2 after talking');
  t.equal(a!.hungUpWhileRinging, 1, 'a6');
  t.equal(a!.callbackOffers, 4, 'a3 (offered twice), a4, a7, a8');
  t.same(a!.bookingRefusals, { duplicate: 1, number_cap: 1, caller_cap: 0, dp_capacity: 1, no_window: 0, unavailable: 0 });
  t.same(a!.typedNumbersRejected, { short: 1 });
  t.same(a!.callbacksByStatus, { pending: 1, dialing: 1, done: 3, failed: 1, cancelled: 1, expired: 0 });
  t.equal(a!.bookings, 7);
  t.equal(a!.callbacksCompleted, 4, 'c1, c2, c3 and c7 booked the day before');
  t.same(a!.timeToCallback, { meanSeconds: (600 + 100 + 300 + 82_800) / 4, p90Seconds: 82_800 });
  t.equal(a!.callbacksClosed, 6, 'c1, c2, c3, c4, c7, c9; c8 was cancelled on the 28th');
  t.equal(a!.meanCallerDialsPerClosedCallback, 1.33, '(2 + 1 + 1 + 3 + 1 + 0) / 6');
  t.same(a!.attemptOutcomes, { busy: 2, connected: 4, in_progress: 1, no_answer: 2, operator_passed: 1 });
  t.same(
    a!.transfersByUnit,
    [
      { unit: RIMBORSI, answered: 2, notAnswered: 1 },
      { unit: 'catasto', answered: 0, notAnswered: 1 },
    ],
    'in byte order of the unit id',
  );
  t.same(a!.operatorOutcomes, [
    { code: '1', label: 'basic_information_given', count: 2, byDefault: 1 },
    { code: '2', label: 'transferred', count: 1, byDefault: 0 },
    { code: '4', label: 'needs_follow_up', count: 1, byDefault: 0 },
  ]);
  t.same(a!.unitInterventions, [
    { code: '1', label: 'handled', count: 1, byDefault: 0 },
    { code: '3', label: 'not_competent', count: 1, byDefault: 1 },
  ]);

  t.match(b, { dp: 'dp-b', callsReceived: 1, answeredByOperator: 1, meanRingsBeforeAnswer: 3, callbackOffers: 1, bookings: 1, callbacksCompleted: 1 });
  t.same(b!.bookingRefusals, { duplicate: 1, number_cap: 0, caller_cap: 0, dp_capacity: 0, no_window: 0, unavailable: 0 });
  t.same(b!.timeToCallback, { meanSeconds: 55, p90Seconds: 55 });
  t.same(b!.operatorOutcomes, [{ code: '3', label: 'wrong_number', count: 1, byDefault: 0 }]);
  t.same(b!.transfersByUnit, []);
  t.same(b!.unitInterventions, []);

  const [none] = computeFigures(db, ['dp-z'], { from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome' });
  t.match(none, { callsReceived: 0, meanRingsBeforeAnswer: null, timeToCallback: { meanSeconds: null, p90Seconds: null }, meanCallerDialsPerClosedCallback: null, hungUpInIvr: 0 });
  t.same(directoratesInDatabase(db), ['dp-a', 'dp-b']);
});

t.test('a range with its days; Rome by default; a directorate in another zone', async (t) => {
  const db = november();
  const [a] = computeFigures(db, ['dp-a'], { from: '2026-11-26', to: '2026-11-27' }, { byDay: true });
  t.equal(a!.timezone, 'Europe/Rome');
  t.equal(a!.startUtc, '2026-11-25T23:00:00.000Z');
  t.same(
    a!.days!.map((d) => [d.date, d.callsReceived]),
    [
      ['2026-11-26', 1],
      ['2026-11-27', 8],
    ],
  );
  t.equal(a!.callsReceived, 9);
  t.same(
    a!.days!.map((d) => d.operatorOutcomes.length),
    [1, 3],
    'the wrong_number code of 23:00 local on the 26th stays there',
  );
  t.same(
    a!.days!.map((d) => d.bookings),
    [1, 7],
    'c7 was booked on the 26th',
  );
  t.notOk(computeFigures(db, ['dp-a'], { from: '2026-11-27', to: '2026-11-27' })[0]!.days, 'no days unless asked');

  const [utc] = computeFigures(db, [{ id: 'dp-a', timezone: 'UTC' }], { from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome' });
  t.equal(utc!.timezone, 'UTC');
  t.equal(utc!.callsReceived, 8, 'a1 falls on the 26th in UTC, a9 on the 27th');

  t.throws(() => computeFigures(db, ['dp-a'], { from: '2026-11-28', to: '2026-11-27' }), /2026-11-28 is after 2026-11-27/);
  t.throws(() => computeFigures(db, ['dp-a'], { from: '2026-11-27', to: '2026-11-27', timezone: 'Mars/Olympus' }), /invalid time zone 'Mars\/Olympus'/);
  t.throws(() => computeFigures(db, ['dp-a'], { from: 'yesterday', to: '2026-11-27' }), /invalid date 'yesterday'/);
});

t.test('days that change clock: 23 hours on 29 March, 25 hours on 25 October', async (t) => {
  const db = freshDb();
  const w = writer(db);
  w.call('m1', 'dp-a', '2026-03-28T22:59:00.000Z'); // 23:59 CET on the 28th
  w.call('m2', 'dp-a', '2026-03-28T23:00:00.000Z'); // 00:00 CET on the 29th
  w.call('m3', 'dp-a', '2026-03-29T21:59:00.000Z'); // 23:59 CEST on the 29th
  w.call('m4', 'dp-a', '2026-03-29T22:00:00.000Z'); // 00:00 CEST on the 30th
  w.call('m5', 'dp-a', '2026-03-29T22:30:00.000Z'); // 00:30 CEST on the 30th (23:30 at a fixed +1)
  w.call('o1', 'dp-a', '2026-10-24T22:00:00.000Z'); // 00:00 CEST on the 25th
  w.call('o2', 'dp-a', '2026-10-25T22:30:00.000Z'); // 23:30 CET on the 25th
  w.call('o3', 'dp-a', '2026-10-25T23:00:00.000Z'); // 00:00 CET on the 26th
  const [march] = computeFigures(db, ['dp-a'], { from: '2026-03-28', to: '2026-03-30', timezone: 'Europe/Rome' }, { byDay: true });
  t.same(
    march!.days!.map((d) => [d.date, d.callsReceived]),
    [
      ['2026-03-28', 1],
      ['2026-03-29', 2],
      ['2026-03-30', 2],
    ],
  );
  const [day29] = computeFigures(db, ['dp-a'], { from: '2026-03-29', to: '2026-03-29', timezone: 'Europe/Rome' });
  t.match(day29, { startUtc: '2026-03-28T23:00:00.000Z', endUtc: '2026-03-29T22:00:00.000Z', callsReceived: 2 });
  const [day25] = computeFigures(db, ['dp-a'], { from: '2026-10-25', to: '2026-10-25', timezone: 'Europe/Rome' });
  t.match(day25, { startUtc: '2026-10-24T22:00:00.000Z', endUtc: '2026-10-25T23:00:00.000Z', callsReceived: 2 });
});

/** A strict RFC 4180 reader, to check what a spreadsheet would read back. */
function parseCsv(text: string, sep = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
      } else {
        field += ch;
        i++;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
      i++;
    } else if (ch === sep) {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (ch === '\r' || ch === '\n' || ch === '"') throw new Error(`bare ${JSON.stringify(ch)} at ${i}`);
    else {
      field += ch;
      i++;
    }
  }
  if (field !== '' || row.length) throw new Error('last record not ended by CRLF');
  return rows;
}

t.test('CSV: BOM, header, CRLF, RFC 4180 quoting', async (t) => {
  t.equal(csvField('plain'), 'plain');
  t.equal(csvField('a,b'), '"a,b"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
  t.equal(csvField('two\r\nlines'), '"two\r\nlines"');
  t.equal(csvField('one\nline'), '"one\nline"');
  t.equal(csvField(null), '');
  t.equal(csvField(1.5), '1.5');

  const figs = computeFigures(november(), ['dp-a', 'dp-b'], { from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome' });
  const csv = toCsv(figs);
  t.equal(csv.charCodeAt(0), 0xfeff, 'starts with a UTF-8 BOM');
  t.ok(csv.startsWith('\uFEFFdp,from,to,metric,label,label_it,value\r\n'));
  t.notOk(/[^\r]\n/.test(csv), 'every line ends with CRLF');
  t.match(csv, '"Transfers to Uff. ""Rimborsi"", 2, answered"');
  const parsed = parseCsv(csv.slice(1));
  const rows = reportRows(figs);
  t.equal(parsed.length, rows.length + 1);
  t.ok(
    parsed.every((r) => r.length === 7),
    'seven fields in every record',
  );
  t.same(
    parsed.slice(1),
    rows.map((r) => [r.dp, r.from, r.to, r.metric, r.label, r.labelIt, r.value === null ? '' : String(r.value)]),
    'read back, every field is what was written',
  );
  const line = (metric: string, dp = 'dp-a') => parsed.find((r) => r[0] === dp && r[3] === metric);
  t.same(line('callsReceived'), ['dp-a', '2026-11-27', '2026-11-27', 'callsReceived', 'Calls received', 'Chiamate ricevute', '8']);
  t.same(line(`transfers.${RIMBORSI}.answered`)!.slice(4), [`Transfers to ${RIMBORSI}, answered`, `Trasferimenti a ${RIMBORSI}, con risposta`, '2']);
  t.equal(line('operatorOutcomes.1')![5], 'Esito operatore 1 (informazioni di base fornite)');
  t.equal(line('timeToCallback.p90Seconds')![6], '82800');
  t.equal(line('meanRingsBeforeAnswer', 'dp-b')![6], '3');

  const withDays = toCsv(computeFigures(november(), ['dp-a'], { from: '2026-11-26', to: '2026-11-27' }, { byDay: true }), { days: true });
  const dayRows = parseCsv(withDays.slice(1)).filter((r) => r[3] === 'callsReceived');
  t.same(
    dayRows.map((r) => [r[1], r[2], r[6]]),
    [
      ['2026-11-26', '2026-11-27', '9'],
      ['2026-11-26', '2026-11-26', '1'],
      ['2026-11-27', '2026-11-27', '8'],
    ],
  );
});

t.test('CSV for a spreadsheet with Italian settings: ";" between fields, a decimal comma, the same records', async (t) => {
  t.equal(csvField(1.5, 'it'), '1,5');
  t.equal(csvField(82800, 'it'), '82800');
  t.equal(csvField('a;b', 'it'), '"a;b"');
  t.equal(csvField('a,b', 'it'), 'a,b', 'a comma needs no quotes when ";" separates');
  const figs = computeFigures(november(), ['dp-a', 'dp-b'], { from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome' });
  const it = toCsv(figs, { locale: 'it' });
  t.ok(it.startsWith('\uFEFFdp;from;to;metric;label;label_it;value\r\n'));
  const parsed = parseCsv(it.slice(1), ';');
  const rows = reportRows(figs);
  t.ok(
    parsed.every((r) => r.length === 7),
    'seven fields in every record',
  );
  t.same(
    parsed.slice(1),
    rows.map((r) => [r.dp, r.from, r.to, r.metric, r.label, r.labelIt, r.value === null ? '' : String(r.value).replace('.', ',')]),
    'read back with ";", every field is what was written, numbers with a decimal comma',
  );
  const decimals = parsed.slice(1).filter((r) => /^\d+,\d+$/.test(r[6]!));
  t.ok(decimals.length > 0, `a decimal value reads ${decimals[0]?.[6]}`);
  t.equal(toCsv(figs), toCsv(figs, { locale: 'en' }), 'the default stays "," and "."');
});

t.test('table: metrics down, directorates across, columns aligned; JSON round-trips', async (t) => {
  const figs = computeFigures(november(), ['dp-a', 'dp-b'], { from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome' });
  const table = toTable(figs);
  const lines = table.trimEnd().split('\n');
  t.match(lines[0], /^2026-11-27 +dp-a +dp-b$/);
  t.match(lines[1], /^-+ +-+ +-+$/);
  t.ok(
    lines.every((l) => l.length === lines[0]!.length),
    'every line as wide as the header: right-aligned values line up',
  );
  t.ok(lines.some((l) => /^Calls received +8 +1$/.test(l)));
  t.ok(lines.some((l) => /^Request to callback, mean \(s\) +20950 +55$/.test(l)));
  t.ok(
    lines.some((l) => /^Transfers to catasto, not answered +1 +0$/.test(l)),
    'a unit only dp-a has shows 0 for dp-b',
  );
  t.ok(lines.some((l) => /^Operator outcome 3 \(wrong_number\) +0 +1$/.test(l)));
  const range = toTable(computeFigures(november(), ['dp-a'], { from: '2026-11-26', to: '2026-11-27' }, { byDay: true }), { days: true });
  t.match(range, /^2026-11-26 \.\. 2026-11-27 +dp-a\n/);
  t.match(range, /\n\n2026-11-26 +dp-a\n/);
  t.match(range, /\n\n2026-11-27 +dp-a\n/);
  t.same(JSON.parse(toJson(figs)), figs);
});
