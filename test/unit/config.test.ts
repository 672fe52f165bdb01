import t from 'tap';
import path from 'node:path';
import { loadConfig, parseConfig, ConfigError } from '../../controller/config/load';

const root = path.resolve(__dirname, '..', '..', '..');
const demo = path.join(root, 'config', 'demo.yaml');

const minimal = (over: string) => `
directorates:
  - id: dp-a
    name: Alfa
    numbers: ["0612345678"]
    case: switchboard
    ringsBeforeCallback: 4
    hours: { weekly: { mon: "09:00-13:00" } }
${over}`;

t.test('the shipped demo config is valid and keeps the numbers and cases outside tools rely on', async (t) => {
  const cfg = loadConfig(demo);
  const sw = cfg.directorates.find((d) => d.id === 'demo-sw')!;
  const st = cfg.directorates.find((d) => d.id === 'demo-st')!;
  t.same([sw.numbers, sw.case, sw.ringsBeforeCallback], [['0600000001'], 'switchboard', 4]);
  t.same([st.numbers, st.case, st.ringsBeforeCallback], [['0200000002'], 'staff', 3]);
  t.same(sw.hours.weekly.mon, ['09:00-13:00']);
  t.notOk(sw.hours.weekly.sat, 'demo-sw closed on Saturday');
  t.same(st.hours.weekly.sun, ['00:00-24:00']);
  t.same(cfg.operators.map((o) => o.id).slice(0, 4), ['sw1', 'st1', 'st2', 'unit1']);
  t.ok(sw.units.length > 0 && st.units.length > 0, 'each directorate has an internal unit');
});

t.test('errors name the file and the field', async (t) => {
  const bad = (yaml: string) => {
    try {
      parseConfig(yaml, 'x.yaml');
    } catch (e) {
      t.ok(e instanceof ConfigError);
      return (e as Error).message;
    }
    t.fail('expected a ConfigError');
    return '';
  };
  t.match(bad(minimal('').replace('ringsBeforeCallback: 4', 'ringsBeforeCallback: "four"')), /^x\.yaml: directorates\[0\]\.ringsBeforeCallback: /);
  t.match(bad(minimal('').replace('case: switchboard', 'case: desk')), /directorates\[0\]\.case/);
  t.match(bad(minimal('').replace('"09:00-13:00"', '"13:00-09:00"')), /directorates\[0\]\.hours\.weekly\.mon: a window must end after it starts/);
  t.match(bad(minimal('').replace('0612345678', '899123456')), /directorates\[0\]\.numbers\[0\]/);
  t.match(bad(minimal('operators:\n  - { id: op1, dp: nowhere, role: staff }')), /operators\[0\]\.dp: unknown directorate "nowhere"/);
  t.match(bad(minimal('bogus: 1')), /\(top level\): Unrecognized key.*bogus/i);
  t.match(bad('directorates: [\n'), /^x\.yaml(:\d+)?: invalid YAML/);
  t.match(bad(minimal('').replace('hours: {', 'hours: { timezone: Mars/Base,')), /directorates\[0\]\.hours\.timezone: unknown time zone/);
});

t.test('duplicate numbers across directorates are refused', async (t) => {
  const yaml =
    minimal('') +
    `  - id: dp-b
    name: Beta
    numbers: ["0612345678"]
    case: staff
    ringsBeforeCallback: 3
    hours: { weekly: {} }
`;
  t.throws(() => parseConfig(yaml, 'y.yaml'), /directorates\[1\]\.numbers\[0\]: number 0612345678 already belongs to dp-a/);
});

t.test('a missing file is a one-line error naming it', async (t) => {
  t.throws(() => loadConfig('/nonexistent/c.yaml'), /^\/nonexistent\/c\.yaml: cannot read: ENOENT$/);
});

t.test("languages: Italian always, each at most once; an office cannot take the key of one of the directorate's languages", async (t) => {
  const withLangs = (langs: string, menu = ''): string =>
    minimal('').replace(
      'ringsBeforeCallback: 4',
      `ringsBeforeCallback: 4\n    languages: ${langs}\n    units: [{ id: rimborsi, name: Ufficio rimborsi, code: "40" }]${menu ? `\n    menu: ${menu}` : ''}`,
    );
  t.same(parseConfig(withLangs('[it, de, fr]'), 'x.yaml').directorates[0]!.languages, ['it', 'de', 'fr']);
  t.throws(() => parseConfig(withLangs('[de]'), 'x.yaml'), /directorates\[0\]\.languages: must include "it"/);
  t.throws(() => parseConfig(withLangs('[it, es]'), 'x.yaml'), /directorates\[0\]\.languages\[1\]/);
  t.throws(() => parseConfig(withLangs('[it, de, de]'), 'x.yaml'), /directorates\[0\]\.languages: a language is listed twice/);
  t.throws(
    () => parseConfig(withLangs('[it, de]', '[{ key: "8", unit: rimborsi }]'), 'x.yaml'),
    /directorates\[0\]\.menu\[0\]\.key: key 8 chooses German, one of dp-a's languages/,
  );
  t.throws(() => parseConfig(withLangs('[it, en, fr]', '[{ key: "7", unit: rimborsi }]'), 'x.yaml'), /menu\[0\]\.key: key 7 chooses French/);
  t.same(parseConfig(withLangs('[it, en]', '[{ key: "8", unit: rimborsi }]'), 'x.yaml').directorates[0]!.menu, [{ key: '8', unit: 'rimborsi' }], '8 is free without German');
});
