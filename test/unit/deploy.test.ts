// The monitoring shipped in deploy/: Prometheus's alert rules pass promtool's own checks and
// unit tests (deploy/prometheus/alerts.test.yml: each alert fires on what should fire it and
// not on the healthy case), and every controller metric the rules and the Grafana dashboard
// name is one the controller exports (Asterisk's are checked against a live Asterisk in
// test/integration/figures.test.ts).
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Metrics, OPERATOR_STATE_LABELS } from '../../controller/monitoring/metrics';

const root = path.resolve(__dirname, '..', '..', '..');
const promDir = path.join(root, 'deploy', 'prometheus');
const dashboardFile = path.join(root, 'deploy', 'grafana', 'ivr-callback.json');

const run = (cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ code, out: `${stdout}${stderr}${err && code === 127 ? ` ${err.message}` : ''}` });
    });
  });

async function exportedNames(): Promise<Set<string>> {
  const m = new Metrics({
    ariConnected: () => true,
    activeCalls: () => 0,
    activeAttempts: () => 0,
    pendingByDp: () => ({}),
    operatorStates: async () => [],
    directorates: ['d'],
    today: () => [],
    followups: () => [],
    storage: () => ({ queued: 0, state: 0, freeBytes: 1 }),
    closed: () => [],
    inService: () => [],
    oldestDue: () => ({}),
    jobs: () => [{ job: 'backup', lastOkAt: new Date().toISOString(), lastFailed: false }],
  });
  const names = new Set<string>();
  for (const metric of await m.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (metric.type === ('histogram' as never)) for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
    if (metric.type === ('summary' as never)) for (const s of ['_sum', '_count']) names.add(metric.name + s);
  }
  return names;
}

const referenced = (text: string): string[] => [...new Set(text.match(/\bivr_[a-z0-9_]+/g) ?? [])];

function dashboardExprs(): string[] {
  const d = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  return d.panels.flatMap((p) => (p.targets ?? []).map((x) => x.expr));
}

t.test('promtool: the alert rules are valid and their unit tests pass', async (t) => {
  const check = await run('promtool', ['check', 'rules', 'alerts.yml'], promDir);
  t.equal(check.code, 0, `promtool check rules (make test installs Debian's prometheus for promtool): ${check.out}`);
  t.match(check.out, /SUCCESS: \d+ rules found/);
  const tests = await run('promtool', ['test', 'rules', 'alerts.test.yml'], promDir);
  t.equal(tests.code, 0, tests.out);
  t.match(tests.out, /SUCCESS/);
  const cfg = await run('promtool', ['check', 'config', '--syntax-only', 'prometheus.yml'], promDir);
  t.equal(cfg.code, 0, cfg.out);
});

t.test('every alert the issue lists is there, and each one is unit-tested', async (t) => {
  const rules = readFileSync(path.join(promDir, 'alerts.yml'), 'utf8');
  const tests = readFileSync(path.join(promDir, 'alerts.test.yml'), 'utf8');
  const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
  for (const a of [
    'IvrControllerDown',
    'IvrAriDisconnected',
    'IvrNoOperatorRegistered',
    'IvrCallbacksOverdue',
    'IvrJobFailed',
    'IvrJobNotRun',
    'IvrErrorsRising',
    'IvrEventLoopDelay',
  ]) {
    t.ok(alerts.includes(a), `${a} defined`);
  }
  for (const a of alerts) t.match(tests, new RegExp(`alertname: ${a}\\n\\s+exp_alerts:\\n\\s+- exp_labels`), `${a} has a test where it fires`);
});

t.test('the rules and the dashboard name only metrics the controller exports', async (t) => {
  const names = await exportedNames();
  const rules = readFileSync(path.join(promDir, 'alerts.yml'), 'utf8');
  const exprs = dashboardExprs();
  t.ok(exprs.length >= 15, `${exprs.length} dashboard queries`);
  for (const name of [...referenced(rules), ...referenced(exprs.join('\n'))]) t.ok(names.has(name), `${name} is exported`);
  // label values the queries match on are the ones the metrics use
  for (const m of `${rules}\n${exprs.join('\n')}`.matchAll(/state!?="([^"]+)"/g)) t.ok(Object.values(OPERATOR_STATE_LABELS).includes(m[1]), `operator state ${m[1]}`);
});

t.test('the dashboard: what the issue lists, and a directorate filter every per-directorate panel uses', async (t) => {
  const d = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
    uid: string;
    templating: { list: Array<{ name: string }> };
    panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }>;
  };
  t.equal(d.uid, 'ivr-callback');
  t.same(
    d.templating.list.map((v) => v.name),
    ['datasource', 'dp'],
  );
  t.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length, 'panel ids are unique');
  const all = d.panels.flatMap((p) => p.targets.map((x) => x.expr)).join('\n');
  for (const m of [
    'ivr_calls_total',
    'ivr_rings_before_answer_bucket',
    'ivr_callback_attempts_total',
    'ivr_callbacks_pending',
    'ivr_callbacks_overdue_seconds',
    'ivr_operators',
    'ivr_dispatch_delay_seconds_bucket',
    'ivr_errors_total',
  ]) {
    t.ok(all.includes(m), `a panel shows ${m}`);
  }
  for (const p of d.panels)
    for (const x of p.targets) if (/ivr_(calls_total|operators|callbacks_pending|today_)/.test(x.expr)) t.match(x.expr, /dp=~"\$dp"/, `${p.title}: filtered by directorate`);
});
