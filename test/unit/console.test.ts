// The web console over real HTTP on a temporary database, with the parts that need a PBX
// (phone states, calls in progress, the dispatcher) replaced by plain data: logins and
// sessions, CSRF and origin checks, roles, escaping of caller data, the live board's push,
// reports and CSV. The console in a real browser against the real stack is in
// test/integration/console.test.ts.
import t from 'tap';
import http from 'node:http';
import pino from 'pino';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../../controller/config/load';
import { ConsoleAuth, SESSION_MAX_MS } from '../../controller/console/auth';
import { LoginThrottle } from '../../controller/console/login-throttle';
import { escapeHtml, html } from '../../controller/console/html';
import { LiveBoard, type InboundLive } from '../../controller/console/live-board';
import { hashPassword, verifyPassword } from '../../controller/console/passwords';
import { ConsoleRouter } from '../../controller/console/router';
import { liveBoard } from '../../controller/console/views';
import { httpNames, type HttpNames } from '../../controller/http/hosts';
import { startHttpServer } from '../../controller/http/server';
import { Boundary } from '../../controller/runtime/boundary';
import { SqliteConsoleAccounts } from '../../controller/storage/console-accounts';
import { ConsoleUsersRepo } from '../../controller/storage/console-users-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { ClosuresService } from '../../controller/schedule/closures-service';
import { ClosuresRepo } from '../../controller/storage/closures-repo';
import { WriteQueue } from '../../controller/storage/write-queue';
import { ActionError } from '../../controller/errors';

const root = path.resolve(__dirname, '..', '..', '..');
const XSS = `<script>window.__x=1</script><img src=x onerror="alert(1)">`;

t.test('html``: values escaped, nested templates kept', async (t) => {
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  t.equal(html`<p title="${'"><b>'}">${XSS}</p>`.text, `<p title="&quot;&gt;&lt;b&gt;">${escapeHtml(XSS)}</p>`);
  t.equal(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.text, '<ul><li>a&lt;</li><li>b</li></ul>');
  t.equal(html`${null}${undefined}${false}${0}`.text, '0');
});

t.test('passwords: scrypt with a salt per hash; a wrong password or a malformed record fails', async (t) => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  t.not(a, b, 'salted');
  t.match(a, /^scrypt\$131072\$8\$1\$/, 'N = 2^17');
  t.ok(await verifyPassword('correct horse', a));
  t.notOk(await verifyPassword('correct hors', a));
  t.notOk(await verifyPassword('x', 'plain'));
});

async function consoleServer() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-console-'));
  const db = openDatabase(path.join(dir, 'ivr.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const config = parseConfig(
    `http: { publicOrigin: "https://ivr.example.it" }
directorates:
  - { id: demo-sw, name: Roma, numbers: ["0600000001"], case: switchboard, ringsBeforeCallback: 4, hours: { weekly: { mon: "09:00-13:00" } } }
  - { id: demo-st, name: Milano, numbers: ["0200000002"], case: staff, ringsBeforeCallback: 3, hours: { weekly: { mon: "09:00-13:00" } } }
operators: []`,
    'test.yaml',
  );
  const users = new ConsoleUsersRepo(db);
  const at = new Date();
  users.add({ username: 'sup', passwordHash: await hashPassword('supervisor-pw'), role: 'supervisor', operator: null, at });
  users.add({ username: 'op', passwordHash: await hashPassword('operator-pw'), role: 'operator', operator: 'sw1', at });
  users.add({ username: 'uff', passwordHash: await hashPassword('official-pw'), role: 'operator', operator: 'u1', at });
  db.prepare(
    "INSERT INTO operators (id, dp, role, ha1, created_at, updated_at) VALUES ('sw1', 'demo-sw', 'switchboard', 'x', 'a', 'a'), ('st1', 'demo-st', 'staff', 'x', 'a', 'a')",
  ).run();
  db.prepare("INSERT INTO operators (id, dp, role, unit, ha1, created_at, updated_at) VALUES ('u1', 'demo-st', 'unit', 'rimborsi', 'x', 'a', 'a')").run();
  // filled once the server listens: the names it answers to
  const names: HttpNames = { hosts: new Set(), origins: new Set() };
  const live: { calls: InboundLive[] } = { calls: [] };
  const actions: string[] = [];
  const board = new LiveBoard(
    {
      operators: () => [{ id: 'sw1', dp: 'demo-sw', role: 'switchboard', unit: null, paused: false, createdAt: '', updatedAt: '' } as never],
      phoneStates: async () => new Map([['sw1', { online: true, device: 'NOT_INUSE' }]]),
      calls: () => live.calls,
      attempts: () => [],
      pending: () => ({ 'demo-sw': 0 }),
      today: () => [],
    },
    liveBoard,
    () => new Date(),
    50,
  );
  const router = new ConsoleRouter({
    config,
    db,
    names,
    auth: new ConsoleAuth(new SqliteConsoleAccounts(db)),
    board,
    dispatcher: {
      cancel: async (id: number) => {
        if (id === 404) throw new ActionError('no callback 404', 404);
        actions.push(`cancel ${id}`);
        return {} as never;
      },
      retry: (id: number) => (actions.push(`retry ${id}`), {} as never),
      reschedule: (id: number, when: Date) => (actions.push(`reschedule ${id} ${when.toISOString()}`), {} as never),
    },
    inboundCalls: () => live.calls,
    staticDir: path.join(root, 'controller', 'console', 'static'),
    log: { info: () => {}, warn: () => {} },
    closures: new ClosuresService({
      repo: new ClosuresRepo(db),
      writes: new WriteQueue(),
      config,
      synthesize: async () => undefined,
      messageBuilt: () => false,
      onReopened: () => undefined,
      log: { info: () => {}, warn: () => {} },
      now: () => new Date(),
    }),
  });
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    health: () => ({ ok: true }),
    metrics: new Registry(),
    boundary: new Boundary(pino({ level: 'silent' }), () => undefined),
    names,
    console: (req, res, url) => router.handle(req, res, url),
  });
  const port = (server.address() as AddressInfo).port;
  const real = httpNames({ host: '127.0.0.1', port, publicOrigin: 'https://ivr.example.it' });
  for (const h of real.hosts) names.hosts.add(h);
  for (const o of real.origins) names.origins.add(o);
  const base = `http://127.0.0.1:${port}`;
  t.teardown(() => {
    board.close();
    server.close();
    db.close();
  });
  const request = (p: string, o: { method?: string; form?: Record<string, string>; cookie?: string; origin?: string } = {}) =>
    fetch(base + p, {
      method: o.method ?? (o.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: { ...(o.cookie ? { cookie: o.cookie } : {}), ...(o.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...(o.origin ? { origin: o.origin } : {}) },
      ...(o.form ? { body: new URLSearchParams(o.form).toString() } : {}),
    });
  const login = async (username: string, password: string) => {
    const r = await request('/console/login', { form: { username, password } });
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await (await request('/console/callbacks', { cookie })).text();
    return { r, cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '' };
  };
  return { db, base, port, request, login, live, actions, users, board };
}

t.test('login: wrong password refused, the right one opens a session in a hardened cookie; logout ends it', async (t) => {
  const c = await consoleServer();
  const anon = await c.request('/console/live');
  t.equal(anon.status, 303);
  t.equal(anon.headers.get('location'), '/console/login');
  const bad = await c.request('/console/login', { form: { username: 'sup', password: 'nope' } });
  t.equal(bad.status, 401);
  t.match(await bad.text(), /Utente o password errati/);
  const { r, cookie, csrf } = await c.login('sup', 'supervisor-pw');
  t.equal(r.status, 303);
  t.equal(r.headers.get('location'), '/console/live');
  t.match(r.headers.get('set-cookie'), /^ivr_session=[\w-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Secure; Max-Age=28800$/);
  const page = await c.request('/console/live', { cookie });
  t.equal(page.status, 200);
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/);
  t.match(await page.text(), /<table id="operators">[\s\S]*sw1[\s\S]*libero/);
  t.equal((c.db.prepare('SELECT token_hash FROM console_sessions').pluck().get() as string).length, 64, 'only the hash is stored');
  const out = await c.request('/console/logout', { form: { csrf }, cookie });
  t.equal(out.status, 303);
  t.equal((await c.request('/console/live', { cookie })).status, 303, 'the old cookie opens nothing');
});

t.test('40 wrong passwords at once: at most 5 are checked, the rest throttled; spraying many usernames from one source is throttled too', async (t) => {
  const c = await consoleServer();
  const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => c.request('/console/login', { form: { username: 'sup', password: `wrong${i}` } }).then((r) => r.status)));
  const count = (s: number): number => statuses.filter((x) => x === s).length;
  t.ok(count(401) <= 5, `${count(401)} × 401`);
  t.equal(count(401) + count(429), 40, `the rest 429 (${count(429)})`);
  t.equal((await c.request('/console/login', { form: { username: 'sup', password: 'supervisor-pw' } })).status, 429, 'then the right one waits too');
  const spray = await Promise.all(
    Array.from({ length: 25 }, (_, i) => c.request('/console/login', { form: { username: `user${i}`, password: 'Password1' } }).then((r) => r.status)),
  );
  t.ok(spray.filter((x) => x === 429).length >= 5, `one password over 25 usernames from one address: ${spray.filter((x) => x === 429).length} throttled`);
});

t.test('login throttle: bounded memory, a success gives its place back', async (t) => {
  let now = 0;
  const th = new LoginThrottle({ perUser: 2, perSource: 100, windowMs: 1000, maxKeys: 50 }, () => now);
  for (let i = 0; i < 1000; i++) th.begin(`u${i}`, `s${i}`);
  t.ok(th.size <= 50, `remembers ${th.size} keys after 1,000 usernames`);
  const a = th.begin('x', 'src')!;
  a.release();
  t.ok(th.begin('x', 'src') && th.begin('x', 'src'), 'the successful attempt did not count');
  t.equal(th.begin('x', 'src'), undefined, 'two failures: the third waits');
  now = 1001;
  t.ok(th.begin('x', 'src'), 'until the window has passed');
});

t.test('sessions end 12 hours after the login even in use; a password hashed with old parameters is re-hashed at the next login', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-sess-'));
  const db = openDatabase(path.join(dir, 'ivr.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const users = new ConsoleUsersRepo(db);
  // a hash from the previous parameters (N = 2^15)
  const oldHash = await (async () => {
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    return `scrypt$32768$8$1$${salt.toString('base64')}$${scryptSync('old-params-pw', salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 << 20 }).toString('base64')}`;
  })();
  users.add({ username: 'legacy', passwordHash: oldHash, role: 'supervisor', operator: null, at: new Date() });
  let now = new Date('2026-11-30T07:00:00Z');
  const auth = new ConsoleAuth(new SqliteConsoleAccounts(db), () => now);
  const r = await auth.login('legacy', 'old-params-pw', '127.0.0.1');
  t.ok(r.ok, 'the old hash still verifies');
  t.match(users.get('legacy')!.passwordHash, /^scrypt\$131072\$8\$1\$/, 're-hashed with N = 2^17');
  t.ok(await verifyPassword('old-params-pw', users.get('legacy')!.passwordHash));
  const req = { headers: { cookie: `ivr_session=${(r as { token: string }).token}` } } as never;
  // used every hour: the idle limit never bites, the absolute one does
  for (let h = 1; h < 12; h++) {
    now = new Date(now.getTime() + 3600_000);
    t.ok(await auth.session(req), `in use at hour ${h}`);
  }
  now = new Date(Date.parse('2026-11-30T07:00:00Z') + SESSION_MAX_MS);
  t.equal(await auth.session(req), undefined, 'ended 12 hours after the login');
  db.close();
});

t.test('failed logins are throttled per username', async (t) => {
  const c = await consoleServer();
  for (let i = 0; i < 5; i++) t.equal((await c.request('/console/login', { form: { username: 'sup', password: `bad${i}` } })).status, 401);
  const sixth = await c.request('/console/login', { form: { username: 'sup', password: 'supervisor-pw' } });
  t.equal(sixth.status, 429, 'even the right password waits');
  t.match(await sixth.text(), /Troppi tentativi/);
  t.equal((await c.request('/console/login', { form: { username: 'op', password: 'operator-pw' } })).status, 303, 'another account is not affected');
});

t.test('state changes need the session CSRF token and the console origin; only a supervisor acts on callbacks', async (t) => {
  const c = await consoleServer();
  const sup = await c.login('sup', 'supervisor-pw');
  t.ok(sup.csrf.length > 20, 'the page carries the token');
  t.equal((await c.request('/console/callbacks/7/cancel', { form: {}, cookie: sup.cookie })).status, 403, 'no token');
  t.equal((await c.request('/console/callbacks/7/cancel', { form: { csrf: 'x' + sup.csrf.slice(1) }, cookie: sup.cookie })).status, 403, 'wrong token');
  t.equal((await c.request('/console/callbacks/7/cancel', { form: { csrf: sup.csrf }, cookie: sup.cookie, origin: 'http://evil.example' })).status, 403, 'foreign origin');
  t.same(c.actions, [], 'nothing was done');
  const ok = await c.request('/console/callbacks/7/cancel', { form: { csrf: sup.csrf }, cookie: sup.cookie });
  t.equal(ok.status, 303);
  t.equal(ok.headers.get('location'), '/console/callbacks?done=7');
  t.equal((await c.request('/console/callbacks/404/cancel', { form: { csrf: sup.csrf }, cookie: sup.cookie })).status, 404);
  const moved = await c.request('/console/callbacks/8/reschedule', { form: { csrf: sup.csrf, at: '2099-01-15T09:30' }, cookie: sup.cookie });
  t.equal(moved.status, 303);
  t.same(c.actions, ['cancel 7', 'reschedule 8 2099-01-15T08:30:00.000Z'], 'the time typed is Rome time');

  const op = await c.login('op', 'operator-pw');
  t.equal((await c.request('/console/callbacks/9/retry', { form: { csrf: op.csrf }, cookie: op.cookie })).status, 403, 'an operator cannot');
  t.notMatch(await (await c.request('/console/callbacks', { cookie: op.cookie })).text(), /Annulla/, 'and is not offered the buttons');
});

t.test('caller data is shown as text: notes, numbers and the live board', async (t) => {
  const c = await consoleServer();
  const op = await c.login('op', 'operator-pw');
  c.db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at, answered_by) VALUES ('c1', 'demo-sw', '0612345678', '0600000001', ?, 'sw1')").run(new Date().toISOString());
  const station = await (await c.request('/console/operator', { cookie: op.cookie })).text();
  t.match(station, /Ultima: chiamata 0612345678 \(demo-sw\)/, 'the last call answered by sw1');
  const saved = await c.request('/console/notes', {
    form: { csrf: op.csrf, number: '0612345678', dp: 'demo-sw', callId: 'c1', callbackId: '', operator: 'sw1', info: 'Rimborsi', text: XSS },
    cookie: op.cookie,
  });
  t.equal(saved.status, 303);
  t.same(c.db.prepare('SELECT author, operator, info, text, call_id AS callId FROM notes').all(), [{ author: 'op', operator: 'sw1', info: 'Rimborsi', text: XSS, callId: 'c1' }]);
  const profile = await (await c.request('/console/profile?number=0612345678', { cookie: op.cookie })).text();
  t.ok(profile.includes(escapeHtml(`op (sw1): [Rimborsi] ${XSS}`)), 'the note is in the timeline, escaped');
  t.notOk(profile.includes('<script>window.__x'), 'never as markup');
  t.equal(
    (await c.request('/console/notes', { form: { csrf: op.csrf, number: '0612345678', dp: 'demo-sw', operator: 'st9', text: 'x' }, cookie: op.cookie })).status,
    403,
    "not from another operator's station",
  );
  t.equal((await c.request('/console/notes', { form: { csrf: op.csrf, number: '06<b>', dp: 'demo-sw', operator: 'sw1', text: 'x' }, cookie: op.cookie })).status, 400);

  c.live.calls = [{ channelId: 'ch1', dp: 'demo-sw', number: XSS, phase: 'menu', startedAt: new Date().toISOString(), ringing: [], operator: null }];
  const live = await (await c.request('/console/live', { cookie: op.cookie })).text();
  t.ok(live.includes(`<td class="number">${escapeHtml(XSS)}</td>`));
});

t.test('live board: pushed at once over server-sent events, then again when it changes', async (t) => {
  const c = await consoleServer();
  const { cookie } = await c.login('sup', 'supervisor-pw');
  const ac = new AbortController();
  const res = await fetch(`${c.base}/console/live/events`, { headers: { cookie }, signal: ac.signal });
  t.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  let buf = '';
  const nextBoard = async (): Promise<string> => {
    for (;;) {
      const i = buf.indexOf('\n\n', buf.indexOf('event: board'));
      if (buf.includes('event: board') && i > 0) {
        const start = buf.indexOf('event: board');
        const block = buf.slice(start, i);
        buf = buf.slice(i + 2);
        return JSON.parse(block.split('\ndata: ')[1]!) as string;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buf += Buffer.from(value).toString();
    }
  };
  t.match(await nextBoard(), /Nessuna chiamata in corso/);
  const changedAt = Date.now();
  c.live.calls = [{ channelId: 'ch1', dp: 'demo-sw', number: '0612345678', phase: 'ringing', startedAt: new Date().toISOString(), ringing: ['sw1'], operator: null }];
  const board = await nextBoard();
  t.match(board, /<td class="number">0612345678<\/td><td>demo-sw<\/td><td>squilla<\/td><td>sw1<\/td>/);
  t.ok(Date.now() - changedAt < 1000, `pushed ${Date.now() - changedAt} ms after the change`);
  ac.abort();
});

t.test('reports: figures with a chart per directorate, CSV download with BOM; bad dates refused', async (t) => {
  const c = await consoleServer();
  const { cookie } = await c.login('sup', 'supervisor-pw');
  c.db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at) VALUES ('r1', 'demo-sw', '0612345678', '0600000001', '2026-11-20T10:00:00.000Z')").run();
  const page = await (await c.request('/console/reports?dp=demo-sw&from=2026-11-19&to=2026-11-21', { cookie })).text();
  t.match(page, /<svg viewBox="0 0 720 220" role="img"/);
  t.match(page, /<title>2026-11-20 · Chiamate ricevute: 1<\/title>/, 'the bar of the day with the call');
  t.match(page, /<td>Chiamate ricevute<\/td><td class="num">1<\/td>/);
  const csv = await c.request('/console/reports.csv?dp=demo-sw&from=2026-11-19&to=2026-11-21', { cookie });
  t.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
  t.match(csv.headers.get('content-disposition'), /attachment; filename="report-2026-11-19-2026-11-21.csv"/);
  const body = Buffer.from(await csv.arrayBuffer()).toString('utf8');
  t.ok(body.startsWith('\uFEFFdp,from,to,metric,label,label_it,value\r\n'));
  t.match(body, /demo-sw,2026-11-20,2026-11-20,callsReceived,Calls received,Chiamate ricevute,1\r\n/);
  const csvIt = await c.request('/console/reports.csv?dp=demo-sw&from=2026-11-19&to=2026-11-21&locale=it', { cookie });
  t.match(csvIt.headers.get('content-disposition'), /filename="report-2026-11-19-2026-11-21-it\.csv"/);
  const bodyIt = Buffer.from(await csvIt.arrayBuffer()).toString('utf8');
  t.ok(bodyIt.startsWith('\uFEFFdp;from;to;metric;label;label_it;value\r\n'), 'the Italian spreadsheet download: ";"');
  t.match(bodyIt, /demo-sw;2026-11-20;2026-11-20;callsReceived;Calls received;Chiamate ricevute;1\r\n/);
  t.match(page, /href="\/console\/reports\.csv\?dp=demo-sw&amp;from=2026-11-19&amp;to=2026-11-21&amp;locale=it"/, 'the page links both downloads');
  t.equal((await c.request('/console/reports?from=2026-02-30', { cookie })).status, 400);
});

t.test('callbacks page: the date filter is Rome days, both ends included', async (t) => {
  const c = await consoleServer();
  const { cookie } = await c.login('sup', 'supervisor-pw');
  const add = c.db.prepare("INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, updated_at) VALUES ('demo-sw', ?, 'it', 'done', ?, ?, ?, ?)");
  // 19 Nov 23:30 UTC is the 20th in Rome; 21 Nov 23:30 UTC is the 22nd
  for (const [n, at] of [
    ['0611111111', '2026-11-19T22:30:00.000Z'],
    ['0622222222', '2026-11-19T23:30:00.000Z'],
    ['0633333333', '2026-11-21T22:59:00.000Z'],
    ['0644444444', '2026-11-21T23:30:00.000Z'],
  ] as const)
    add.run(n, at, at, at, at);
  const page = await (await c.request('/console/callbacks?from=2026-11-20&to=2026-11-21', { cookie })).text();
  t.same(
    [...page.matchAll(/number=(\d+)/g)].map((m) => m[1]),
    ['0622222222', '0633333333'],
  );
});

/** Reads a live page's stream: its boards, and whether it ended. */
function streamOf(res: Response): { nextBoard(): Promise<string>; ended(withinMs: number): Promise<boolean> } {
  const reader = res.body!.getReader();
  let buf = '';
  let done = false;
  const pump = async (): Promise<void> => {
    const r = await reader.read();
    if (r.done) done = true;
    else buf += Buffer.from(r.value).toString();
  };
  return {
    async nextBoard() {
      for (;;) {
        const start = buf.indexOf('event: board');
        const end = start >= 0 ? buf.indexOf('\n\n', start) : -1;
        if (end > 0) {
          const block = buf.slice(start, end);
          buf = buf.slice(end + 2);
          return JSON.parse(block.split('\ndata: ')[1]!) as string;
        }
        if (done) throw new Error('stream ended');
        await pump();
      }
    },
    async ended(withinMs) {
      const deadline = Date.now() + withinMs;
      while (!done && Date.now() < deadline) await Promise.race([pump(), new Promise((r) => setTimeout(r, deadline - Date.now()))]);
      return done;
    },
  };
}

t.test('the live stream ends with its session: logout, a new password, a removed account (within a second)', async (t) => {
  const c = await consoleServer();
  const cases: Array<[string, string, string, (s: { cookie: string; csrf: string }) => Promise<unknown>]> = [
    ['logout', 'sup', 'supervisor-pw', (s) => c.request('/console/logout', { form: { csrf: s.csrf }, cookie: s.cookie })],
    // as ivrctl users passwd and users remove do, from another process, in the database
    ['ivrctl users passwd', 'sup', 'supervisor-pw', async () => c.users.setPassword('sup', await hashPassword('another-password-1'), new Date())],
    ['ivrctl users remove', 'op', 'operator-pw', async () => c.users.remove('op')],
  ];
  for (const [what, user, pw, end] of cases) {
    const s = await c.login(user, pw);
    const res = await fetch(`${c.base}/console/live/events`, { headers: { cookie: s.cookie } });
    const stream = streamOf(res);
    t.match(await stream.nextBoard(), /<table id="operators">/, `${what}: the board arrives`);
    const t0 = Date.now();
    await end(s);
    t.ok(await stream.ended(1000), `${what}: the stream ended ${Date.now() - t0} ms after`);
  }
});

t.test('an operator sees their own directorate and the callers they handle; every view and refusal is in the audit log a supervisor reads', async (t) => {
  const c = await consoleServer();
  const now = new Date().toISOString();
  c.db
    .prepare(
      "INSERT INTO calls (id, dp, caller, dialed, started_at, answered_by) VALUES ('c-sw', 'demo-sw', '0612345678', '0600000001', ?, 'sw1'), ('c-st', 'demo-st', '0698765432', '0200000002', ?, 'st1')",
    )
    .run(now, now);
  const add = c.db.prepare("INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, updated_at) VALUES (?, ?, 'it', 'pending', ?, ?, ?, ?)");
  add.run('demo-sw', '0611111111', now, now, now, now);
  add.run('demo-st', '0622222222', now, now, now, now);
  const op = await c.login('op', 'operator-pw');
  t.equal((await c.request('/console/profile?number=0612345678', { cookie: op.cookie })).status, 200, 'a caller sw1 answered');
  const refused = await c.request('/console/profile?number=0698765432', { cookie: op.cookie });
  t.equal(refused.status, 403, "another directorate's caller");
  t.match(await refused.text(), /solo i chiamanti che ha gestito/);
  t.equal(
    (await c.request('/console/notes', { form: { csrf: op.csrf, number: '0698765432', dp: 'demo-st', operator: 'sw1', text: 'x' }, cookie: op.cookie })).status,
    403,
    'no note about them',
  );
  const list = await (await c.request('/console/callbacks?dp=demo-st', { cookie: op.cookie })).text();
  t.same(
    [...list.matchAll(/number=(\d+)/g)].map((m) => m[1]),
    ['0611111111'],
    'the requests of their own directorate only, whatever the filter asked',
  );
  c.live.calls = [
    { channelId: 'a', dp: 'demo-sw', number: '0633333333', phase: 'menu', startedAt: now, ringing: [], operator: null },
    { channelId: 'b', dp: 'demo-st', number: '0644444444', phase: 'menu', startedAt: now, ringing: [], operator: null },
  ];
  const board = await (await c.request('/console/live', { cookie: op.cookie })).text();
  t.ok(board.includes('0633333333') && !board.includes('0644444444') && !board.includes('>st1<'), "the live board: their directorate's callers and phones only");
  t.equal((await c.request('/console/audit', { cookie: op.cookie })).status, 403, 'an operator does not read the audit log');

  const sup = await c.login('sup', 'supervisor-pw');
  t.equal((await c.request('/console/profile?number=0698765432', { cookie: sup.cookie })).status, 200, 'a supervisor sees every profile');
  const audit = await (await c.request('/console/audit', { cookie: sup.cookie })).text();
  const rows = [...audit.matchAll(/<tr><td>[^<]+<\/td><td>(\w+)<\/td><td>\w+<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td>/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  t.same(rows, ['sup profilo consultato 0698765432', 'op profilo negato 0698765432', 'op profilo consultato 0612345678'], 'who looked at whose data, newest first');
  const filtered = await (await c.request('/console/audit?number=0612345678', { cookie: sup.cookie })).text();
  t.equal([...filtered.matchAll(/<tr><td>/g)].length, 1, 'filtered by number');
});

/** A raw request with a Host header of our choosing (fetch does not let a page set it). */
function withHost(port: number, p: string, host: string, o: { method?: string; body?: string; origin?: string } = {}): Promise<{ status: number; cookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method: o.method ?? 'GET',
        headers: {
          host,
          ...(o.origin ? { origin: o.origin } : {}),
          ...(o.body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(o.body) } : {}),
        },
      },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie']?.[0] });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

t.test('another host name is refused (DNS rebinding); the public origin of a reverse proxy is accepted', async (t) => {
  const c = await consoleServer();
  const body = 'username=sup&password=supervisor-pw';
  const evil = await withHost(c.port, '/console/login', 'evil.example:8080', { method: 'POST', body, origin: 'http://evil.example:8080' });
  t.equal(evil.status, 421, "Host and Origin of an attacker's name: refused");
  t.equal(evil.cookie, undefined, 'no session');
  t.equal((await withHost(c.port, '/console/live', 'evil.example')).status, 421);
  const local = await withHost(c.port, '/console/login', `127.0.0.1:${c.port}`, { method: 'POST', body, origin: `http://127.0.0.1:${c.port}` });
  t.equal(local.status, 303, 'our own name and origin');
  const proxied = await withHost(c.port, '/console/login', 'ivr.example.it', { method: 'POST', body, origin: 'https://ivr.example.it' });
  t.equal(proxied.status, 303, 'behind the HTTPS proxy: the configured public origin');
  const foreign = await withHost(c.port, '/console/login', 'ivr.example.it', { method: 'POST', body, origin: 'https://evil.example' });
  t.equal(foreign.status, 403, 'a foreign origin through the proxy');
});

t.test("the follow-up worklist: an operator sees and closes their directorate's items; the outcome is stored once", async (t) => {
  const c = await consoleServer();
  const now = new Date().toISOString();
  const add = c.db.prepare('INSERT INTO followups (dp, unit, number, opened_by, opened_at) VALUES (?, ?, ?, ?, ?) RETURNING id');
  const mine = (add.get('demo-sw', null, '0612345678', 'sw1', now) as { id: number }).id;
  const other = (add.get('demo-st', null, '0698765432', 'st1', now) as { id: number }).id;
  const op = await c.login('op', 'operator-pw');
  const page = await (await c.request('/console/followups', { cookie: op.cookie })).text();
  t.ok(page.includes(`data-followup="${mine}"`) && !page.includes(`data-followup="${other}"`), "the operator's directorate only");
  t.equal((await c.request(`/console/followups/${other}/close`, { form: { csrf: op.csrf, outcome: 'x' }, cookie: op.cookie })).status, 403, "not another directorate's");
  t.equal((await c.request(`/console/followups/${mine}/close`, { form: { csrf: op.csrf, outcome: '' }, cookie: op.cookie })).status, 400, 'an outcome is required');
  const closed = await c.request(`/console/followups/${mine}/close`, { form: { csrf: op.csrf, outcome: 'pratica completata' }, cookie: op.cookie });
  t.equal(closed.status, 303);
  t.match(c.db.prepare('SELECT status, closed_by AS closedBy, outcome FROM followups WHERE id = ?').get(mine), {
    status: 'closed',
    closedBy: 'sw1',
    outcome: 'pratica completata',
  });
  t.equal((await c.request(`/console/followups/${mine}/close`, { form: { csrf: op.csrf, outcome: 'again' }, cookie: op.cookie })).status, 409, 'closed once');
  const sup = await c.login('sup', 'supervisor-pw');
  const all = await (await c.request('/console/followups?all=1', { cookie: sup.cookie })).text();
  t.ok(
    all.includes(`data-followup="${mine}"`) && all.includes(`data-followup="${other}"`) && all.includes('pratica completata'),
    'a supervisor sees every item, closed ones with their outcome',
  );
});

t.test("an internal unit's official records an intervention from the station: a 'not recorded' becomes their code and words; follow-up opened once", async (t) => {
  const c = await consoleServer();
  const add = c.db.prepare(
    "INSERT INTO outcomes (dp, number, call_id, kind, official, unit, code, label, by_default, at) VALUES ('demo-st', '0611111111', NULL, 'unit', ?, 'rimborsi', '0', 'not_recorded', 1, ?) RETURNING id",
  );
  const id = (add.get('u1', new Date().toISOString()) as { id: number }).id;
  const uff = await c.login('uff', 'official-pw');
  const page = await (await c.request('/console/operator', { cookie: uff.cookie })).text();
  t.match(page, new RegExp(`<tr data-outcome="${id}">[\\s\\S]*non registrato[\\s\\S]*action="/console/intervention"`), 'the station lists the intervention with its form');
  const op = await c.login('op', 'operator-pw');
  t.equal((await c.request('/console/intervention', { form: { csrf: op.csrf, outcome: String(id), code: '1' }, cookie: op.cookie })).status, 403, "not another official's");
  t.equal((await c.request('/console/intervention', { form: { csrf: uff.csrf, outcome: String(id), code: '9' }, cookie: uff.cookie })).status, 400, 'an unknown code');
  t.equal((await c.request('/console/intervention', { form: { csrf: uff.csrf, outcome: '99999', code: '1' }, cookie: uff.cookie })).status, 404);
  const saved = await c.request('/console/intervention', { form: { csrf: uff.csrf, outcome: String(id), code: '2', text: 'pratica inoltrata al reparto' }, cookie: uff.cookie });
  t.equal(saved.status, 303);
  t.match(c.db.prepare('SELECT code, label, by_default AS byDefault, detail, recorded_via AS via FROM outcomes WHERE id = ?').get(id), {
    code: '2',
    label: 'needs_follow_up',
    byDefault: 0,
    detail: 'pratica inoltrata al reparto',
    via: 'console',
  });
  t.match(
    c.db.prepare('SELECT dp, unit, number, opened_by AS openedBy, status FROM followups').all(),
    [{ dp: 'demo-st', unit: 'rimborsi', number: '0611111111', openedBy: 'u1', status: 'open' }],
    "needs follow-up: on the unit's worklist",
  );
  await c.request('/console/intervention', { form: { csrf: uff.csrf, outcome: String(id), code: '2', text: 'pratica inoltrata, sollecitata' }, cookie: uff.cookie });
  t.equal(c.db.prepare('SELECT COUNT(*) FROM followups').pluck().get(), 1, 'corrected text: no second item');
  t.match(await (await c.request('/console/operator', { cookie: uff.cookie })).text(), /da seguire<br>pratica inoltrata, sollecitata <span class="muted">\(dalla console/);
});

t.test('closures: a supervisor closes a directorate until a time with a message and reopens it; an operator cannot', async (t) => {
  const c = await consoleServer();
  const op = await c.login('op', 'operator-pw');
  t.equal((await c.request('/console/closures', { cookie: op.cookie })).status, 403);
  t.equal((await c.request('/console/dps/demo-sw/close', { form: { csrf: op.csrf, until: '2099-01-01T10:00' }, cookie: op.cookie })).status, 403);
  const sup = await c.login('sup', 'supervisor-pw');
  t.match(await (await c.request('/console/closures', { cookie: sup.cookie })).text(), /<tr data-dp="demo-sw">[\s\S]*aperta/);
  const tomorrow = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date(Date.now() + 86_400_000));
  t.equal((await c.request('/console/dps/demo-sw/close', { form: { csrf: sup.csrf, until: 'domani' }, cookie: sup.cookie })).status, 400, 'a bad time');
  const closed = await c.request('/console/dps/demo-sw/close', {
    form: { csrf: sup.csrf, until: `${tomorrow}T10:00`, message: 'Uffici chiusi per sciopero.', callback: '1' },
    cookie: sup.cookie,
  });
  t.equal(closed.status, 303);
  t.match(c.db.prepare('SELECT dp, message_it AS m, offer_callback AS cb, created_by AS by FROM closures').all(), [
    { dp: 'demo-sw', m: 'Uffici chiusi per sciopero.', cb: 1, by: 'console:sup' },
  ]);
  t.match(await (await c.request('/console/closures', { cookie: sup.cookie })).text(), /<tr data-dp="demo-sw">[\s\S]*chiusa<\/strong> fino a [\s\S]*Uffici chiusi per sciopero/);
  t.equal((await c.request('/console/dps/demo-sw/open', { form: { csrf: sup.csrf }, cookie: sup.cookie })).status, 303);
  t.equal((await c.request('/console/dps/demo-sw/open', { form: { csrf: sup.csrf }, cookie: sup.cookie })).status, 409, 'not closed any more');
  t.equal((await c.request('/console/dps/nope/open', { form: { csrf: sup.csrf }, cookie: sup.cookie })).status, 404);
});
