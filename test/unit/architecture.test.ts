// The controller's dependency rules, checked on its sources: no import cycle between files
// (type-only imports included: a cycle of types is still two modules that cannot be
// understood apart), and no folder importing a folder of a higher layer. The layers go from
// the plain facts (configuration, numbering plan) through storage and the port to Asterisk,
// the call flows, the services that watch and schedule them, to the web and CLI fronts and
// the composition root. A new import that breaks a rule fails here, naming the file.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..', '..');
const controller = path.join(root, 'controller');

/** low to high; a folder may import its own files and those of lower layers only */
const LAYERS: string[][] = [
  ['errors.ts'],
  ['config', 'numbering', 'runtime', 'vocabulary', 'environment.ts'],
  ['storage', 'telephony', 'logging.ts'],
  ['schedule', 'provisioning'],
  ['prompts', 'operators'],
  ['recovery', 'conversation', 'setup.ts'],
  ['inbound', 'callbacks'],
  ['monitoring'],
  ['jobs', 'supervision'],
  ['http'],
  ['console'],
  ['cli'],
  ['main.ts'],
];
const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** a file's unit in the layers: its top folder under controller/, or the root file itself */
const unitOf = (file: string): string => path.relative(controller, file).split(path.sep)[0]!;

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((f) => f.startsWith('.'))
    .map((f) => {
      const p = path.resolve(path.dirname(file), f);
      return (
        [`${p}.ts`, path.join(p, 'index.ts')].find((c) => {
          try {
            return statSync(c).isFile();
          } catch {
            return false;
          }
        }) ?? `${p}.ts`
      );
    });
}

const files = sources(controller);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string): string => path.relative(root, f);

t.test('every controller file is in a layer, and its imports resolve', async (t) => {
  t.ok(files.length > 80, `${files.length} files`);
  for (const f of files) if (!rank.has(unitOf(f))) t.fail(`${rel(f)}: ${unitOf(f)} is in no layer (add it to LAYERS)`);
  for (const [f, deps] of graph) for (const d of deps) if (!graph.has(d)) t.fail(`${rel(f)} imports ${rel(d)}, which is not a controller source`);
});

t.test('no import cycle between files (type-only imports included)', async (t) => {
  // Tarjan's strongly connected components: a component of more than one file is a cycle
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
        onStack.delete(w);
        component.push(w);
      }
      if (component.length > 1) cycles.push(component.map(rel).sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  t.same(cycles, [], 'no cycle');
});

t.test('no folder imports a folder of a higher layer', async (t) => {
  const upward: string[] = [];
  for (const [f, deps] of graph)
    for (const d of deps) {
      const [from, to] = [unitOf(f), unitOf(d)];
      if (from !== to && (rank.get(to) ?? Infinity) >= (rank.get(from) ?? -1)) upward.push(`${rel(f)} -> ${rel(d)} (${from} may not import ${to})`);
    }
  t.same(upward, [], 'every import goes down the layers');
});
