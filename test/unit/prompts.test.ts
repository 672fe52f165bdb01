import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../controller/config/load';
import { commonPrompts, dpPrompts, missingTranslations } from '../../controller/prompts/catalog';
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
