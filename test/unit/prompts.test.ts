import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfig } from '../../controller/config/load';
import { buildKey, promptStatuses } from '../../controller/prompts/built';
import { writePcmWav } from '../wav';
import { commonPrompts, dpPrompts, missingTranslations, promptManifest } from '../../controller/prompts/catalog';
import { dpPromptPath, promptMedia } from '../../controller/prompts/media';

const root = path.resolve(__dirname, '..', '..', '..');

t.test('every prompt the flow plays exists in Italian and English', async (t) => {
  const flow = readFileSync(path.join(root, 'controller', 'inbound', 'ivr-flow.ts'), 'utf8');
  const used = new Set([...flow.matchAll(/common\('([a-z-]+)'\)/g)].map((m) => m[1]!));
  for (const m of flow.matchAll(/(?<!name): '([a-z]+(?:-[a-z]+)+)'/g)) used.add(m[1]!); // the refusal tables (not the directorates' own prompts)
  const names = new Set(commonPrompts(root).map((p) => p.path));
  t.ok(used.size > 20, `${used.size} prompt names found in the flow`);
  for (const name of used) {
    t.ok(names.has(`it/${name}`), `it/${name}`);
    if (name !== 'menu-english') t.ok(names.has(`en/${name}`), `en/${name}`);
  }
  t.same(missingTranslations(root), []);
});

t.test('the English invitation in the Italian menu is spoken by the English voice', async (t) => {
  t.match(commonPrompts(root).find((p) => p.path === 'it/menu-english'), { lang: 'en', text: 'For English, press 9.' });
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
  t.same(dpPrompts(st).filter((p) => p.path.includes('menu-offices')).map((p) => p.text), ['Ufficio rimborsi: prema 2.', 'Ufficio rimborsi: press 2.']);
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
