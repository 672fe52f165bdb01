import t, { type Test } from 'tap';
import path from 'node:path';
import { loadConfig, parseConfig } from '../../controller/config/load';
import { callTiming } from '../../controller/config/schema';
import { ConfigError } from '../../controller/errors';

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

/** The message of the ConfigError a config is refused with (a failure when it is accepted). */
function refusal(t: Test, yaml: string): string {
  try {
    parseConfig(yaml, 'x.yaml');
  } catch (e) {
    t.ok(e instanceof ConfigError);
    return (e as Error).message;
  }
  t.fail('expected a ConfigError');
  return '';
}

t.test('errors name the file and the field', async (t) => {
  const bad = (yaml: string): string => refusal(t, yaml);
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

t.test("timing: today's values by default; a directorate's own timers over the top-level ones; production floors, relaxed only by the test profile", async (t) => {
  const plain = parseConfig(minimal(''), 'x.yaml');
  t.same(plain.timing, {
    profile: 'production',
    ringSeconds: 5,
    menuTimeoutSeconds: 6,
    digitTimeoutSeconds: 7,
    codeGapSeconds: 3,
    topicTimeoutSeconds: 6,
    dispatcherPollSeconds: 5,
  });
  t.same(callTiming(plain.timing, plain.directorates[0]!), { ringMs: 5000, menuTimeoutMs: 6000, digitTimeoutMs: 7000, codeGapMs: 3000, topicTimeoutMs: 6000 });

  const own = parseConfig(minimal('timing: { digitTimeoutSeconds: 9 }').replace('case: switchboard', 'case: switchboard\n    timing: { menuTimeoutSeconds: 10 }'), 'x.yaml');
  t.same(
    callTiming(own.timing, own.directorates[0]!),
    { ringMs: 5000, menuTimeoutMs: 10_000, digitTimeoutMs: 9000, codeGapMs: 3000, topicTimeoutMs: 6000 },
    'the directorate over the top level over the defaults',
  );

  const refused = (yaml: string): string => refusal(t, yaml);
  t.match(refused(minimal('timing: { ringSeconds: 1 }')), /timing\.ringSeconds: at least 3 s in a real office \(only timing\.profile: test allows less\)/);
  t.match(refused(minimal('timing: { dispatcherPollSeconds: 0.5 }')), /timing\.dispatcherPollSeconds: at least 1 s/);
  t.match(
    refused(minimal('').replace('case: switchboard', 'case: switchboard\n    timing: { digitTimeoutSeconds: 2 }')),
    /directorates\[0\]\.timing\.digitTimeoutSeconds: at least 3 s/,
  );
  t.match(
    refused(minimal('').replace('case: switchboard', 'case: switchboard\n    transfer: { codeTimeoutSeconds: 1 }')),
    /directorates\[0\]\.transfer\.codeTimeoutSeconds: at least 3 s/,
  );
  t.match(refused(minimal('timing: { ringSeconds: 0 }')), /timing\.ringSeconds/, 'zero is refused in any profile');
  t.match(refused(minimal('timing: { profile: fast }')), /timing\.profile/);

  const test = parseConfig(
    minimal('timing: { profile: test, ringSeconds: 0.5, menuTimeoutSeconds: 1, dispatcherPollSeconds: 0.2 }').replace(
      'case: switchboard',
      'case: switchboard\n    transfer: { codeTimeoutSeconds: 1 }',
    ),
    'x.yaml',
  );
  t.same(callTiming(test.timing, test.directorates[0]!).ringMs, 500, 'the test profile goes under the floors');
  t.equal(test.directorates[0]!.transfer.codeTimeoutSeconds, 1);
});
