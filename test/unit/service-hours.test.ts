import t from 'tap';
import { currentOrNextWindow, easterSunday, isHoliday, isOpen, italianNationalHolidays, localTime, zonedInstant } from '../../controller/schedule/service-hours';
import type { ServiceHours } from '../../controller/config/schema';

const office: ServiceHours = {
  timezone: 'Europe/Rome',
  weekly: { mon: ['09:00-13:00'], tue: ['09:00-13:00'], wed: ['09:00-13:00'], thu: ['09:00-13:00'], fri: ['09:00-13:00'] },
  nationalHolidays: true,
  localHolidays: ['06-29', '2027-03-19'],
};
const rome = (iso: string) => new Date(iso); // ISO strings below carry their offset

t.test('Easter Sunday for known years', async (t) => {
  t.same(easterSunday(2024), { year: 2024, month: 3, day: 31 });
  t.same(easterSunday(2025), { year: 2025, month: 4, day: 20 });
  t.same(easterSunday(2026), { year: 2026, month: 4, day: 5 });
  t.same(easterSunday(2027), { year: 2027, month: 3, day: 28 });
  t.same(easterSunday(2038), { year: 2038, month: 4, day: 25 });
});

t.test('national holidays include Easter Monday, and 4 October from 2026', async (t) => {
  t.ok(italianNationalHolidays(2026).includes('04-06'), 'Easter Monday 2026');
  t.ok(italianNationalHolidays(2027).includes('03-29'), 'Easter Monday 2027');
  t.ok(italianNationalHolidays(2026).includes('10-04'));
  t.notOk(italianNationalHolidays(2025).includes('10-04'));
  t.equal(italianNationalHolidays(2026).length, 12);
});

t.test('open and closed instants', async (t) => {
  t.ok(isOpen(office, rome('2026-11-26T09:00:00+01:00')), 'Thursday 9:00 opens');
  t.ok(isOpen(office, rome('2026-11-26T12:59:00+01:00')));
  t.notOk(isOpen(office, rome('2026-11-26T13:00:00+01:00')), '13:00 is closed');
  t.notOk(isOpen(office, rome('2026-11-26T08:59:00+01:00')));
  t.notOk(isOpen(office, rome('2026-11-28T10:00:00+01:00')), 'Saturday');
  t.notOk(isOpen(office, rome('2026-12-08T10:00:00+01:00')), 'Immacolata (Tuesday)');
  t.notOk(isOpen(office, rome('2026-04-06T10:00:00+02:00')), 'Easter Monday');
  t.notOk(isOpen(office, rome('2026-06-29T10:00:00+02:00')), 'local patron saint (MM-DD)');
  t.notOk(isOpen(office, rome('2027-03-19T10:00:00+01:00')), 'one-off local holiday (YYYY-MM-DD)');
  t.ok(isOpen(office, rome('2026-03-19T10:00:00+01:00')), 'the one-off holiday is not every year');
  t.ok(isOpen(office, rome('2026-11-26T08:30:00Z')), 'UTC instant converted to Rome (09:30)');
  t.ok(isOpen({ ...office, nationalHolidays: false }, rome('2026-12-08T10:00:00+01:00')), 'holidays can be switched off');
});

t.test('the next window skips weekends and holidays', async (t) => {
  const w = currentOrNextWindow(office, rome('2026-11-27T14:00:00+01:00'))!; // Friday afternoon
  t.equal(w.start.toISOString(), '2026-11-30T08:00:00.000Z', 'Monday 9:00 Rome');
  t.equal(w.end.toISOString(), '2026-11-30T12:00:00.000Z');
  const inside = currentOrNextWindow(office, rome('2026-11-26T10:15:00+01:00'))!;
  t.equal(inside.start.toISOString(), '2026-11-26T09:15:00.000Z', 'open now: the window starts now');
  const xmas = currentOrNextWindow(office, rome('2026-12-24T13:30:00+01:00'))!;
  t.equal(xmas.start.toISOString(), '2026-12-28T08:00:00.000Z', 'after 25 (Fri) and 26 (Sat), Monday 28');
  t.equal(currentOrNextWindow({ ...office, weekly: {} }, new Date()), undefined, 'never open');
});

t.test('local time and zoned instants across DST', async (t) => {
  t.same(localTime(new Date('2026-03-29T01:30:00Z'), 'Europe/Rome'), { year: 2026, month: 3, day: 29, hour: 3, minute: 30, weekday: 'sun' });
  t.equal(zonedInstant({ year: 2026, month: 7, day: 1 }, 9, 0, 'Europe/Rome').toISOString(), '2026-07-01T07:00:00.000Z');
  t.equal(zonedInstant({ year: 2026, month: 1, day: 1 }, 9, 0, 'Europe/Rome').toISOString(), '2026-01-01T08:00:00.000Z');
  t.equal(zonedInstant({ year: 2026, month: 10, day: 25 }, 12, 0, 'Europe/Rome').toISOString(), '2026-10-25T11:00:00.000Z', 'DST end day');
});

t.test('24-hour windows', async (t) => {
  const always: ServiceHours = {
    timezone: 'Europe/Rome',
    weekly: { mon: ['00:00-24:00'], tue: ['00:00-24:00'], wed: ['00:00-24:00'], thu: ['00:00-24:00'], fri: ['00:00-24:00'], sat: ['00:00-24:00'], sun: ['00:00-24:00'] },
    nationalHolidays: false,
    localHolidays: [],
  };
  t.ok(isOpen(always, rome('2026-11-26T23:59:00+01:00')));
  t.ok(isOpen(always, rome('2026-11-26T00:00:00+01:00')));
  t.ok(isHoliday(office, { year: 2026, month: 1, day: 6 }));
});
