// ivrctl against a temporary state dir, database and config, with the controller and
// Asterisk DOWN. Most commands run in-process (runIvrctl, the binary's own command tree, with
// its output captured: a process per command made this file take 30 s); the real binary, as
// a child process, is kept where the process itself is what is tested: --version and --help,
// usage errors, exit codes, stdin, and waiting for a lock another process holds. The config points them (the config points them at free loopback
// ports, so a stack running on this machine cannot answer). Every expectation is derived
// from the rows inserted here or from the config written here, not copied from the output.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ivrctlInProcess, type Run } from '../fixtures/ivrctl-in-process';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'dist', 'controller', 'cli', 'ivrctl.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'ivrctl-'));
const dbFile = path.join(dir, 'ivr.db');
const cfgFile = path.join(dir, 'deployment.yaml');

interface DemoConfig {
  http?: { host?: string; port?: number };
  asterisk?: { ariUrl?: string; amiPort?: number };
  directorates: Array<{ id: string; numbers: string[]; ringsBeforeCallback: number }>;
  operators: Array<{ id: string; dp: string; role: string; unit?: string }>;
  jobs?: Record<string, unknown>;
}
const demo = parseYaml(readFileSync(path.join(root, 'config', 'demo.yaml'), 'utf8')) as DemoConfig;
const dpIds = demo.directorates.map((d) => d.id);
const migrationFiles = readdirSync(path.join(root, 'db'))
  .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
  .sort();

// the contract's callback statuses
const STATUSES = ['pending', 'dialing', 'done', 'failed', 'cancelled', 'expired'];

const baseEnv = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, IVR_STATE_DIR: dir, IVR_DB: dbFile, IVR_CONFIG: cfgFile };
  // tap's loader hooks would follow every child and slow each start down
  delete e.NODE_OPTIONS;
  return e;
};

function run(file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...baseEnv(), ...extraEnv }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
/** One command line run in this process, as the binary would run it. */
const inProcess = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> => ivrctlInProcess(args, { ...baseEnv(), ...extraEnv });
const ivrctl = (...args: string[]): Promise<Run> => inProcess(args);
const ivrctlEnv = (extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> => inProcess(args, extraEnv);
/** The real binary, a process of its own. */
const ivrctlBin = (...args: string[]): Promise<Run> => run('node', [bin, ...args]);
const ivrctlBinEnv = (extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> => run('node', [bin, ...args], extraEnv);

/** A runtime or usage failure of ours: the exit code and exactly one "ivrctl: " line on stderr, nothing on stdout. */
function failsWith(t: Test, r: Run, code: number, message: RegExp): void {
  t.equal(r.code, code, `exit ${code} (stderr: ${r.stderr.trim()})`);
  t.equal(r.stdout, '', 'nothing on stdout');
  t.match(r.stderr, /^ivrctl: [^\n]+\n$/, 'one line on stderr');
  t.match(r.stderr, message);
}

/** commander's own usage errors: only the exit code and an empty stdout are ours to check. */
function usageError(t: Test, r: Run): void {
  t.equal(r.code, 2, `exit 2 (stderr: ${r.stderr.trim()})`);
  t.equal(r.stdout, '', 'nothing on stdout');
}

function jsonOut<T>(t: Test, r: Run, code = 0): T {
  t.equal(r.code, code, `exit ${code} (stderr: ${r.stderr.trim()})`);
  // JSON.parse refuses anything around the one value, so this also checks nothing else is printed
  return JSON.parse(r.stdout) as T;
}

/** The cells of an aligned table, sliced at the columns where the header's words start. */
function parseTable(t: Test, text: string): { header: string[]; rows: string[][] } {
  const lines = text.replace(/\n$/, '').split('\n');
  const headerLine = lines[0]!;
  const starts = [...headerLine.matchAll(/\S+/g)].map((m) => m.index);
  const header = starts.map((s, i) => headerLine.slice(s, starts[i + 1]).trim());
  const rows = lines.slice(1).map((line, n) => {
    starts.forEach((s, i) => {
      // an aligned cell starts exactly under its header, after the two-space gap
      if (line[s] === undefined || line[s] === ' ' || (i > 0 && line.slice(s - 2, s) !== '  ')) t.fail(`row ${n + 1} not aligned at column ${header[i]}: ${JSON.stringify(line)}`);
    });
    return starts.map((s, i) => line.slice(s, starts[i + 1]).trim());
  });
  return { header, rows };
}

/** Loopback ports nothing listens on right now. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

let ports: { http: number; ami: number; ari: number };

const ids: Record<'A' | 'B' | 'C' | 'D', number> = { A: 0, B: 0, C: 0, D: 0 };

/**
 * The rows the read commands are checked against. Times chosen around the Rome day
 * boundary: 23:30Z on Nov 25 is Nov 26 local, 23:30Z on Nov 26 is Nov 27 local.
 */
function insertFixture(file: string): void {
  const db = new Database(file);
  try {
    db.transaction(() => {
      const call = db.prepare(
        `INSERT INTO calls (id, dp, caller, dialed, started_at, answered_at, ended_at, end_reason, language, answered_by, ring_count)
         VALUES (@id, @dp, @caller, @dialed, @startedAt, @answeredAt, @endedAt, @endReason, @language, @answeredBy, @ringCount)`,
      );
      const cb = db.prepare(
        `INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, call_id, attempts, updated_at, last_outcome)
         VALUES (@dp, @number, @language, @status, @requestedAt, @requestedAt, @expiresAt, @callId, @attempts, @updatedAt, @lastOutcome)`,
      );
      const c = { answeredAt: null, endedAt: null, endReason: 'completed', language: 'it', answeredBy: null, ringCount: null };
      call.run({ ...c, id: 'call-a', dp: 'demo-sw', caller: '0612345678', dialed: '0600000001', startedAt: '2026-11-26T09:58:00.000Z', ringCount: 4 });
      call.run({ ...c, id: 'call-b', dp: 'demo-st', caller: '0298765432', dialed: '0200000002', startedAt: '2026-07-15T08:29:00.000Z', language: 'en' });
      call.run({ ...c, id: 'call-c', dp: 'demo-st', caller: '3331234567', dialed: '0200000002', startedAt: '2026-11-26T23:29:00.000Z' });
      call.run({
        ...c,
        id: 'call-d',
        dp: 'demo-st',
        caller: '0211111111',
        dialed: '0200000002',
        startedAt: '2026-11-26T12:00:00.000Z',
        answeredAt: '2026-11-26T12:00:10.000Z',
        answeredBy: 'st1',
        ringCount: 2,
      });
      call.run({ ...c, id: 'call-e', dp: 'demo-sw', caller: null, dialed: '0600000001', startedAt: '2026-11-25T23:30:00.000Z', endReason: 'caller_hangup' });
      const b = { expiresAt: '2026-11-30T12:00:00.000Z', lastOutcome: null };
      ids.A = Number(
        cb.run({
          ...b,
          dp: 'demo-sw',
          number: '0612345678',
          language: 'it',
          status: 'pending',
          requestedAt: '2026-11-26T10:00:00.000Z',
          callId: 'call-a',
          attempts: 0,
          updatedAt: '2026-11-26T10:00:00.000Z',
        }).lastInsertRowid,
      );
      ids.B = Number(
        cb.run({
          ...b,
          dp: 'demo-st',
          number: '0298765432',
          language: 'en',
          status: 'done',
          requestedAt: '2026-07-15T08:30:00.000Z',
          callId: 'call-b',
          attempts: 1,
          updatedAt: '2026-07-15T09:05:00.000Z',
          lastOutcome: 'connected',
        }).lastInsertRowid,
      );
      ids.C = Number(
        cb.run({
          ...b,
          dp: 'demo-st',
          number: '3331234567',
          language: 'it',
          status: 'failed',
          requestedAt: '2026-11-26T23:30:00.000Z',
          callId: 'call-c',
          attempts: 3,
          updatedAt: '2026-11-27T08:00:00.000Z',
        }).lastInsertRowid,
      );
      ids.D = Number(
        cb.run({
          ...b,
          dp: 'demo-sw',
          number: '0612345678',
          language: 'it',
          status: 'cancelled',
          requestedAt: '2026-11-25T09:00:00.000Z',
          callId: null,
          attempts: 0,
          updatedAt: '2026-11-25T10:00:00.000Z',
        }).lastInsertRowid,
      );
      const link = db.prepare('UPDATE calls SET callback_id = ? WHERE id = ?');
      link.run(ids.A, 'call-a');
      link.run(ids.B, 'call-b');
      link.run(ids.C, 'call-c');
      // offered twice in the same call: the report counts calls offered, not offers
      const ev = db.prepare('INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?)');
      ev.run('call-a', '2026-11-26T09:59:00.000Z', 'offer', '{}');
      ev.run('call-a', '2026-11-26T09:59:30.000Z', 'offer', '{}');
      db.prepare(
        `INSERT INTO callback_attempts (callback_id, operator, stage, caller_attempt, operator_channel, caller_channel, started_at, caller_dialed_at, connected_at, ended_at, outcome)
         VALUES (?, 'st1', 'ended', 1, 'op-b-1', 'caller-b-1', '2026-07-15T09:00:00.000Z', '2026-07-15T09:00:10.000Z', '2026-07-15T09:00:30.000Z', '2026-07-15T09:05:00.000Z', 'connected')`,
      ).run(ids.B);
      db.prepare(
        "INSERT INTO outcomes (dp, number, call_id, kind, official, code, label, at) VALUES ('demo-st', '0211111111', 'call-d', 'operator', 'st1', '1', 'basic_information_given', '2026-11-26T12:04:00.000Z')",
      ).run();
    })();
  } finally {
    db.close();
  }
}

t.before(async () => {
  const [http, ami, ari] = (await freePorts(3)) as [number, number, number];
  ports = { http, ami, ari };
  writeFileSync(cfgFile, stringifyYaml({ ...demo, http: { ...demo.http, port: http }, asterisk: { ...demo.asterisk, amiPort: ami, ariUrl: `http://127.0.0.1:${ari}` } }));
  const setup = await ivrctl('setup');
  if (setup.code !== 0) throw new Error(`ivrctl setup failed: ${setup.stderr}`);
  insertFixture(dbFile);
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('setup created the database and seeded the configured operators once', async (t) => {
  t.ok(existsSync(dbFile));
  const again = await ivrctl('setup');
  t.equal(again.code, 0, again.stderr);
  t.notMatch(again.stdout, /created/, 'a second setup seeds nobody again');
});

t.test('--version, --help, and usage errors of commander', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const v = await ivrctlBin('--version');
  t.equal(v.code, 0);
  t.equal(v.stdout, `${pkg.version}\n`);

  const help = await ivrctlBin('--help');
  t.equal(help.code, 0, help.stderr);
  const commands = help.stdout
    .split('\n')
    .filter((l) => /^ {2}[a-z]/.test(l))
    .map((l) => l.trim().split(/\s/)[0]);
  for (const c of ['status', 'operators', 'callbacks', 'profile', 'report', 'db', 'jobs', 'config', 'completion']) t.ok(commands.includes(c), `--help lists ${c}`);

  const sub = await ivrctlBin('callbacks', '--help');
  t.equal(sub.code, 0);
  for (const c of ['list', 'show', 'cancel', 'retry', 'reschedule']) t.match(sub.stdout, new RegExp(`^  ${c}\\b`, 'm'), `callbacks --help lists ${c}`);

  usageError(t, await ivrctlBin('frobnicate'));
  usageError(t, await ivrctlBin('--frobnicate'));
  usageError(t, await ivrctlBin('operators', 'list', '--frobnicate'));
  usageError(t, await ivrctlBin('callbacks', 'list', '--status', 'bogus'));
  usageError(t, await ivrctlBin('callbacks', 'show'));
  // the binary's own error path: one line, exit 2 for bad input, 1 for a runtime failure
  failsWith(t, await ivrctlBin('callbacks', 'show', 'abc'), 2, /callback id must be a number, got "abc"/);
  failsWith(t, await ivrctlBinEnv({ IVR_DB: path.join(dir, 'missing.db') }, 'callbacks', 'list'), 1, /no database at .*missing\.db/);
});

t.test("an operator cannot take a trunk's name: one PJSIP namespace", async (t) => {
  for (const id of ['trunk', 'trunk-auth', 'trunk-reg'])
    failsWith(t, await ivrctl('operators', 'add', id, '--dp', 'demo-sw', '--role', 'switchboard'), 2, new RegExp(`operator id "${id}" is taken by the trunk "trunk"`));
  t.notOk(
    jsonOut<Array<{ id: string }>>(t, await ivrctl('operators', 'list', '--json')).some((o) => o.id.startsWith('trunk')),
    'nothing created',
  );
});

t.test('operators list: the seeded operators, as an aligned table and as JSON', async (t) => {
  const seeded = demo.operators.map((o) => o.id).sort();
  t.ok(
    ['sw1', 'st1', 'st2', 'unit1'].every((id) => seeded.includes(id)),
    'the demo config seeds the contract operators',
  );

  const table = await ivrctl('operators', 'list');
  t.equal(table.code, 0, table.stderr);
  const { header, rows } = parseTable(t, table.stdout);
  t.same(header, ['ID', 'DP', 'ROLE', 'UNIT', 'PAUSED', 'PAUSEDAT', 'CREATEDAT']);
  t.same(rows.map((r) => r[0]).sort(), seeded);
  for (const o of demo.operators) {
    const row = rows.find((r) => r[0] === o.id)!;
    t.same(row.slice(1, 6), [o.dp, o.role, o.unit ?? '-', 'no', '-'], `row of ${o.id}`);
    t.match(row[6], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T$/, 'created in Italian local time');
  }

  const json = jsonOut<Array<{ id: string; dp: string; role: string; unit: string | null; paused: boolean }>>(t, await ivrctl('operators', 'list', '--json'));
  t.same(json.map((o) => o.id).sort(), seeded);
  for (const o of demo.operators)
    t.match(
      json.find((x) => x.id === o.id),
      { id: o.id, dp: o.dp, role: o.role, unit: o.unit ?? null, paused: false, pausedAt: null },
    );
});

interface CallbackJson {
  id: number;
  dp: string;
  number: string;
  status: string;
  attempts: number;
  requestedAt: string;
  language: string;
  position: number | null;
  group: string;
  attemptLog?: Array<{ operator: string; outcome: string | null; callerAttempt: number | null }>;
}

t.test('callbacks list: JSON fields, filters, and local times in the table', async (t) => {
  const all = jsonOut<CallbackJson[]>(t, await ivrctl('callbacks', 'list', '--json'));
  t.same(
    all.map((c) => c.id),
    [ids.A, ids.B, ids.C, ids.D],
    'oldest first (by id)',
  );
  t.match(all[0], { id: ids.A, dp: 'demo-sw', number: '0612345678', status: 'pending', attempts: 0, requestedAt: '2026-11-26T10:00:00.000Z', language: 'it', position: 1 });
  t.match(all[1], { id: ids.B, dp: 'demo-st', number: '0298765432', status: 'done', attempts: 1, requestedAt: '2026-07-15T08:30:00.000Z', language: 'en', position: null });
  t.match(all[2], { id: ids.C, dp: 'demo-st', number: '3331234567', status: 'failed', attempts: 3, language: 'it' });
  t.match(all[3], { id: ids.D, dp: 'demo-sw', status: 'cancelled' });
  for (const c of all) t.equal(new Date(c.requestedAt).toISOString(), c.requestedAt, 'requestedAt is ISO 8601 UTC');

  const st = jsonOut<CallbackJson[]>(t, await ivrctl('callbacks', 'list', '--dp', 'demo-st', '--json'));
  t.same(
    st.map((c) => c.id),
    [ids.B, ids.C],
  );
  const pending = jsonOut<CallbackJson[]>(t, await ivrctl('callbacks', 'list', '--status', 'pending', '--json'));
  t.same(
    pending.map((c) => c.id),
    [ids.A],
  );
  t.same(jsonOut(t, await ivrctl('callbacks', 'list', '--dp', 'demo-st', '--status', 'pending', '--json')), []);
  const none = await ivrctl('callbacks', 'list', '--dp', 'demo-st', '--status', 'pending');
  t.equal(none.stdout, '(none)\n');

  failsWith(t, await ivrctl('callbacks', 'list', '--dp', 'nope'), 2, /unknown directorate "nope" \(known: demo-sw, demo-st\)/);

  const table = await ivrctl('callbacks', 'list');
  t.equal(table.code, 0, table.stderr);
  const { header, rows } = parseTable(t, table.stdout);
  t.same(header, ['ID', 'DP', 'GROUP', 'NUMBER', 'STATUS', 'POSITION', 'ATTEMPTS', 'LASTOUTCOME', 'LANGUAGE', 'REQUESTEDAT', 'DUEAT']);
  t.same(
    rows.map((r) => r[0]),
    [ids.A, ids.B, ids.C, ids.D].map(String),
  );
  const col = (name: string, id: number): string => rows.find((r) => r[0] === String(id))![header.indexOf(name)]!;
  // 10:00Z in November is 11:00 in Rome (CET, +1); 08:30Z in July is 10:30 (CEST, +2)
  t.equal(col('REQUESTEDAT', ids.A), '2026-11-26 11:00:00 CET');
  t.equal(col('DUEAT', ids.A), '2026-11-26 11:00:00 CET');
  t.equal(col('REQUESTEDAT', ids.B), '2026-07-15 10:30:00 CEST');
  // 23:30Z on Nov 26 is already Nov 27 in Rome
  t.equal(col('REQUESTEDAT', ids.C), '2026-11-27 00:30:00 CET');
  t.equal(col('POSITION', ids.A), '1');
  t.equal(col('GROUP', ids.A), 'operators', "a request made at the operators' option");
  t.equal(col('POSITION', ids.B), '-', 'a closed request has no place in the queue');
  t.equal(col('LASTOUTCOME', ids.B), 'connected');
  t.equal(col('LANGUAGE', ids.B), 'en');
});

t.test('callbacks show: one request with its attempts; bad or unknown ids', async (t) => {
  const b = jsonOut<CallbackJson>(t, await ivrctl('callbacks', 'show', String(ids.B), '--json'));
  t.match(b, { id: ids.B, dp: 'demo-st', number: '0298765432', status: 'done', attempts: 1, requestedAt: '2026-07-15T08:30:00.000Z', language: 'en' });
  t.equal(b.attemptLog?.length, 1);
  t.match(b.attemptLog?.[0], { operator: 'st1', outcome: 'connected', callerAttempt: 1 });

  const text = await ivrctl('callbacks', 'show', String(ids.B));
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, new RegExp(`^id +${ids.B}$`, 'm'));
  t.match(text.stdout, /^status +done$/m);
  t.match(text.stdout, /^requestedAt +2026-07-15 10:30:00 CEST$/m);
  const attempts = text.stdout.split('\n\n')[1];
  t.ok(attempts, 'an attempts table after the fields');
  const { header, rows } = parseTable(t, attempts ?? '');
  t.equal(rows.length, 1);
  t.equal(rows[0]![header.indexOf('OPERATOR')], 'st1');
  t.equal(rows[0]![header.indexOf('STARTEDAT')], '2026-07-15 11:00:00 CEST');

  const a = await ivrctl('callbacks', 'show', String(ids.A));
  t.equal(a.code, 0);
  t.notMatch(a.stdout, /\n\n/, 'no attempts table for a request never attempted');

  failsWith(t, await ivrctl('callbacks', 'show', 'abc'), 2, /callback id must be a number/);
  failsWith(t, await ivrctl('callbacks', 'show', '999'), 2, /no callback 999\n$/);
});

t.test('profile: the calls and callbacks of one number, oldest first', async (t) => {
  const p = jsonOut<{
    number: string;
    calls: Array<{ id: string; events: Array<{ type: string }> }>;
    callbacks: Array<{ id: number }>;
    outcomes: unknown[];
    timeline: Array<{ at: string; kind: string; id: string | number }>;
  }>(t, await ivrctl('profile', '0612345678', '--json'));
  t.equal(p.number, '0612345678');
  t.same(
    p.calls.map((c) => c.id),
    ['call-a'],
  );
  t.same(
    p.calls[0]?.events.map((e) => e.type),
    ['offer', 'offer'],
  );
  t.same(
    p.callbacks.map((c) => c.id),
    [ids.A, ids.D],
  );
  t.same(p.outcomes, []);
  t.same(
    p.timeline.map((x) => [x.kind, x.id]),
    [
      ['callback', ids.D],
      ['call', 'call-a'],
      ['callback', ids.A],
    ],
  );

  const d = jsonOut<{ calls: Array<{ id: string }>; outcomes: Array<{ code: string; official: string }> }>(t, await ivrctl('profile', '0211111111', '--json'));
  t.same(
    d.calls.map((c) => c.id),
    ['call-d'],
  );
  t.match(d.outcomes, [{ code: '1', official: 'st1' }]);

  const text = await ivrctl('profile', '0612345678');
  t.equal(text.code, 0);
  t.match(text.stdout, /^profile of 0612345678: 1 call\(s\), 2 callback request\(s\)\n/);
  t.match(text.stdout, /^2026-11-25 10:00:00 CET +callback /m);

  const nobody = await ivrctl('profile', '0699999999');
  t.equal(nobody.code, 0);
  t.equal(nobody.stdout, '0699999999: no calls or callbacks\n');

  // each look at a profile is in the audit log, under the system user who ran ivrctl
  t.equal((await ivrctlEnv({ SUDO_USER: 'rossi' }, 'profile', '0699999999')).code, 0);
  const audit = jsonOut<Array<{ username: string; role: string; action: string; subject: string; detail: string }>>(t, await ivrctl('audit', '--json'));
  t.same(
    audit.slice(0, 2).map((a) => [a.username, a.role, a.action, a.subject, a.detail]),
    [
      ['rossi', 'sysadmin', 'profile_view', '0699999999', 'ivrctl profile'],
      [os.userInfo().username, 'sysadmin', 'profile_view', '0699999999', 'ivrctl profile'],
    ],
    "newest first; through sudo, sudo's caller",
  );
  t.ok(audit.filter((a) => a.subject === '0612345678' && a.role === 'sysadmin').length >= 1, 'the earlier views too');
  const one = jsonOut<unknown[]>(t, await ivrctl('audit', '--number', '0211111111', '--json'));
  t.equal(one.length, 1, 'filtered by number');
  failsWith(t, await ivrctl('audit', '--limit', '0'), 2, /--limit must be a whole number/);

  failsWith(t, await ivrctl('profile', 'notanumber'), 2, /"notanumber" is not a phone number/);
});

interface DpFigures {
  dp: string;
  from: string;
  to: string;
  callsReceived: number;
  answeredByOperator: number;
  callbackOffers: number;
  hungUpInIvr: number;
  bookings: number;
  callbacksByStatus: Record<string, number>;
  operatorOutcomes: Array<{ code: string; count: number }>;
}

t.test('report: counts per directorate and local day, in JSON, CSV and table', async (t) => {
  const figs = jsonOut<DpFigures[]>(t, await ivrctl('report', '--from', '2026-11-26', '--to', '2026-11-26', '--format', 'json'));
  t.same(
    figs.map((f) => f.dp),
    dpIds,
    'every configured directorate',
  );
  const sw = figs.find((f) => f.dp === 'demo-sw')!;
  const st = figs.find((f) => f.dp === 'demo-st')!;
  // demo-sw on Nov 26 (Rome): call-a, and call-e that started 23:30Z on the 25th
  t.match(sw, { from: '2026-11-26', to: '2026-11-26', callsReceived: 2, answeredByOperator: 0, callbackOffers: 1, hungUpInIvr: 1, bookings: 1 });
  t.match(sw.callbacksByStatus, { pending: 1, cancelled: 0 });
  // demo-st: call-d only; call-c and its booking are on the 27th in Rome
  t.match(st, { callsReceived: 1, answeredByOperator: 1, callbackOffers: 0, bookings: 0 });
  t.match(st.operatorOutcomes, [{ code: '1', count: 1 }]);

  const next = jsonOut<DpFigures[]>(t, await ivrctl('report', '--dp', 'demo-st', '--from', '2026-11-27', '--to', '2026-11-27', '--format', 'json'));
  t.equal(next.length, 1);
  t.match(next[0], { dp: 'demo-st', callsReceived: 1, bookings: 1, callbacksByStatus: { failed: 1 } });

  const range = jsonOut<DpFigures[]>(t, await ivrctl('report', '--dp', 'demo-sw', '--from', '2026-11-25', '--to', '2026-11-26', '--format', 'json'));
  t.match(range, [{ dp: 'demo-sw', callsReceived: 2, bookings: 2, callbacksByStatus: { pending: 1, cancelled: 1 } }]);

  const csv = await ivrctl('report', '--from', '2026-11-26', '--to', '2026-11-26', '--format', 'csv');
  t.equal(csv.code, 0, csv.stderr);
  t.ok(csv.stdout.startsWith('\uFEFFdp,from,to,metric,label,label_it,value\r\n'), 'BOM then the header');
  const lines = csv.stdout.slice(1).split('\r\n').filter(Boolean).slice(1);
  const value = (dp: string, metric: string): string | undefined =>
    lines
      .find((l) => l.startsWith(`${dp},2026-11-26,2026-11-26,${metric},`))
      ?.split(',')
      .at(-1);
  for (const f of [sw, st]) {
    t.equal(value(f.dp, 'callsReceived'), String(f.callsReceived), `CSV callsReceived of ${f.dp} agrees with JSON`);
    t.equal(value(f.dp, 'bookings'), String(f.bookings), `CSV bookings of ${f.dp} agrees with JSON`);
  }
  const csvIt = await ivrctl('report', '--from', '2026-11-26', '--to', '2026-11-26', '--format', 'csv', '--locale', 'it');
  t.equal(csvIt.code, 0, csvIt.stderr);
  t.ok(csvIt.stdout.startsWith('\uFEFFdp;from;to;metric;label;label_it;value\r\n'), '--locale it: ";" between fields');
  t.match(csvIt.stdout, new RegExp(`\r\ndemo-sw;2026-11-26;2026-11-26;callsReceived;Calls received;Chiamate ricevute;${sw.callsReceived}\r\n`));
  const badLocale = await ivrctl('report', '--format', 'csv', '--locale', 'fr');
  t.equal(badLocale.code, 2, 'an unknown locale: usage error');
  t.match(badLocale.stderr, /--locale.*fr.*(en|it)/);

  const table = await ivrctl('report', '--from', '2026-11-26', '--to', '2026-11-26', '--format', 'table');
  t.equal(table.code, 0, table.stderr);
  t.match(table.stdout, /^2026-11-26 +demo-sw +demo-st\n/);
  t.match(table.stdout, new RegExp(`^Calls received +${sw.callsReceived} +${st.callsReceived}$`, 'm'));
  t.match(table.stdout, new RegExp(`^Callbacks booked +${sw.bookings} +${st.bookings}$`, 'm'));
});

t.test('report: bad dates, ranges, formats and directorates are usage errors', async (t) => {
  failsWith(t, await ivrctl('report', '--from', '2026-02-30'), 2, /--from: .*2026-02-30.*no such day/);
  failsWith(t, await ivrctl('report', '--from', '2026-11-27', '--to', '2026-11-26'), 2, /--from 2026-11-27 is after --to 2026-11-26/);
  failsWith(t, await ivrctl('report', '--from', '2099-01-01'), 2, /--from 2099-01-01 is after today \(\d{4}-\d\d-\d\d\)/);
  failsWith(t, await ivrctl('report', '--from', '2999-01-01'), 2, /--from: invalid date '2999-01-01': the year must be between 2000 and 2099/);
  failsWith(t, await ivrctl('report', '--from', '0100-01-01', '--to', '0100-01-02'), 2, /the year must be between 2000 and 2099/);
  failsWith(t, await ivrctl('report', '--from', '2024-01-01', '--to', '2025-01-01'), 2, /covers 367 days: at most 366 per report/);
  failsWith(t, await ivrctl('report', '--to', '26/11/2026'), 2, /--to: .*YYYY-MM-DD/);
  failsWith(t, await ivrctl('report', '--dp', 'nope'), 2, /unknown directorate "nope"/);
  usageError(t, await ivrctl('report', '--format', 'xml'));
});

const purgeDb = path.join(dir, 'purge.db');
const day = 86_400_000;

interface Retention {
  days: number;
  cutoff: string;
  masked: { calls: number; callEvents: number; callbacks: number; outcomes: number };
}

t.test('db purge: masks numbers older than the retention, keeps recent and live ones', async (t) => {
  const setup = await ivrctlEnv({ IVR_DB: purgeDb }, 'setup');
  t.equal(setup.code, 0, setup.stderr);
  // relative to the real clock: purge masks by age from now
  const old = new Date(Date.now() - 100 * day).toISOString();
  const recent = new Date(Date.now() - 10 * day).toISOString();
  const later = new Date(Date.now() + 10 * day).toISOString();
  const db = new Database(purgeDb);
  db.transaction(() => {
    const call = db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at, end_reason) VALUES (?, 'demo-sw', ?, '0600000001', ?, 'completed')");
    call.run('p-old', '0655511122', old);
    call.run('p-withheld', null, old);
    call.run('p-recent', '0677788899', recent);
    const cb = db.prepare(
      "INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, attempts, updated_at) VALUES ('demo-sw', ?, 'it', ?, ?, ?, ?, 1, ?)",
    );
    cb.run('0655511122', 'done', old, old, old, old);
    cb.run('0677788899', 'pending', recent, recent, later, recent);
    const ev = db.prepare('INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?)');
    ev.run('p-old', old, 'number_typed', JSON.stringify({ number: '0655511122', ok: true }));
    ev.run('p-old', old, 'digits', JSON.stringify({ digits: '3471234567' }));
    ev.run('p-old', old, 'booking_refused', JSON.stringify({ reason: 'duplicate' }));
    // one event holding both fields is one masked event
    ev.run('p-old', old, 'number_typed', JSON.stringify({ digits: '3471234567', number: '3471234567', ok: true }));
    ev.run('p-recent', recent, 'number_typed', JSON.stringify({ number: '0677788899', ok: true }));
    const out = db.prepare("INSERT INTO outcomes (dp, number, kind, official, code, label, at) VALUES ('demo-sw', ?, 'operator', 'sw1', '1', 'basic_information_given', ?)");
    out.run('0655511122', old);
    out.run('0677788899', recent);
  })();
  db.close();

  const snapshot = () => {
    const d = new Database(purgeDb, { readonly: true });
    try {
      return {
        callers: Object.fromEntries((d.prepare('SELECT id, caller FROM calls').all() as Array<{ id: string; caller: string | null }>).map((r) => [r.id, r.caller])),
        callbacks: Object.fromEntries((d.prepare('SELECT status, number FROM callbacks').all() as Array<{ status: string; number: string }>).map((r) => [r.status, r.number])),
        events: (d.prepare('SELECT data FROM call_events ORDER BY id').all() as Array<{ data: string }>).map((r) => JSON.parse(r.data) as Record<string, unknown>),
        outcomes: (d.prepare('SELECT number FROM outcomes ORDER BY id').all() as Array<{ number: string }>).map((r) => r.number),
        runs: d.prepare("SELECT job, trigger, status, detail FROM job_runs WHERE job = 'retention' ORDER BY id").all() as Array<{
          job: string;
          trigger: string;
          status: string;
          detail: string;
        }>,
      };
    } finally {
      d.close();
    }
  };

  const before = Date.now();
  const first = jsonOut<Retention>(t, await ivrctlEnv({ IVR_DB: purgeDb }, 'db', 'purge', '--json'));
  const after = Date.now();
  t.equal(first.days, 90, "the config's default retention");
  const cutoff = Date.parse(first.cutoff);
  t.ok(cutoff >= before - 90 * day && cutoff <= after - 90 * day, 'cutoff is 90 days before the run');
  t.same(first.masked, { calls: 1, callEvents: 3, callbacks: 1, outcomes: 1, notes: 0, audit: 0, followups: 0 });

  let s = snapshot();
  t.same(s.callers, { 'p-old': '0655******', 'p-withheld': null, 'p-recent': '0677788899' });
  t.same(s.callbacks, { done: '0655******', pending: '0677788899' });
  t.same(s.events, [
    { number: '0655******', ok: true },
    { digits: '3471******' },
    { reason: 'duplicate' },
    { digits: '3471******', number: '3471******', ok: true },
    { number: '0677788899', ok: true },
  ]);
  t.same(s.outcomes, ['0655******', '0677788899']);
  t.equal(s.runs.length, 1, 'the run is recorded like the nightly one');
  t.match(s.runs[0], { job: 'retention', trigger: 'manual', status: 'ok' });
  t.same(JSON.parse(s.runs[0]!.detail), first, 'the record holds what was printed');

  const again = jsonOut<Retention>(t, await ivrctlEnv({ IVR_DB: purgeDb }, 'db', 'purge', '--json'));
  t.same(again.masked, { calls: 0, callEvents: 0, callbacks: 0, outcomes: 0, notes: 0, audit: 0, followups: 0 }, 'masked numbers are not masked twice');

  failsWith(t, await ivrctlEnv({ IVR_DB: purgeDb }, 'db', 'purge', '--days', '-1'), 2, /--days must be a whole number of days from 0 to 9999/);
  failsWith(t, await ivrctlEnv({ IVR_DB: purgeDb }, 'db', 'purge', '--days', 'abc'), 2, /--days must be a whole number.*"abc"/);

  const shorter = jsonOut<Retention>(t, await ivrctlEnv({ IVR_DB: purgeDb }, 'db', 'purge', '--days', '1', '--json'));
  t.equal(shorter.days, 1);
  t.same(shorter.masked, { calls: 1, callEvents: 1, callbacks: 0, outcomes: 1, notes: 0, audit: 0, followups: 0 }, 'the pending request keeps its number');
  s = snapshot();
  t.equal(s.callers['p-recent'], '0677******');
  t.equal(s.callbacks.pending, '0677788899', 'still to be called back: not masked');
  t.same(s.events[4], { number: '0677******', ok: true });
  t.same(s.outcomes, ['0655******', '0677******']);
  t.same(
    s.runs.map((r) => r.status),
    ['ok', 'ok', 'ok'],
    'usage errors record no run',
  );

  const text = await ivrctlEnv({ IVR_DB: purgeDb }, 'db', 'purge');
  t.equal(text.code, 0);
  t.match(
    text.stdout,
    /^caller numbers masked in records before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T \(90 days\): calls 0, call events 0, callback requests 0, outcomes 0, notes 0\n$/,
  );
});

t.test('db purge waits for a writer holding the database instead of failing', async (t) => {
  // a database of its own: the test passes alone and in any order; the binary, as the
  // lock is held by this process and better-sqlite3's busy wait would block it
  const lockDb = path.join(dir, 'purge-lock.db');
  t.equal((await ivrctlEnv({ IVR_DB: lockDb }, 'setup')).code, 0, 'a fresh database');
  const db = new Database(lockDb);
  const runs = (): number => (db.prepare("SELECT COUNT(*) AS n FROM job_runs WHERE job = 'retention'").get() as { n: number }).n;
  const before = runs();
  db.exec('BEGIN IMMEDIATE');
  const started = Date.now();
  const release = setTimeout(() => db.exec('COMMIT'), 700);
  const r = await ivrctlBinEnv({ IVR_DB: lockDb }, 'db', 'purge', '--json');
  const elapsed = Date.now() - started;
  clearTimeout(release);
  if (db.inTransaction) db.exec('COMMIT');
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.trim()})`);
  t.equal(r.stderr, '');
  t.ok(elapsed >= 650, `it waited for the lock (${elapsed} ms)`);
  t.equal(runs(), before + 1);
  db.close();
});

t.test('config check: the written config is valid; a bad field is named, exit 2', async (t) => {
  const ok = await ivrctl('config', 'check');
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, `${cfgFile}: ok (${demo.directorates.map((d) => `${d.id} ${d.numbers.join('/')}`).join(', ')})\n`);
  const json = jsonOut<{ valid: boolean; directorates: Array<{ id: string; ringsBeforeCallback: number }> }>(t, await ivrctl('config', 'check', cfgFile, '--json'));
  t.equal(json.valid, true);
  t.same(
    json.directorates.map((d) => [d.id, d.ringsBeforeCallback]),
    demo.directorates.map((d) => [d.id, d.ringsBeforeCallback]),
  );

  const write = (name: string, edit: (c: DemoConfig) => void): string => {
    const c = parseYaml(readFileSync(cfgFile, 'utf8')) as DemoConfig;
    edit(c);
    const file = path.join(dir, name);
    writeFileSync(file, stringifyYaml(c));
    return file;
  };
  const rings = write('bad-rings.yaml', (c) => (c.directorates[1]!.ringsBeforeCallback = 0));
  failsWith(t, await ivrctl('config', 'check', rings), 2, /bad-rings\.yaml: directorates\[1\]\.ringsBeforeCallback: /);
  const cron = write('bad-cron.yaml', (c) => (c.jobs = { backup: { at: '61 25 * * *' } }));
  failsWith(t, await ivrctl('config', 'check', cron), 2, /bad-cron\.yaml: jobs\.backup\.at: .*cron/);
  failsWith(t, await ivrctl('config', 'check', path.join(dir, 'missing.yaml')), 2, /missing\.yaml: cannot read/);
  // a directorate's name is written into the dialplan and the prompt manifest: a newline
  // there would add dialplan lines of the config author's choosing to a context the trunk reaches
  const injected = write('inject.yaml', (c) => ((c.directorates[0] as unknown as { name: string }).name = 'Roma\nexten => _X.,1,Dial(PJSIP/${EXTEN}@trunk)'));
  failsWith(t, await ivrctl('config', 'check', injected), 2, /inject\.yaml: directorates\[0\]\.name: no control characters/);
  for (const [field, value] of [
    ['name', 'Roma; [from-trunk]'],
    ['name', 'Roma ${EXTEN}'],
    ['name', 'Roma\t'],
  ] as const) {
    const f = write('inject2.yaml', (c) => ((c.directorates[1] as unknown as Record<string, string>)[field] = value));
    failsWith(t, await ivrctl('config', 'check', f), 2, new RegExp(`directorates\\[1\\]\\.${field}: no control characters`));
  }
  const welcome = write('inject3.yaml', (c) => ((c.directorates[0] as unknown as { welcome?: Record<string, string> }).welcome = { it: 'Benvenuti\r\nprompts/../../x' }));
  failsWith(t, await ivrctl('config', 'check', welcome), 2, /directorates\[0\]\.welcome\.it: no control characters/);
  // the other commands refuse a bad $IVR_CONFIG the same way
  failsWith(t, await ivrctlEnv({ IVR_CONFIG: rings }, 'jobs', 'list'), 2, /directorates\[1\]\.ringsBeforeCallback/);
});

t.test('jobs list and jobs run with the controller down', async (t) => {
  const now = Date.now();
  const jobs = jsonOut<Array<{ name: string; nextRun: string | null; lastRun: { status: string } | null }>>(t, await ivrctl('jobs', 'list', '--json'));
  const names = jobs.map((j) => j.name);
  t.same(names, [...dpIds.map((d) => `close-window:${d}`), 'daily-report', 'backup', 'retention']);
  for (const j of jobs) {
    t.match(j.nextRun, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${j.name}: nextRun is ISO 8601 UTC`);
    t.ok(Date.parse(j.nextRun!) > now, `${j.name}: nextRun is in the future`);
    t.equal(j.lastRun, null, `${j.name} never ran on this database`);
  }

  const table = await ivrctl('jobs', 'list');
  t.equal(table.code, 0);
  const { header, rows } = parseTable(t, table.stdout);
  t.same(header, ['NAME', 'SLOTS', 'LASTRUN', 'RESULT', 'NEXTRUN']);
  t.same(
    rows.map((r) => r[0]),
    names,
  );

  failsWith(t, await ivrctl('jobs', 'run', 'nope'), 2, new RegExp(`no job "nope" \\(jobs: ${names.join(', ')}\\)`));
  failsWith(t, await ivrctl('jobs', 'run', 'backup'), 1, new RegExp(`controller is not reachable at 127\\.0\\.0\\.1:${ports.http}`));
});

t.test('controller down: actions on live state fail, pause/resume fall back to the database', async (t) => {
  failsWith(t, await ivrctl('callbacks', 'cancel', String(ids.A)), 1, /not reachable/);
  failsWith(t, await ivrctl('callbacks', 'retry', String(ids.B)), 1, /not reachable/);
  failsWith(t, await ivrctl('callbacks', 'cancel', 'x1'), 2, /callback id must be a number/);
  failsWith(t, await ivrctl('callbacks', 'reschedule', String(ids.A), '--at', 'tomorrow'), 2, /--at "tomorrow" is not an ISO 8601 time/);
  failsWith(t, await ivrctl('callbacks', 'reschedule', String(ids.A), '--at', '2026-11-27T09:30'), 2, /is not an ISO 8601 time with its offset/);

  const pause = await ivrctl('operators', 'pause', 'sw1');
  t.equal(pause.code, 0, pause.stderr);
  t.equal(pause.stdout, 'operator sw1 paused (the controller is not running: applies when it starts)\n');
  const ops = jsonOut<Array<{ id: string; paused: boolean }>>(t, await ivrctl('operators', 'list', '--json'));
  t.same(
    ops.filter((o) => o.paused).map((o) => o.id),
    ['sw1'],
    'only sw1 is paused',
  );

  failsWith(t, await ivrctl('operators', 'pause', 'nobody'), 2, /no operator "nobody"/);
});

t.test('status with everything down: exit 1, problems named, figures from the database', async (t) => {
  // one paused operator to count (as the test before leaves it, and when run alone)
  t.equal((await ivrctl('operators', 'pause', 'sw1')).code, 0, 'sw1 paused');
  const s = jsonOut<{
    ok: boolean;
    problems: string[];
    asterisk: { reachable: boolean };
    controller: { up: boolean };
    directorates: Array<{ id: string; operatorsPaused: number; operatorsOnline: number; pendingCallbacks: number }>;
    operators: Array<{ id: string; availability: string }>;
    jobs: Array<{ name: string }>;
  }>(t, await ivrctl('status', '--json'), 1);
  t.equal(s.ok, false);
  t.equal(s.asterisk.reachable, false);
  t.equal(s.controller.up, false);
  t.equal(s.problems.length, 2);
  t.match(
    s.problems.find((p) => /Asterisk/.test(p)),
    new RegExp(`127\\.0\\.0\\.1:${ports.ami}`),
  );
  t.match(
    s.problems.find((p) => /controller/.test(p)),
    new RegExp(`127\\.0\\.0\\.1:${ports.http}`),
  );
  t.same(
    s.jobs.map((j) => j.name),
    [...dpIds.map((d) => `close-window:${d}`), 'daily-report', 'backup', 'retention'],
  );
  t.same(
    s.directorates.map((d) => d.id),
    dpIds,
  );
  // one pending request at demo-sw (A, from the database this file seeds); sw1 paused above
  t.match(
    s.directorates.find((d) => d.id === 'demo-sw'),
    { pendingCallbacks: 1, operatorsPaused: 1, operatorsOnline: 0 },
  );
  t.match(
    s.directorates.find((d) => d.id === 'demo-st'),
    { pendingCallbacks: 0, operatorsPaused: 0 },
  );
  t.ok(
    s.operators.every((o) => o.availability === 'offline'),
    'nobody is online without Asterisk',
  );

  const table = await ivrctl('status');
  t.equal(table.code, 1);
  t.match(table.stdout, /^asterisk: +DOWN /m);
  t.match(table.stdout, /^controller: +DOWN /m);
  const problems = table.stdout.split('\n').filter((l) => l.startsWith('PROBLEM: '));
  t.equal(problems.length, 2);
  t.match(problems.join('\n'), /Asterisk/);
  t.match(problems.join('\n'), /controller/);
});

t.test('completion bash: valid bash that completes commands, options and values', async (t) => {
  const gen = await ivrctl('completion', 'bash');
  t.equal(gen.code, 0, gen.stderr);
  const script = path.join(dir, 'ivrctl.bash');
  writeFileSync(script, gen.stdout);
  const syntax = await run('bash', ['-n', script]);
  t.equal(syntax.code, 0, `bash -n: ${syntax.stderr}`);

  const complete = async (words: string[]): Promise<string[]> => {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const r = await run('bash', ['-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _ivrctl; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    t.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  t.same(await complete(['ivrctl', 'op']), ['operators']);
  t.same(await complete(['ivrctl', 'callbacks', 'li']), ['list']);
  t.same(await complete(['ivrctl', 'callbacks', 'list', '--status', '']), STATUSES);
  t.same(await complete(['ivrctl', 'callbacks', 'list', '--st']), ['--status']);
  const jobs = await complete(['ivrctl', 'jobs', 'run', '']);
  for (const j of ['backup', 'retention', ...dpIds.map((d) => `close-window:${d}`)]) t.ok(jobs.includes(j), `jobs run completes ${j}`);
  t.same(await complete(['ivrctl', 'report', '--dp', '']), dpIds);
  t.same(await complete(['ivrctl', 'report', '--format', '']), ['table', 'csv', 'json']);
  // an option's value in between does not lose the command path
  t.same(await complete(['ivrctl', 'callbacks', 'list', '--dp', 'demo-sw', '--j']), ['--json']);
});

t.test('a database with an old schema or none at all: exit 1 saying what to do', async (t) => {
  const oldDb = path.join(dir, 'old.db');
  const db = new Database(oldDb);
  db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const old = migrationFiles.slice(0, 4);
  for (const [i, f] of old.entries()) {
    db.exec(readFileSync(path.join(root, 'db', f), 'utf8'));
    db.prepare('INSERT INTO schema_version VALUES (?, ?, ?)').run(i + 1, f, new Date().toISOString());
  }
  db.close();
  failsWith(
    t,
    await ivrctlEnv({ IVR_DB: oldDb }, 'callbacks', 'list'),
    1,
    new RegExp(`old\\.db has schema version ${old.length}, this program needs ${migrationFiles.length}: run ivrctl db migrate\\n$`),
  );
  const migrated = jsonOut<{ applied: string[] }>(t, await ivrctlEnv({ IVR_DB: oldDb }, 'db', 'migrate', '--json'));
  t.same(migrated.applied, migrationFiles.slice(4));
  t.same(jsonOut(t, await ivrctlEnv({ IVR_DB: oldDb }, 'callbacks', 'list', '--json')), [], 'usable after db migrate');

  const missing = path.join(dir, 'missing.db');
  failsWith(t, await ivrctlEnv({ IVR_DB: missing }, 'callbacks', 'list'), 1, new RegExp(`^ivrctl: no database at ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  t.notOk(existsSync(missing), 'a read does not create the database');
  failsWith(t, await ivrctlEnv({ IVR_DB: missing }, 'operators', 'pause', 'sw1'), 1, /^ivrctl: no database at /);
  failsWith(t, await ivrctlEnv({ IVR_DB: missing }, 'operators', 'add', 'zz1', '--dp', 'demo-sw', '--role', 'switchboard'), 1, /^ivrctl: no database at /);
  t.notOk(existsSync(missing), 'nor does a write: a typo in IVR_DB does not seed a new database');
  const st = await ivrctlEnv({ IVR_DB: missing }, 'status', '--json');
  t.equal(st.code, 1);
  const sj = JSON.parse(st.stdout) as { problems: string[]; controller: { up: boolean } };
  t.match(sj.problems, [/^database: no database at /, /Asterisk unreachable/, /controller down/], 'status still reports Asterisk and the controller');
  // before the first start there is no database: the prompts (make prompts) are built without closures
  const manifest = await ivrctlEnv({ IVR_DB: missing }, 'prompts', 'manifest');
  t.equal(manifest.code, 0, manifest.stderr);
  t.ok(manifest.stdout.split('\n').filter((l) => /^it\//.test(l)).length > 10, 'the prompts manifest (a line per prompt), without a database');
  t.notOk(existsSync(missing), 'and no database made');
});

/** ivrctl with a line on its stdin (for --password-stdin). */
function ivrctlInput(input: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile('node', [bin, ...args], { env: baseEnv(), timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

t.test('users: console accounts with scrypt hashes; bad input exit 2; a new password ends the sessions', async (t) => {
  const added = jsonOut<{ username: string; role: string; operator: string | null; password: string }>(t, await ivrctl('users', 'add', 'rossi', '--role', 'supervisor', '--json'));
  t.match(added, { username: 'rossi', role: 'supervisor', operator: null });
  t.ok(added.password.length >= 16, 'a generated password is shown once');
  const viaStdin = await ivrctlInput('una password lunga\n', 'users', 'add', 'bianchi', '--role', 'operator', '--operator', 'st1', '--password-stdin');
  t.equal(viaStdin.code, 0, viaStdin.stderr);
  t.equal(viaStdin.stdout, 'user bianchi added (operator)\n', 'no password printed when it was given');

  failsWith(t, await ivrctlInput('short\n', 'users', 'add', 'verdi', '--role', 'supervisor', '--password-stdin'), 2, /at least 10 characters/);
  failsWith(t, await ivrctl('users', 'add', 'rossi', '--role', 'supervisor'), 2, /user "rossi" already exists/);
  failsWith(t, await ivrctl('users', 'add', 'neri', '--role', 'operator'), 2, /--operator <id> is required/);
  failsWith(t, await ivrctl('users', 'add', 'neri', '--role', 'operator', '--operator', 'ghost'), 2, /no operator "ghost"/);
  failsWith(t, await ivrctl('users', 'add', 'Bad Name', '--role', 'supervisor'), 2, /username "Bad Name"/);
  usageError(t, await ivrctl('users', 'add', 'neri', '--role', 'admin'));

  const list = jsonOut<Array<Record<string, unknown>>>(t, await ivrctl('users', 'list', '--json'));
  t.same(
    list.map((u) => [u.username, u.role, u.operator]),
    [
      ['bianchi', 'operator', 'st1'],
      ['rossi', 'supervisor', null],
    ],
  );
  t.notOk(
    list.some((u) => 'passwordHash' in u),
    'hashes are never printed',
  );

  const db = new Database(dbFile);
  const hash = () => db.prepare("SELECT password_hash FROM console_users WHERE username = 'bianchi'").pluck().get() as string;
  const before = hash();
  t.match(before, /^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.notOk(before.includes('una password lunga'));
  db.prepare("INSERT INTO console_sessions (token_hash, username, csrf, created_at, expires_at) VALUES ('h', 'bianchi', 'c', '2026-01-01', '2999-01-01')").run();
  const changed = await ivrctl('users', 'passwd', 'bianchi', '--json');
  t.equal(changed.code, 0, changed.stderr);
  t.match(JSON.parse(changed.stdout), { username: 'bianchi', password: /^[\w-]{16}$/ });
  t.not(hash(), before, 'a new hash');
  t.equal(db.prepare("SELECT COUNT(*) FROM console_sessions WHERE username = 'bianchi'").pluck().get(), 0, 'its sessions ended');
  db.close();
  failsWith(t, await ivrctl('users', 'passwd', 'nobody'), 2, /no user "nobody"/);
  t.equal((await ivrctl('users', 'remove', 'rossi')).stdout, 'user rossi removed\n');
  failsWith(t, await ivrctl('users', 'remove', 'rossi'), 2, /no user "rossi"/);
});
