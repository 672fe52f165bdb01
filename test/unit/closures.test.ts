// Extraordinary closures: the time a sysadmin types, what callers hear, the windows they cut,
// and the service that keeps them (a real SQLite file, the write queue).
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../controller/config/load';
import { closurePrompts, promptManifest } from '../../controller/prompts/catalog';
import { closureAt, parseUntil, spokenUntil, type Closure } from '../../controller/schedule/closures';
import { ClosuresService, toClosure } from '../../controller/schedule/closures-service';
import { currentOrNextWindow, isOpen } from '../../controller/schedule/service-hours';
import { ClosuresRepo } from '../../controller/storage/closures-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { WriteQueue } from '../../controller/storage/write-queue';

const root = path.resolve(__dirname, '..', '..', '..');
const TZ = 'Europe/Rome';
// Thursday 3 December 2026, 10:00 in Rome
const now = new Date('2026-12-03T09:00:00Z');

t.test("parseUntil: the forms a sysadmin types, in the directorate's time; the past, nonsense and far ends refused", async (t) => {
  t.equal(parseUntil('14:30', now, TZ).toISOString(), '2026-12-03T13:30:00.000Z', 'HH:MM is today');
  t.equal(parseUntil('2026-12-04 12:00', now, TZ).toISOString(), '2026-12-04T11:00:00.000Z');
  t.equal(parseUntil('2026-12-04T12:00', now, TZ).toISOString(), '2026-12-04T11:00:00.000Z');
  t.equal(parseUntil('2026-12-05', now, TZ).toISOString(), '2026-12-04T23:00:00.000Z', 'a date: its start (closed through the day before)');
  t.equal(parseUntil('2026-12-04T12:00:00Z', now, TZ).toISOString(), '2026-12-04T12:00:00.000Z', 'an ISO instant with its offset');
  t.throws(() => parseUntil('09:00', now, TZ), { name: 'ClosureTimeError', message: /not in the future/ });
  t.throws(() => parseUntil('2026-02-30', now, TZ), { message: /not a date/ });
  t.throws(() => parseUntil('tomorrow', now, TZ), { message: /expected HH:MM/ });
  t.throws(() => parseUntil('25:00', now, TZ), { message: /expected HH:MM/ });
  t.throws(() => parseUntil('2027-01-10', now, TZ), { message: /more than 31 days/ });
});

t.test('spokenUntil: today, another day, through a day; Italian and English', async (t) => {
  t.equal(spokenUntil(new Date('2026-12-03T13:30:00Z'), now, TZ, 'it'), 'fino alle 14 e 30');
  t.equal(spokenUntil(new Date('2026-12-03T13:00:00Z'), now, TZ, 'en'), 'until 14 today');
  t.equal(spokenUntil(new Date('2026-12-04T11:00:00Z'), now, TZ, 'it'), 'fino alle 12 di venerdì 4 dicembre');
  t.equal(spokenUntil(new Date('2026-12-04T00:00:00Z'), now, TZ, 'it'), "fino all'una di venerdì 4 dicembre");
  t.equal(spokenUntil(new Date('2026-12-04T11:30:00Z'), now, TZ, 'en'), 'until 12:30 on Friday 4 December');
  t.equal(spokenUntil(new Date('2026-12-07T23:00:00Z'), now, TZ, 'it'), 'fino a lunedì 7 dicembre compreso', 'midnight: through the day before');
  t.equal(spokenUntil(new Date('2026-12-07T23:00:00Z'), now, TZ, 'en'), 'through Monday 7 December');
  t.equal(spokenUntil(new Date('2026-12-03T23:00:00Z'), now, TZ, 'it'), 'per tutta la giornata di oggi');
});

t.test('spokenUntil: German and French', async (t) => {
  t.equal(spokenUntil(new Date('2026-12-03T13:30:00Z'), now, TZ, 'de'), 'heute bis 14 Uhr 30');
  t.equal(spokenUntil(new Date('2026-12-04T11:00:00Z'), now, TZ, 'de'), 'bis Freitag, 4. Dezember, 12 Uhr');
  t.equal(spokenUntil(new Date('2026-12-07T23:00:00Z'), now, TZ, 'de'), 'bis einschließlich Montag, 7. Dezember,');
  t.equal(spokenUntil(new Date('2026-12-03T23:00:00Z'), now, TZ, 'de'), 'den ganzen heutigen Tag');
  t.equal(spokenUntil(new Date('2026-12-03T13:00:00Z'), now, TZ, 'fr'), "jusqu'à 14 heures");
  t.equal(spokenUntil(new Date('2026-12-04T00:00:00Z'), now, TZ, 'fr'), "jusqu'à 1 heure le vendredi 4 décembre");
  t.equal(spokenUntil(new Date('2026-11-30T23:00:00Z'), new Date('2026-11-30T09:00:00Z'), TZ, 'fr'), 'pour toute la journée');
  t.equal(spokenUntil(new Date('2026-12-01T23:00:00Z'), new Date('2026-11-30T09:00:00Z'), TZ, 'fr'), "jusqu'au mardi 1er décembre inclus");
});

const closure = (over: Partial<Closure> = {}): Closure => ({
  id: 1,
  dp: 'dp-a',
  from: now,
  until: new Date('2026-12-03T13:30:00Z'),
  messageIt: null,
  messageEn: null,
  offerCallback: true,
  createdAt: now,
  ...over,
});

t.test('closureAt: live between its start and end, for its directorate only, the newest when several overlap', async (t) => {
  const list = [closure(), closure({ id: 2, from: new Date('2026-12-03T10:00:00Z') }), closure({ id: 3, dp: 'dp-b' })];
  t.equal(closureAt(list, 'dp-a', new Date('2026-12-03T08:59:00Z')), undefined, 'not yet');
  t.equal(closureAt(list, 'dp-a', now)?.id, 1);
  t.equal(closureAt(list, 'dp-a', new Date('2026-12-03T11:00:00Z'))?.id, 2);
  t.equal(closureAt(list, 'dp-a', new Date('2026-12-03T13:30:00Z')), undefined, 'the end is open again');
  t.equal(closureAt(list, 'dp-c', now), undefined);
});

const hours = {
  timezone: TZ,
  weekly: { mon: ['09:00-13:00'], tue: ['09:00-13:00'], wed: ['09:00-13:00'], thu: ['09:00-13:00'], fri: ['09:00-13:00'] },
  nationalHolidays: true,
  localHolidays: [],
};

t.test('service windows: a closure closes the office and moves the next window past it', async (t) => {
  const until11 = [{ from: now, until: new Date('2026-12-03T10:00:00Z') }];
  t.notOk(isOpen(hours, new Date('2026-12-03T09:30:00Z'), until11), 'closed inside the closure');
  t.ok(isOpen(hours, new Date('2026-12-03T10:00:00Z'), until11), 'open at its end, within the hours');
  t.equal(currentOrNextWindow(hours, now, until11)!.start.toISOString(), '2026-12-03T10:00:00.000Z', 'the rest of the morning');
  const tillTomorrowNoon = [{ from: now, until: new Date('2026-12-04T11:00:00Z') }];
  const w = currentOrNextWindow(hours, now, tillTomorrowNoon)!;
  t.same([w.start.toISOString(), w.end.toISOString()], ['2026-12-04T11:00:00.000Z', '2026-12-04T12:00:00.000Z'], 'tomorrow from 12 to 13');
  const middle = [{ from: new Date('2026-12-04T09:00:00Z'), until: new Date('2026-12-04T10:00:00Z') }];
  t.equal(currentOrNextWindow(hours, new Date('2026-12-04T08:30:00Z'), middle)!.end.toISOString(), '2026-12-04T09:00:00.000Z', 'a closure in the middle cuts the window short');
  t.equal(currentOrNextWindow(hours, new Date('2026-12-04T09:30:00Z'), middle)!.start.toISOString(), '2026-12-04T10:00:00.000Z');
  const weekend = [{ from: now, until: new Date('2026-12-06T23:00:00Z') }];
  t.equal(currentOrNextWindow(hours, now, weekend)!.start.toISOString(), '2026-12-07T08:00:00.000Z', 'past a closure to Sunday night: Monday 9:00');
});

const config = parseConfig(
  `
directorates:
  - id: dp-a
    name: Alfa
    numbers: ["0612345678"]
    case: switchboard
    ringsBeforeCallback: 4
    hours: { weekly: { thu: "09:00-13:00" } }
  - id: dp-b
    name: Beta
    numbers: ["0212345678"]
    case: staff
    ringsBeforeCallback: 3
    languages: [it]
    callback: { offerWhenClosed: false }
    hours: { weekly: { thu: "09:00-13:00" } }
`,
  'x.yaml',
);

t.test('closure prompts: the generated "closed until" text, or the sysadmin\'s; in the manifest with the rest', async (t) => {
  const [it, en] = closurePrompts(config.directorates[0]!, closure({ id: 12 }));
  t.same(it, { path: 'dp/dp-a-closure-12', lang: 'it', text: 'La Direzione Provinciale di Alfa è chiusa in via straordinaria fino alle 14 e 30.' });
  t.same(en, { path: 'dp/dp-a-closure-12-en', lang: 'en', text: 'The Provincial Directorate of Alfa is closed for exceptional reasons until 14:30 today.' });
  const own = closurePrompts(config.directorates[1]!, closure({ id: 13, dp: 'dp-b', messageIt: 'Uffici chiusi per sciopero.' }));
  t.same(own, [{ path: 'dp/dp-b-closure-13', lang: 'it', text: 'Uffici chiusi per sciopero.' }], 'Italian only where English is not offered');
  const bz = { ...config.directorates[1]!, name: 'Bolzano', languages: ['it', 'de', 'fr'] as Array<'it' | 'de' | 'fr'> };
  t.same(
    closurePrompts(bz, closure({ id: 14, dp: 'dp-b', messageIt: 'Uffici chiusi per sciopero.' })).slice(1),
    [
      { path: 'dp/dp-b-closure-14-de', lang: 'de', text: 'Die Landesdirektion Bolzano ist heute bis 14 Uhr 30 ausnahmsweise geschlossen.' },
      { path: 'dp/dp-b-closure-14-fr', lang: 'fr', text: "La Direction provinciale de Bolzano est exceptionnellement fermée jusqu'à 14 heures 30." },
    ],
    'German and French: generated from the end, beside the Italian message',
  );
  const manifest = promptManifest(config, root, [closure({ id: 12 })]).map((p) => p.path);
  t.ok(manifest.includes('dp/dp-a-closure-12') && manifest.includes('it/office-closed-extraordinary') && manifest.includes('dp/dp-a-welcome'));
});

function service(opts: { synth?: () => Promise<unknown>; clock?: { now: Date } } = {}) {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-closures-')), 'c.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const built = new Set<string>();
  const reopened: string[] = [];
  const clock = opts.clock ?? { now };
  const repo = new ClosuresRepo(db);
  const svc = new ClosuresService({
    repo,
    writes: new WriteQueue(),
    config,
    synthesize:
      opts.synth ??
      (async () => {
        // what the script does: every prompt of the manifest gets its audio
        for (const p of promptManifest(config, root, repo.live(clock.now).map(toClosure))) built.add(p.path);
      }),
    messageBuilt: (dp, c) => closurePrompts(dp, c).every((p) => built.has(p.path)),
    onReopened: (dp) => void reopened.push(dp),
    log: { info: () => undefined, warn: () => undefined } as never,
    now: () => clock.now,
  });
  return { db, svc, repo, built, reopened, clock };
}

t.test("close: written, live at once, its message built; the default callback offer is the directorate's", async (t) => {
  const { svc, repo } = service();
  const r = await svc.close({ dp: 'dp-a', until: new Date('2026-12-03T13:30:00Z'), by: 'ivrctl:root' });
  t.match(r, {
    closure: { id: 1, dp: 'dp-a', startsAt: now.toISOString(), endsAt: '2026-12-03T13:30:00.000Z', offerCallback: true, createdBy: 'ivrctl:root' },
    message: { built: true },
  });
  t.match(svc.live('dp-a', now), { closure: { id: 1 }, spoken: true });
  t.equal(svc.live('dp-b', now), undefined);
  t.same(
    svc.intervals('dp-a').map((c) => c.until.toISOString()),
    ['2026-12-03T13:30:00.000Z'],
  );
  const b = await svc.close({ dp: 'dp-b', until: new Date('2026-12-03T12:00:00Z'), by: 'console:anna' });
  t.equal(b.closure.offerCallback, false, "dp-b's offerWhenClosed is false");
  t.equal(repo.live(now).length, 2);
});

t.test('close again: the new closure replaces the live one (history kept); open ends it and wakes the dispatcher', async (t) => {
  const x = service();
  await x.svc.close({ dp: 'dp-a', until: new Date('2026-12-03T13:30:00Z'), by: 'ivrctl:root' });
  await x.svc.close({ dp: 'dp-a', until: new Date('2026-12-04T11:00:00Z'), messageIt: 'Chiuso per sciopero.', offerCallback: false, by: 'ivrctl:root' });
  t.match(x.svc.live('dp-a', now), { closure: { id: 2, messageIt: 'Chiuso per sciopero.', offerCallback: false } });
  t.match(x.repo.recent('dp-a'), [
    { id: 2, reopenedAt: null },
    { id: 1, reopenedBy: 'ivrctl:root', reopenedAt: now.toISOString() },
  ]);
  t.equal(await x.svc.reopen('dp-a', 'console:anna'), true);
  t.equal(x.svc.live('dp-a', now), undefined);
  t.same(x.reopened, ['dp-a']);
  t.equal(await x.svc.reopen('dp-a', 'console:anna'), false, 'not closed any more');
  t.same(x.reopened, ['dp-a']);
});

t.test('a message that cannot be built: the closure holds, callers hear the generic notice', async (t) => {
  const x = service({ synth: async () => Promise.reject(new Error('podman: image not found')) });
  const r = await x.svc.close({ dp: 'dp-a', until: new Date('2026-12-03T13:30:00Z'), by: 'ivrctl:root' });
  t.same(r.message, { built: false, reason: 'podman: image not found' });
  t.match(x.svc.live('dp-a', now), { closure: { id: 1 }, spoken: false });
});

t.test('bad requests are refused before anything is written', async (t) => {
  const x = service();
  await t.rejects(x.svc.close({ dp: 'nope', until: new Date('2026-12-03T13:30:00Z'), by: 'x' }), { name: 'ClosureRequestError', message: /unknown directorate "nope"/ });
  await t.rejects(x.svc.close({ dp: 'dp-a', until: new Date('2026-12-03T08:00:00Z'), by: 'x' }), { message: /not in the future/ });
  await t.rejects(x.svc.close({ dp: 'dp-a', until: new Date('2027-02-01T00:00:00Z'), by: 'x' }), { message: /at most 31 days/ });
  await t.rejects(x.svc.close({ dp: 'dp-a', until: new Date('2026-12-03T13:30:00Z'), messageIt: 'riga uno\nriga due', by: 'x' }), { message: /^message: no control characters/ });
  await t.rejects(x.svc.close({ dp: 'dp-a', until: new Date('2026-12-03T13:30:00Z'), messageIt: 'x'.repeat(401), by: 'x' }), { message: /^message: / });
  await t.rejects(x.svc.close({ dp: 'dp-b', until: new Date('2026-12-03T13:30:00Z'), messageEn: 'Closed.', by: 'x' }), { message: /message-en: dp-b does not offer English/ });
  t.same(x.repo.live(now), []);
});

t.test('after a restart the live closures are loaded with whether their message is built; an ended one is not live', async (t) => {
  const x = service();
  await x.svc.close({ dp: 'dp-a', until: new Date('2026-12-03T13:30:00Z'), by: 'ivrctl:root' });
  const again = new ClosuresService({
    repo: x.repo,
    writes: new WriteQueue(),
    config,
    synthesize: async () => undefined,
    messageBuilt: (dp, c) => closurePrompts(dp, c).every((p) => x.built.has(p.path)),
    onReopened: () => undefined,
    log: { info: () => undefined, warn: () => undefined } as never,
    now: () => now,
  });
  again.load();
  t.match(again.live('dp-a', now), { closure: { id: 1 }, spoken: true });
  t.equal(again.live('dp-a', new Date('2026-12-03T13:30:00Z')), undefined);
});
