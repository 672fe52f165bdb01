// The web console in a real browser (Debian's Chromium driven by playwright-core, headless)
// against the running controller: login and its cookie, the live board pushed while a real
// SIP caller is in the IVR, caller data rendered inert, CSRF and Origin checks, what an
// operator account may and may not do, and screenshots of the pages for the README.
// The project compiles without the DOM library: code for the page is a string for
// page.evaluate (run over CDP), but a function for waitForFunction, which the console's CSP
// (no 'unsafe-eval') would refuse as a string.
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { agentReport, assertNothingLeft, callIvr, cue, ivrctl, query, ROOT, STATE_DIR } from './harness';

const BASE = 'http://127.0.0.1:8080';
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 800 };
const SHOTS = path.join(ROOT, '.tap', 'screenshots');
const DOCS = path.join(ROOT, 'docs');
const OPEN = '0611000001'; // t-open: open all day, staff case, dispatch paused
/** the markup a caller's data could carry; every page must show it as text */
const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';

let browser: Browser | undefined;
t.teardown(async () => {
  await browser?.close();
});

async function getBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed (apt-get install chromium)`);
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
  return browser;
}

// ---- accounts and sessions -------------------------------------------------------------------

interface Account {
  username: string;
  password: string;
}
const accounts = new Map<string, Account>();

/** A console account made with the CLI (once per run); its generated password from --json. */
async function account(username: string, role: 'supervisor' | 'operator', operator?: string): Promise<Account> {
  const known = accounts.get(username);
  if (known) return known;
  const r = await ivrctl('users', 'add', username, '--role', role, ...(operator ? ['--operator', operator] : []), '--json');
  if (r.code !== 0) throw new Error(`ivrctl users add ${username}: exit ${r.code} ${r.stdout} ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { username: string; role: string; password?: string };
  if (!out.password) throw new Error(`ivrctl users add ${username} --json printed no password: ${r.stdout}`);
  const a = { username, password: out.password };
  accounts.set(username, a);
  return a;
}

const supervisor = (): Promise<Account> => account('sup1', 'supervisor');
const operatorSt1 = (): Promise<Account> => account('op1', 'operator', 'st1');

/** A fresh browser context logged in through the login form; the page is on /console/live. */
async function loggedIn(a: Account): Promise<{ context: BrowserContext; page: Page }> {
  const context = await (await getBrowser()).newContext({ viewport: VIEWPORT, locale: 'it-IT', timezoneId: 'Europe/Rome' });
  const page = await context.newPage();
  await page.goto(`${BASE}/console/login`);
  await page.fill('input[name=username]', a.username);
  await page.fill('input[name=password]', a.password);
  await Promise.all([page.waitForURL(`${BASE}/console/live`), page.click('form.login button')]);
  return { context, page };
}

/** Script errors and console errors of a page (a CSP violation shows up here too). */
function watchErrors(page: Page, expected?: RegExp): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected?.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** The session's CSRF token, from a hidden input of the page (every page has the logout form). */
const csrfOf = async (page: Page): Promise<string> => {
  const v = await page.locator('input[name=csrf]').first().getAttribute('value');
  if (!v) throw new Error(`no csrf input on ${page.url()}`);
  return v;
};

/** A form POST made by the page itself (same origin, the session cookie), with its status and text. */
const postFromPage = async (page: Page, url: string, form: Record<string, string>): Promise<{ status: number; text: string }> =>
  (await page.evaluate(
    `fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: ${JSON.stringify(new URLSearchParams(form).toString())}, redirect: 'manual' })
       .then(async (r) => ({ status: r.status, text: await r.text() }))`,
  )) as { status: number; text: string };

// ---- the database ----------------------------------------------------------------------------

function writeDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(STATE_DIR, 'ivr.db'), { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const DAY = 86_400_000;

function insertCallback(c: { dp: string; number: string; status: string; lastOutcome?: string; closedReason?: string }): number {
  const now = new Date().toISOString();
  return writeDb(
    (db) =>
      (
        db
          .prepare(
            'INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, updated_at, attempts, last_outcome, closed_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
          )
          .get(
            c.dp,
            c.number,
            'it',
            c.status,
            now,
            now,
            new Date(Date.now() + 3 * DAY).toISOString(),
            now,
            c.status === 'pending' ? 0 : 2,
            c.lastOutcome ?? null,
            c.closedReason ?? null,
          ) as { id: number }
      ).id,
  );
}

/** A call that has ended, as the IVR records it (optionally answered by an operator). */
function insertCall(c: { id: string; dp: string; caller: string; dialed: string; answeredBy?: string; endReason?: string; agoMs?: number }): void {
  const start = Date.now() - (c.agoMs ?? 120_000);
  writeDb((db) =>
    db
      .prepare('INSERT INTO calls (id, dp, caller, dialed, started_at, answered_at, ended_at, end_reason, answered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        c.id,
        c.dp,
        c.caller,
        c.dialed,
        new Date(start).toISOString(),
        new Date(start + 5000).toISOString(),
        new Date(start + 60_000).toISOString(),
        c.endReason ?? 'completed',
        c.answeredBy ?? null,
      ),
  );
}

// ---- screenshots -----------------------------------------------------------------------------

/**
 * Saves a PNG of the page under .tap/screenshots; with IVR_REFRESH_DOCS=1 also the README's
 * copy in docs/ (refreshed on purpose, never as a side effect of a test run).
 */
async function screenshot(t: Test, page: Page, name: string, docsCopy?: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  const size = statSync(file).size;
  t.ok(size > 5_000 && size < 200_000, `screenshot ${name}.png: ${Math.round(size / 1024)} KB`);
  t.comment(`screenshot: ${file}`);
  if (docsCopy && process.env.IVR_REFRESH_DOCS === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, path.join(DOCS, docsCopy));
    t.comment(`copied to ${path.join(DOCS, docsCopy)}`);
  }
}

// ---- the tests --------------------------------------------------------------------------------

t.test('login: a page without a session goes to the login form; a wrong password is refused; the right one opens the live page with a strict cookie', async (t) => {
  const sup = await supervisor();
  const context = await (await getBrowser()).newContext({ viewport: VIEWPORT });
  t.teardown(() => context.close());
  const page = await context.newPage();

  const first = await page.goto(`${BASE}/console/live`);
  t.equal(page.url(), `${BASE}/console/login`, 'redirected to the login page');
  t.equal(first?.request().redirectedFrom()?.url(), `${BASE}/console/live`, 'by a redirect from the live page');
  t.equal(first?.status(), 200);
  t.equal(await page.locator('h1').textContent(), 'Accesso');
  t.equal(await page.locator('p.error').count(), 0, 'no error before trying');

  await page.fill('input[name=username]', sup.username);
  await page.fill('input[name=password]', `${sup.password}x`);
  const [refused] = await Promise.all([page.waitForResponse((r) => r.url() === `${BASE}/console/login` && r.request().method() === 'POST'), page.click('form.login button')]);
  await page.waitForLoadState();
  t.equal(refused.status(), 401, 'wrong password: 401');
  t.equal((await page.locator('p.error[role=alert]').textContent())?.trim(), 'Utente o password errati.', 'the Italian error is shown');
  t.equal(page.url(), `${BASE}/console/login`, 'still on the login page');
  t.same(await context.cookies(), [], 'no cookie after a refused login');

  await page.fill('input[name=username]', sup.username);
  await page.fill('input[name=password]', sup.password);
  await Promise.all([page.waitForURL(`${BASE}/console/live`), page.click('form.login button')]);
  t.equal(page.url(), `${BASE}/console/live`, 'the right password lands on the live page');
  t.equal(await page.locator('h1').textContent(), 'In diretta');
  t.match(await page.locator('header form.logout span').textContent(), 'sup1 (supervisore)', 'the header names the user and role');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'ivr_session');
  t.ok(session, 'the ivr_session cookie is set');
  t.match(session, { httpOnly: true, sameSite: 'Strict', secure: true, path: '/console' }, 'HttpOnly, SameSite=Strict, Secure, Path=/console');
  t.equal(await page.evaluate('document.cookie'), '', 'the page script cannot read the session cookie');

  // "Esci" (a form post like every change) ends the session
  await Promise.all([page.waitForURL(`${BASE}/console/login`), page.click('header form.logout button')]);
  t.notOk(
    (await context.cookies()).some((c) => c.name === 'ivr_session'),
    'logged out: the cookie is cleared',
  );
  await page.goto(`${BASE}/console/live`);
  t.equal(page.url(), `${BASE}/console/login`, 'and the live page asks for a login again');
  const old = await fetch(`${BASE}/console/live`, { headers: { cookie: `ivr_session=${session?.value ?? ''}` }, redirect: 'manual', signal: AbortSignal.timeout(5000) });
  t.equal(old.status, 303, 'the old cookie value no longer opens a session');
});

t.test("live page: a caller in the IVR shows within the poll period, without a reload, and leaves at hang-up; today's count grows by one", async (t) => {
  const { context, page } = await loggedIn(await supervisor());
  t.teardown(() => context.close());
  const errors = watchErrors(page);
  const ani = '0612990001';
  t.same(query('SELECT id FROM calls WHERE caller = ?', ani), [], 'a fresh caller number');

  // the board stream is open once its response arrives; the server then polls every 500 ms
  const stream = page.waitForResponse((r) => r.url() === `${BASE}/console/live/events`);
  await page.goto(`${BASE}/console/live`);
  const events = await stream;
  t.equal(events.status(), 200, 'the board stream is open');
  t.match(events.headers()['content-type'], /^text\/event-stream/);
  const figure = page.locator('td[data-figure="callsReceived:t-open"]');
  const before = Number(await figure.textContent());
  t.ok(Number.isInteger(before), `calls received today by t-open before the call: ${before}`);
  t.equal(await page.locator('#calls td.number', { hasText: ani }).count(), 0, 'the caller is not on the board yet');

  // the page notes when the caller's row appears and disappears (the board is swapped by live.js)
  const marker = `m${Date.now()}`;
  await page.evaluate(`(() => {
    window.__marker = ${JSON.stringify(marker)};
    window.__shown = {};
    window.__gone = {};
    new MutationObserver(() => {
      const at = Date.now();
      const nums = new Set(Array.from(document.querySelectorAll('#calls td.number')).map((td) => td.textContent));
      for (const n of nums) if (!(n in window.__shown)) window.__shown[n] = at;
      for (const n of Object.keys(window.__shown)) if (!nums.has(n) && !(n in window.__gone)) window.__gone[n] = at;
    }).observe(document.getElementById('board'), { childList: true, subtree: true });
  })()`);

  // the caller stays on the line until the test has seen it on the board, then hangs up
  const call = callIvr({ number: OPEN, ani, rtpPort: 46000, steps: [{ cue: `${ani} seen` }, { hangup: true }] });
  // a function, not a string: the console's CSP (no unsafe-eval) forbids evaluating strings in the page
  await page.waitForFunction((n: string) => (globalThis as unknown as { __shown: Record<string, unknown> }).__shown[n] !== undefined, ani, { timeout: 15_000 });
  const shownAt = (await page.evaluate(`window.__shown[${JSON.stringify(ani)}]`)) as number;
  const [row] = query<{ id: string; started_at: string }>('SELECT id, started_at FROM calls WHERE caller = ?', ani);
  t.ok(row, 'the controller recorded the call');
  const latency = shownAt - Date.parse(row!.started_at);
  t.ok(latency >= 0 && latency < 1500, `the caller showed ${latency} ms after the controller took the call (StasisStart)`);
  t.comment(`live update latency (call start -> row on the page): ${latency} ms`);
  const callRow = page.locator(`#calls tr[data-call="${row!.id}"]`);
  t.equal(await callRow.locator('td.number').textContent(), ani, 'the row is the caller, keyed by its channel');
  t.equal(await callRow.locator('td').nth(1).textContent(), 't-open', 'at its directorate');
  t.comment(`phase shown: ${await callRow.locator('td').nth(2).textContent()}`);
  await screenshot(t, page, 'console-live', 'console-live.png');

  cue(`${ani} seen`);
  const r = await call;
  t.equal(r.code, 0, 'the caller stayed until seen, and hung up itself', { report: r.code === 0 ? undefined : agentReport(r) });
  const hungUpAt = Date.now();
  await page.waitForFunction(
    ([n, want]: [string, string]) => {
      // the page's own globals (the live script's __gone, the DOM)
      const w = globalThis as unknown as { __gone: Record<string, unknown>; document: { querySelector(s: string): { textContent: string | null } | null } };
      return w.__gone[n] !== undefined && w.document.querySelector('td[data-figure="callsReceived:t-open"]')?.textContent === want;
    },
    [ani, String(before + 1)] as [string, string],
    { timeout: 5000 },
  );
  const goneAt = (await page.evaluate(`window.__gone[${JSON.stringify(ani)}]`)) as number;
  const [ended] = query<{ ended_at: string | null }>('SELECT ended_at FROM calls WHERE id = ?', row!.id);
  t.ok(ended?.ended_at, 'the call ended in the database');
  const goneLatency = goneAt - Date.parse(ended!.ended_at!);
  t.ok(goneLatency < 1500, `the row left ${goneLatency} ms after the call ended (${goneAt - hungUpAt} ms after SIPp returned)`);
  t.comment(`live update latency (call end -> row gone): ${goneLatency} ms`);
  t.equal(await page.locator('#calls td.number', { hasText: ani }).count(), 0, 'the caller is off the board');
  t.equal(Number(await figure.textContent()), before + 1, `calls received today by t-open: ${before} -> ${before + 1}`);
  t.equal(await page.evaluate('window.__marker'), marker, 'no reload: the variable set before the call is still there');
  t.equal(page.url(), `${BASE}/console/live`);
  t.same(errors, [], 'no script or console error on the live page');
  await assertNothingLeft(t);
});

t.test('caller data with markup is shown as text: nothing runs, no element is made', async (t) => {
  const number = '0612990003';
  const now = new Date().toISOString();
  insertCall({ id: `console-xss-${Date.now()}`, dp: 't-open', caller: number, dialed: OPEN, endReason: '<b>caller_hangup</b>' });
  const cbId = insertCallback({ dp: 't-open', number, status: 'failed', lastOutcome: XSS, closedReason: XSS });
  writeDb((db) =>
    db
      .prepare('INSERT INTO notes (number, dp, author, operator, info, text, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(number, 't-open', '<i>mallory</i>', 'st1', '<u>Rimborsi</u>', XSS, now),
  );

  const { context, page } = await loggedIn(await supervisor());
  t.teardown(() => context.close());
  const errors = watchErrors(page);
  const inert = async (what: string): Promise<string> => {
    t.equal(await page.evaluate('typeof window.__xss'), 'undefined', `${what}: no injected script ran`);
    t.equal(await page.locator('img[src="x"]').count(), 0, `${what}: no injected img element`);
    t.equal(await page.locator('script:not([src])').count(), 0, `${what}: no inline script element`);
    t.equal(await page.locator('main b, main i, main u').count(), 0, `${what}: no injected formatting element`);
    return page.innerText('body');
  };

  const profile = await page.goto(`${BASE}/console/profile?number=${number}`);
  t.equal(profile?.status(), 200);
  const profileText = await inert('profile');
  t.ok(profileText.includes(XSS), 'profile: the note text shows literally, <script> included');
  t.ok(profileText.includes('<i>mallory</i>') && profileText.includes('[<u>Rimborsi</u>]'), 'profile: author and topic show literally');
  t.ok(profileText.includes('<b>caller_hangup</b>'), "profile: the call's end reason shows literally");
  t.equal(await page.locator('#timeline td', { hasText: /^nota$/ }).count(), 1, 'the note is in the timeline');

  const callbacks = await page.goto(`${BASE}/console/callbacks?dp=t-open`);
  t.equal(callbacks?.status(), 200);
  const callbacksText = await inert('callbacks');
  t.ok(callbacksText.includes('<script>'), 'callbacks: the literal <script> is visible');
  t.equal((await page.locator(`tr[data-callback="${cbId}"] td`).nth(6).textContent())?.trim(), XSS, 'callbacks: the last outcome shows literally');

  // the operator view shows the same profile (a supervisor may look at st1's station)
  insertCall({ id: `console-xss-op-${Date.now()}`, dp: 'demo-st', caller: number, dialed: '0200000002', answeredBy: 'st1', agoMs: 60_000 });
  const op = await page.goto(`${BASE}/console/operator?operator=st1`);
  t.equal(op?.status(), 200);
  const opText = await inert('operator view');
  t.ok(opText.includes(XSS), 'operator view: the note text shows literally');
  t.same(errors, [], 'no script or console error');
});

t.test('CSRF: a post without the session token, or from another origin, is refused; with the token it goes through', async (t) => {
  const { context, page } = await loggedIn(await supervisor());
  t.teardown(() => context.close());
  await page.goto(`${BASE}/console/callbacks`);
  const csrf = await csrfOf(page);
  t.ok(csrf.length >= 20, 'the page carries the token in a hidden input');

  const none = await postFromPage(page, '/console/callbacks/1/cancel', {});
  t.equal(none.status, 403, 'no token: 403');
  t.match(none.text, 'token CSRF mancante o errato');
  t.equal((await postFromPage(page, '/console/callbacks/1/cancel', { csrf: `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}` })).status, 403, 'a wrong token: 403');
  const missing = await postFromPage(page, '/console/callbacks/999999/cancel', { csrf });
  t.equal(missing.status, 404, 'the right token on a request that does not exist: 404, not 403');

  // outside the browser, with the session cookie: a foreign Origin is refused even with the token
  const cookie = (await context.cookies()).find((c) => c.name === 'ivr_session');
  const post = (origin?: string): Promise<Response> =>
    fetch(`${BASE}/console/callbacks/999999/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ivr_session=${cookie?.value ?? ''}`, ...(origin ? { origin } : {}) },
      body: new URLSearchParams({ csrf }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
  const foreign = await post('http://evil.example');
  t.equal(foreign.status, 403, 'Origin http://evil.example: 403');
  t.match(await foreign.text(), 'origine diversa');
  t.equal((await post(BASE)).status, 404, 'the same request from the console origin gets through (404: no such request)');

  // the real form: a pending request cancelled with its "Annulla" button
  const number = '0612990004';
  const id = insertCallback({ dp: 't-open', number, status: 'pending' });
  await page.goto(`${BASE}/console/callbacks?dp=t-open&status=pending`);
  const row = page.locator(`tr[data-callback="${id}"]`);
  t.equal(await row.locator('td.status').textContent(), 'in attesa');
  await Promise.all([page.waitForURL(`${BASE}/console/callbacks?done=${id}`), row.locator(`form[action="/console/callbacks/${id}/cancel"] button`).click()]);
  t.equal((await page.locator('p.notice').textContent())?.trim(), `Richiesta ${id} aggiornata.`);
  t.equal(await page.locator(`tr[data-callback="${id}"] td.status`).textContent(), 'annullata');
  t.match(query('SELECT status, closed_reason FROM callbacks WHERE id = ?', id), [{ status: 'cancelled' }], 'cancelled in the database');
});

t.test("an operator account cannot change requests, but records a note on its last call that the caller's profile then shows", async (t) => {
  const number = '0612990005';
  const callId = `console-op-${Date.now()}`;
  insertCall({ id: callId, dp: 'demo-st', caller: number, dialed: '0200000002', answeredBy: 'st1', agoMs: 30_000 });
  // st1 is staff of demo-st: it sees that directorate's requests, not another's
  const pendingId = insertCallback({ dp: 'demo-st', number: '0612990006', status: 'pending' });
  const otherId = insertCallback({ dp: 't-open', number: '0612990007', status: 'pending' });
  t.teardown(async () => {
    await ivrctl('callbacks', 'cancel', String(pendingId));
    await ivrctl('callbacks', 'cancel', String(otherId));
  });

  const { context, page } = await loggedIn(await operatorSt1());
  t.teardown(() => context.close());
  // the refused posts below are logged by the browser as failed loads
  const errors = watchErrors(page, /the server responded with a status of 403/);
  t.match(await page.locator('header form.logout span').textContent(), 'op1 (operatore)');

  await page.goto(`${BASE}/console/callbacks?dp=t-open&status=pending`);
  t.equal(await page.locator(`tr[data-callback="${otherId}"]`).count(), 0, "another directorate's request is not shown, whatever the filter asks");
  t.equal(await page.locator(`tr[data-callback="${pendingId}"]`).count(), 1, "the operator sees their own directorate's request");
  t.equal(await page.locator('form[action^="/console/callbacks/"]').count(), 0, 'but no action buttons');
  const csrf = await csrfOf(page);
  const cancel = await postFromPage(page, `/console/callbacks/${pendingId}/cancel`, { csrf });
  t.equal(cancel.status, 403, 'cancel with a valid token: 403 for an operator');
  t.match(cancel.text, 'Solo un supervisore');
  t.equal((await postFromPage(page, `/console/callbacks/${pendingId}/retry`, { csrf })).status, 403, 'retry: 403');
  t.match(query('SELECT status FROM callbacks WHERE id = ?', pendingId), [{ status: 'pending' }], 'the request is untouched');

  await page.goto(`${BASE}/console/operator?operator=st2`);
  t.equal(await page.locator('h1').textContent(), 'Postazione operatore st1', 'an operator sees only their own station (?operator= ignored)');
  const heading = await page.locator('#current h2').textContent();
  t.match(heading, `Ultima: chiamata ${number} (demo-st)`, 'the last call st1 answered');
  t.equal(await page.locator('form.note input[name=callId]').getAttribute('value'), callId);

  const text = 'Chiesto lo stato del rimborso 730/2025: in lavorazione.';
  await page.selectOption('form.note select[name=info]', { label: 'Rimborsi' });
  await page.fill('form.note textarea[name=text]', text);
  await Promise.all([page.waitForURL(`${BASE}/console/operator?saved=1`), page.click('form.note button')]);
  t.equal((await page.locator('p.notice').textContent())?.trim(), 'Registrato nel profilo del chiamante.');
  t.match(
    query('SELECT number, dp, call_id, author, operator, info, text FROM notes WHERE number = ?', number),
    [{ number, dp: 'demo-st', call_id: callId, author: 'op1', operator: 'st1', info: 'Rimborsi', text }],
    'the note is stored against the call',
  );
  t.equal(
    (await postFromPage(page, '/console/notes', { csrf, number, dp: 'demo-st', operator: 'st2', info: 'Altro', text: 'x' })).status,
    403,
    "a note as another operator's station: 403",
  );

  await page.goto(`${BASE}/console/profile?number=${number}`);
  const note = page.locator('#timeline tr', { has: page.locator('td', { hasText: /^nota$/ }) });
  t.equal(await note.count(), 1, 'the profile timeline has the note');
  t.equal(await note.locator('td').nth(3).textContent(), `op1 (st1): [Rimborsi] ${text}`);
  t.same(errors, [], 'no script or console error');
});

t.test('reports and profile pages render (charts, CSV) and are saved as screenshots', async (t) => {
  const { context, page } = await loggedIn(await supervisor());
  t.teardown(() => context.close());
  const errors = watchErrors(page);

  const reports = await page.goto(`${BASE}/console/reports`);
  t.equal(reports?.status(), 200);
  t.ok((await page.locator('section.chart svg.bars').count()) >= 1, 'inline SVG charts');
  t.ok((await page.locator('svg.bars rect.s1').count()) >= 7, 'bars for the week');
  t.ok((await page.locator('#report tbody tr').count()) > 3, 'the figures table');
  await screenshot(t, page, 'console-report', 'console-report.png');
  const href = await page.getByRole('link', { name: 'Scarica CSV' }).getAttribute('href');
  const csv = await context.request.get(`${BASE}${href}`);
  t.equal(csv.status(), 200, `CSV ${href}`);
  t.match(csv.headers()['content-type'], /^text\/csv/);
  t.ok((await csv.text()).split('\n').length > 2, 'the CSV has rows');
  // the download for a spreadsheet with Italian settings: ";" between fields
  const hrefIt = await page.getByRole('link', { name: 'CSV per Excel italiano' }).getAttribute('href');
  const csvIt = await context.request.get(`${BASE}${hrefIt}`);
  t.equal(csvIt.status(), 200, `CSV ${hrefIt}`);
  t.ok((await csvIt.text()).startsWith('\uFEFFdp;from;to;metric;label;label_it;value\r\n'), 'the Italian CSV: ";" between fields');

  const profile = await page.goto(`${BASE}/console/profile?number=0612990005`);
  t.equal(profile?.status(), 200);
  t.ok((await page.locator('#timeline tbody tr').count()) >= 2, 'the timeline: call and note');
  await screenshot(t, page, 'console-profile');
  t.same(errors, [], 'no script or console error');
});
