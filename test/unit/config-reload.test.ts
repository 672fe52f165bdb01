import t from 'tap';
import { parseConfig } from '../../controller/config/load';
import { applyReload, planReload } from '../../controller/config/reload';
import { ConfigReloader } from '../../controller/config/reloader';
import type { Config } from '../../controller/config/schema';

const yaml = (o: { rings?: number; hours?: string; menu?: string; extra?: string; port?: number } = {}): string => `
http: { port: ${o.port ?? 8080} }
directorates:
  - id: dp-a
    name: Alfa
    numbers: ["0612345678"]
    case: switchboard
    ringsBeforeCallback: ${o.rings ?? 4}
    hours: { weekly: { mon: "${o.hours ?? '09:00-13:00'}" } }
    units: [{ id: rimborsi, name: Ufficio rimborsi, code: "2" }]
${o.menu ? `    menu: [{ key: "${o.menu}", unit: rimborsi }]` : ''}
  - id: dp-b
    name: Beta
    numbers: ["0212345678"]
    case: staff
    ringsBeforeCallback: 3
    hours: { weekly: { mon: "09:00-13:00" } }
${o.extra ?? ''}`;

const cfg = (o: Parameters<typeof yaml>[0] = {}): Config => parseConfig(yaml(o), 'x.yaml');

t.test('plan: the changed fields per directorate; sections that need a restart are listed apart', async (t) => {
  t.same(planReload(cfg(), cfg(), 'x.yaml'), { changed: [], restartRequired: [] });
  const p = planReload(cfg(), cfg({ rings: 6, hours: '08:30-12:00', menu: '2', port: 9090 }), 'x.yaml');
  t.same(p.changed, [{ dp: 'dp-a', fields: ['ringsBeforeCallback', 'hours', 'menu'] }]);
  t.same(p.restartRequired, ['http']);
  const jobs = planReload(cfg(), cfg({ extra: 'jobs: { backup: { at: "0 4 * * *" } }' }), 'x.yaml');
  t.same(jobs.changed, [{ dp: '*', fields: ['jobs'] }], 'the jobs are rebuilt on reload');
});

t.test('plan: a directorate added or removed is refused, naming it', async (t) => {
  const three = cfg({ extra: `  - { id: dp-c, name: Gamma, numbers: ["0312345678"], case: staff, ringsBeforeCallback: 2, hours: { weekly: {} } }` });
  t.throws(() => planReload(cfg(), three, 'x.yaml'), { name: 'ConfigError', message: /directorates: added dp-c: .*restart/ });
  t.throws(() => planReload(three, cfg(), 'x.yaml'), { message: /removed dp-c/ });
});

const fakeLog = () => {
  const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push({ level, obj, msg });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } as never };
};

function reloader(files: string[], opts: { synth?: () => Promise<{ built: number }> } = {}) {
  const running = cfg();
  const heldDp = running.directorates[0]!;
  const observed: string[] = [];
  const steps: string[] = [];
  const { lines, log } = fakeLog();
  let n = 0;
  const r = new ConfigReloader({
    file: 'x.yaml',
    running,
    load: () => parseConfig(files[Math.min(n++, files.length - 1)]!, 'x.yaml'),
    synthesize: async () => {
      steps.push(`synth rings=${running.directorates[0]!.ringsBeforeCallback}`);
      return opts.synth ? opts.synth() : { built: 2 };
    },
    follow: async () => {
      steps.push(`follow rings=${running.directorates[0]!.ringsBeforeCallback}`);
      return { asteriskFiles: ['extensions-directorates.conf'], warnings: [] };
    },
    observe: (o) => void observed.push(o),
    log,
  });
  return { r, running, heldDp, observed, steps, lines };
}

t.test('reload: prompts first, then the new settings in place; a call keeps the directorate it started with', async (t) => {
  const x = reloader([yaml({ rings: 7, menu: '2' })]);
  const directorates = x.running.directorates;
  const res = await x.r.reload('api');
  t.same(x.steps, ['synth rings=4', 'follow rings=7'], 'the prompts are built before the settings change');
  t.equal(x.running.directorates, directorates, 'the same array: every service holding the Config sees the change');
  t.equal(x.running.directorates[0]!.ringsBeforeCallback, 7);
  t.same(x.running.directorates[0]!.menu, [{ key: '2', unit: 'rimborsi' }]);
  t.equal(x.heldDp.ringsBeforeCallback, 4, 'the object a live call holds is untouched');
  t.same(res, {
    file: 'x.yaml',
    changed: [{ dp: 'dp-a', fields: ['ringsBeforeCallback', 'menu'] }],
    restartRequired: [],
    promptsBuilt: 2,
    asteriskFiles: ['extensions-directorates.conf'],
    warnings: [],
  });
  t.same(x.observed, ['applied']);
});

t.test('reload: an invalid file is refused naming the field; nothing is built or changed', async (t) => {
  const x = reloader([yaml({ rings: 0 })]);
  await t.rejects(x.r.reload('SIGHUP'), { name: 'ConfigError', message: /directorates\[0\]\.ringsBeforeCallback/ });
  t.same(x.steps, []);
  t.equal(x.running.directorates[0]!.ringsBeforeCallback, 4);
  t.same(x.observed, ['refused']);
  t.match(
    x.lines.find((l) => l.level === 'error'),
    { obj: { source: 'SIGHUP' }, msg: /refused/ },
  );
});

t.test('reload: prompts that cannot be built leave the running configuration as it was', async (t) => {
  const x = reloader([yaml({ rings: 9 })], { synth: async () => Promise.reject(new Error('podman: no such image')) });
  await t.rejects(x.r.reload('api'), { message: /prompts .* could not be built, so it was not applied \(podman: no such image\)/ });
  t.equal(x.running.directorates[0]!.ringsBeforeCallback, 4);
  t.same(x.observed, ['failed']);
  t.notOk(x.steps.some((s) => s.startsWith('follow')));
});

t.test('reloads run one at a time, in order', async (t) => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let first = true;
  const x = reloader([yaml({ rings: 5 }), yaml({ rings: 6 })], {
    synth: async () => {
      if (first) {
        first = false;
        await gate;
      }
      return { built: 0 };
    },
  });
  const a = x.r.reload('api');
  const b = x.r.reload('SIGHUP');
  await new Promise((r) => setImmediate(r));
  t.same(x.steps, ['synth rings=4'], 'the second waits for the first');
  release();
  await Promise.all([a, b]);
  t.same(x.steps, ['synth rings=4', 'follow rings=5', 'synth rings=5', 'follow rings=6']);
  t.equal(x.running.directorates[0]!.ringsBeforeCallback, 6);
});

t.test('plan and apply: the call timers change on reload; the dispatcher poll waits for a restart', async (t) => {
  const running = cfg();
  const next = cfg({ extra: 'timing: { menuTimeoutSeconds: 8, dispatcherPollSeconds: 2 }' });
  const p = planReload(running, next, 'x.yaml');
  t.same(p.changed, [{ dp: '*', fields: ['timing'] }]);
  t.same(p.restartRequired, ['timing.dispatcherPollSeconds']);
  applyReload(running, next);
  t.equal(running.timing.menuTimeoutSeconds, 8, 'the next call waits 8 s after a menu');
  t.equal(running.timing.dispatcherPollSeconds, 5, 'the running dispatcher keeps its poll');
});
