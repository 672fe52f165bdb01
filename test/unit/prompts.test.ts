import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { commonPrompts, missingTranslations } from '../../controller/prompts/catalog';

const root = path.resolve(__dirname, '..', '..', '..');

t.test('every prompt the flow plays exists in Italian and English', async (t) => {
  const flow = readFileSync(path.join(root, 'controller', 'inbound', 'ivr-flow.ts'), 'utf8');
  const used = new Set([...flow.matchAll(/common\('([a-z-]+)'\)/g)].map((m) => m[1]!));
  for (const m of flow.matchAll(/: '([a-z]+(?:-[a-z]+)+)'/g)) used.add(m[1]!); // the refusal tables
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
