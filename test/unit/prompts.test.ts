import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfig } from '../../controller/config/load';
import { buildKey, promptStatuses } from '../../controller/prompts/built';
import { writePcmWav } from '../wav';
import { commonPrompts, dpPrompts, missingTranslations, promptManifest } from '../../controller/prompts/catalog';
import { dpPromptPath, numberPromptNames, promptMedia } from '../../controller/prompts/media';
import { LANGUAGE_INVITATIONS, LANGUAGE_KEYS } from '../../controller/config/languages';

const root = path.resolve(__dirname, '..', '..', '..');

t.test('every prompt the flow plays exists in Italian, English, German and French', async (t) => {
  const flow = readFileSync(path.join(root, 'controller', 'inbound', 'ivr-flow.ts'), 'utf8');
  const used = new Set([...flow.matchAll(/common\('([a-z-]+)'\)/g)].map((m) => m[1]!));
  for (const m of flow.matchAll(/(?<!name): '([a-z]+(?:-[a-z]+)+)'/g)) used.add(m[1]!); // the refusal tables (not the directorates' own prompts)
  const names = new Set(commonPrompts(root).map((p) => p.path));
  t.ok(used.size > 20, `${used.size} prompt names found in the flow`);
  for (const name of used) {
    t.ok(names.has(`it/${name}`), `it/${name}`);
    for (const lang of ['en', 'de', 'fr']) if (!name.startsWith('menu-') || name === 'menu-main') t.ok(names.has(`${lang}/${name}`), `${lang}/${name}`);
  }
  for (const name of Object.values(LANGUAGE_INVITATIONS)) t.ok(names.has(`it/${name}`), `it/${name}`);
  t.same(missingTranslations(root), []);
  const yaml = path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-tr-')), 'sounds');
  mkdirSync(yaml);
  writeFileSync(path.join(yaml, 'prompts.yaml'), 'it: { goodbye: Arrivederci., op-calling: x, menu-german: y }\nen: { goodbye: Goodbye. }\nde: {}\n');
  t.same(missingTranslations(path.dirname(yaml)), ['de/goodbye', 'fr/goodbye'], 'a missing translation is named by language');
});

t.test('each invitation in the Italian menu is spoken in its own language and names its key', async (t) => {
  const common = commonPrompts(root);
  t.match(
    common.find((p) => p.path === 'it/menu-english'),
    { lang: 'en', text: 'For English, press 9.' },
  );
  for (const [lang, name] of Object.entries(LANGUAGE_INVITATIONS)) {
    const p = common.find((x) => x.path === `it/${name}`);
    t.equal(p?.lang, lang, `${name} in ${lang}`);
    t.match(p?.text, new RegExp(`\\b${LANGUAGE_KEYS[lang as keyof typeof LANGUAGE_KEYS]}\\.$`), `${name} names key ${LANGUAGE_KEYS[lang as keyof typeof LANGUAGE_KEYS]}`);
  }
});

t.test('German and French read numbers and digits from synthesized prompts; Italian and English from Asterisk', async (t) => {
  t.same(promptMedia({ kind: 'digits', value: '061' }, 'de', 'dp-a'), ['sound:/opt/ivr/sounds/de/digit-0', 'sound:/opt/ivr/sounds/de/digit-6', 'sound:/opt/ivr/sounds/de/digit-1']);
  t.same(promptMedia({ kind: 'number', value: 57 }, 'fr', 'dp-a'), ['sound:/opt/ivr/sounds/fr/number-57']);
  t.same(promptMedia({ kind: 'number', value: 157 }, 'de', 'dp-a'), ['sound:/opt/ivr/sounds/de/number-100', 'sound:/opt/ivr/sounds/de/number-57']);
  t.same(numberPromptNames(300), ['number-300']);
  t.same(numberPromptNames(1205), ['digit-1', 'digit-2', 'digit-0', 'digit-5'], 'past 999: digit by digit');
  t.same(promptMedia({ kind: 'number', value: 157 }, 'en', 'dp-a'), ['number:157']);
  const common = commonPrompts(root, ['it', 'de']);
  for (const n of [0, 9, 57, 99, 100, 900])
    t.match(
      common.find((p) => p.path === `de/number-${n}`),
      { lang: 'de', text: String(n) },
    );
  for (let d = 0; d <= 9; d++)
    t.ok(
      common.some((p) => p.path === `de/digit-${d}`),
      `de/digit-${d}`,
    );
  t.notOk(
    common.some((p) => p.path.startsWith('fr/') || p.path.startsWith('en/')),
    'only the languages asked for',
  );
  t.notOk(
    common.some((p) => p.path === 'it/number-5'),
    "Italian numbers are Asterisk's",
  );
});

t.test('the manifest has German and French only when a directorate speaks them, with its own prompts in them', async (t) => {
  const base = (languages: string): string => `
directorates:
  - id: dp-bz
    name: Bolzano
    numbers: ["0471000001"]
    case: staff
    ringsBeforeCallback: 2
    languages: ${languages}
    hours: { weekly: { mon: "09:00-13:00", tue: "09:00-13:00", wed: "09:00-12:30" }, nationalHolidays: true }
    units: [{ id: rimborsi, name: Ufficio rimborsi, code: "40" }]
    menu: [{ key: "2", unit: rimborsi }]
`;
  const two = promptManifest(parseConfig(base('[it, en]'), 'x.yaml'), root);
  t.notOk(
    two.some((p) => p.path.startsWith('de/') || p.path.startsWith('fr/') || /-(de|fr)$/.test(p.path)),
    'it, en: no German or French',
  );
  const four = promptManifest(parseConfig(base('[it, de, fr]'), 'x.yaml'), root);
  const text = (p: string): string | undefined => four.find((x) => x.path === p)?.text;
  t.ok(four.some((p) => p.path === 'de/goodbye') && four.some((p) => p.path === 'fr/number-42'));
  t.notOk(
    four.some((p) => p.path.startsWith('en/')),
    'no English where nobody speaks it',
  );
  t.equal(text('dp/dp-bz-hours-de'), 'von Montag bis Dienstag von 9 Uhr bis 13 Uhr; am Mittwoch von 9 Uhr bis 12 Uhr 30, außer an Feiertagen.');
  t.equal(text('dp/dp-bz-hours-fr'), 'du lundi au mardi de 9 heures à 13 heures; le mercredi de 9 heures à 12 heures 30, sauf les jours fériés.');
  t.equal(text('dp/dp-bz-menu-offices-de'), 'Ufficio rimborsi: drücken Sie die 2.');
  t.equal(text('dp/dp-bz-menu-offices-fr'), 'Ufficio rimborsi: appuyez sur 2.');
  t.match(text('dp/dp-bz-welcome-de'), /^Agentur der Einnahmen, Landesdirektion Bolzano\. Willkommen\./);
  t.match(text('dp/dp-bz-callback-greeting-fr'), /Direction provinciale de Bolzano/);
  t.equal(four.find((p) => p.path === 'dp/dp-bz-welcome-de')?.lang, 'de', 'spoken by the German voice');
});

t.test("a directorate's own prompts the flow plays exist for it, in each of its languages (the offices of its menu too)", async (t) => {
  const flow = readFileSync(path.join(root, 'controller', 'inbound', 'ivr-flow.ts'), 'utf8');
  const used = new Set([...flow.matchAll(/kind: 'dp', name: '([a-z-]+)'/g)].map((m) => m[1]!));
  t.ok(used.has('welcome') && used.has('menu-offices'), [...used].join(', '));
  const cfg = parseConfig(readFileSync(path.join(root, 'config', 'demo.yaml'), 'utf8'), 'demo.yaml');
  for (const dp of cfg.directorates) {
    const paths = new Set(dpPrompts(dp).map((p) => p.path));
    for (const name of used) for (const lang of dp.languages) t.ok(paths.has(dpPromptPath(dp.id, name, lang)), `${dp.id}: ${dpPromptPath(dp.id, name, lang)}`);
  }
  const st = cfg.directorates.find((d) => d.id === 'demo-st')!;
  t.same(
    dpPrompts(st)
      .filter((p) => p.path.includes('menu-offices'))
      .map((p) => p.text),
    ['Ufficio rimborsi: prema 2.', 'Ufficio rimborsi: press 2.'],
  );
});

t.test('digits are one sound file each, so a key can stop them between two (a "digits:" say cannot be stopped)', async (t) => {
  t.same(promptMedia({ kind: 'digits', value: '0612' }, 'it', 'demo-sw'), ['sound:digits/0', 'sound:digits/6', 'sound:digits/1', 'sound:digits/2']);
  t.same(promptMedia({ kind: 'number', value: 3 }, 'it', 'demo-sw'), ['number:3']);
  t.same(promptMedia({ kind: 'dp', name: 'welcome' }, 'en', 'demo-sw'), ['sound:/opt/ivr/sounds/dp/demo-sw-welcome-en']);
});

t.test('recordings: a recorded WAV replaces a prompt by its path; an unknown path or a missing file is named; list and check tell what is built from what', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-rec-'));
  const wav = (name: string, bytes: number[]): string => {
    const f = path.join(dir, name);
    writePcmWav(f, Buffer.from(bytes), 44100, 1);
    return f;
  };
  wav('welcome.wav', [1, 2, 3, 4]);
  wav('menu.wav', [5, 6]);
  writeFileSync(path.join(dir, 'notes.txt'), 'not audio at all');
  const base = `
directorates:
  - id: dp-a
    name: Alfa
    numbers: ["0612345678"]
    case: staff
    ringsBeforeCallback: 2
    hours: { weekly: { mon: "09:00-13:00" } }
`;
  const cfgFile = path.join(dir, 'ivr.yaml');
  writeFileSync(cfgFile, `recordings:\n  dp/dp-a-welcome: welcome.wav\n  it/menu-main: ${path.join(dir, 'menu.wav')}\n${base}`);
  const config = loadConfig(cfgFile);
  t.same(config.recordings, { 'dp/dp-a-welcome': path.join(dir, 'welcome.wav'), 'it/menu-main': path.join(dir, 'menu.wav') }, 'paths relative to the config file');
  const specs = promptManifest(config, root);
  t.equal(specs.find((p) => p.path === 'dp/dp-a-welcome')?.recording, path.join(dir, 'welcome.wav'));
  t.equal(specs.find((p) => p.path === 'it/menu-main')?.recording, path.join(dir, 'menu.wav'));
  t.notOk(specs.find((p) => p.path === 'en/menu-main')?.recording, 'the English one stays synthesized');

  t.throws(() => parseConfig(`recordings:\n  "../etc/passwd": x.wav\n${base}`, 'x.yaml'), /recordings\.\.\.\/etc\/passwd: expected a prompt path/);
  t.throws(() => promptManifest(parseConfig(`recordings:\n  dp/dp-b-welcome: x.wav\n${base}`, 'x.yaml'), root), /recordings\.dp\/dp-b-welcome: no such prompt/);

  // the built prompts: what the prompt script leaves (<path>.wav and its source in <path>.txt)
  const sounds = path.join(dir, 'gen');
  const built = (p: string, source: string): void => {
    mkdirSync(path.dirname(path.join(sounds, p)), { recursive: true });
    writeFileSync(path.join(sounds, `${p}.wav`), 'RIFF');
    writeFileSync(path.join(sounds, `${p}.txt`), source);
  };
  const welcome = specs.find((p) => p.path === 'dp/dp-a-welcome')!;
  const fallback = specs.find((p) => p.path === 'dp/dp-a-fallback')!;
  built(welcome.path, buildKey(welcome));
  built(fallback.path, 'an older text');
  t.match(buildKey(welcome), /^recorded:[0-9a-f]{64}$/);
  const byPath = (rows: ReturnType<typeof promptStatuses>): Record<string, string> => Object.fromEntries(rows.map((r) => [r.path, `${r.source}/${r.state}`]));
  let status = byPath(promptStatuses(specs, sounds));
  t.equal(status['dp/dp-a-welcome'], 'recorded/ok');
  t.equal(status['dp/dp-a-fallback'], 'synthesized/outdated', 'its text changed since it was built');
  t.equal(status['it/menu-main'], 'recorded/missing', 'never built');
  t.equal(status['en/menu-main'], 'synthesized/missing');
  wav('welcome.wav', [9, 9, 9, 9]);
  status = byPath(promptStatuses(specs, sounds));
  t.equal(status['dp/dp-a-welcome'], 'recorded/outdated', 'a new recording in the same file: built again at the next make prompts');
  const noFile = promptStatuses([{ ...welcome, recording: path.join(dir, 'gone.wav') }], sounds)[0]!;
  t.match(noFile, { state: 'missing', problem: /cannot read .*gone\.wav: ENOENT/ });
  const notWav = promptStatuses([{ ...welcome, recording: path.join(dir, 'notes.txt') }], sounds)[0]!;
  t.match(notWav, { state: 'missing', problem: /notes\.txt is not a WAV file/ });
});
