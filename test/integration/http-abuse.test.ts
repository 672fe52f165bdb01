// Abuse of the controller's HTTP port, on raw sockets, against the running stack: malformed
// targets (one crashed the controller once), oversized headers, a client that never finishes
// its headers, and 10,000 fuzzed requests over /console, /api and /metrics. The controller's
// pid never changes, no client's fault is answered with a 5xx, /healthz stays 200.
import t from 'tap';
import net from 'node:net';
import { healthJson } from './harness';

const PORT = 8080;

/** Sends raw bytes on a new connection; resolves the status line's code (0: closed without one). */
function raw(bytes: string | Buffer, waitMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(PORT, '127.0.0.1');
    let got = '';
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(got)?.[1] ?? 0));
    };
    const timer = setTimeout(done, waitMs);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (/\r\n\r\n/.test(got)) done();
    });
    s.on('close', done);
    s.on('error', done);
    s.write(bytes);
  });
}

/** A small seeded generator, so that a failure can be replayed. */
function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => (x = (x * 1103515245 + 12345) & 0x7fffffff) % n;
}

const PATHS = [
  '/',
  '/healthz',
  '/metrics',
  '/api/dispatcher',
  '/api/jobs',
  '/api/callbacks/1/cancel',
  '/api/callbacks/99999999999/retry',
  '/api/callbacks/1/reschedule',
  '/api/operators/st1/pause',
  '/api/jobs/backup/run',
  '/api/jobs/%E0%A4%A/run',
  '/console',
  '/console/login',
  '/console/live',
  '/console/live/events',
  '/console/callbacks',
  '/console/callbacks/1/cancel',
  '/console/profile',
  '/console/reports',
  '/console/reports.csv',
  '/console/operator',
  '/console/notes',
  '/console/logout',
  '/console/static/console.css',
  '/console/static/../../etc/passwd',
  '/console/static/live.js',
];
const NOISE = ['%', '%00', '%zz', '%ff', '..', '/', '?', '&', '=', '#', ';', '%C3%A8', '\u00e8', '\\', '"', "'", '<script>', '{', '}', '|', '^', '`', '~', ' '];
const QUERY = [
  'from=2026-01-01',
  'to=2099-12-31',
  'from=0100-01-01',
  'to=9999-99-99',
  'dp=demo-st',
  'dp=%00',
  'number=0612345678',
  'number=+',
  'status=pending',
  'operator=st1',
  'at=now',
  'done=1',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'G3T', 'CONNECT', 'GET'];
const TYPES = ['application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', '\u00ff\u00fe'];

function fuzzRequest(r: (n: number) => number): Buffer {
  let path = PATHS[r(PATHS.length)]!;
  for (let i = r(4); i > 0; i--) path += NOISE[r(NOISE.length)]!;
  if (r(3) === 0) path += `?${Array.from({ length: 1 + r(4) }, () => QUERY[r(QUERY.length)]).join('&')}`;
  if (r(50) === 0) path += 'a'.repeat(3000 + r(3000));
  const method = METHODS[r(METHODS.length)]!;
  const headers = [`Host: ${['127.0.0.1:8080', 'evil.example', '', 'x'.repeat(300)][r(4)]}`, 'Connection: close'];
  if (r(20) === 0) headers.push('Upgrade: websocket', 'Connection: Upgrade');
  if (r(2)) headers.push(`Cookie: ivr_session=${Buffer.from(Array.from({ length: r(60) }, () => 33 + r(90))).toString('latin1')}`);
  if (r(3) === 0) headers.push(`Authorization: Bearer ${'x'.repeat(r(64))}`);
  if (r(3) === 0) headers.push(`Origin: ${['http://127.0.0.1:8080', 'null', 'http://evil.example'][r(3)]}`);
  let body = Buffer.alloc(0);
  if (method === 'POST' || method === 'PUT' || r(10) === 0) {
    headers.push(`Content-Type: ${TYPES[r(TYPES.length)]}`);
    const pieces = ['csrf=x', 'username=admin', 'password=' + 'p'.repeat(r(20)), 'text=' + 'n'.repeat(r(3000)), 'at=2026-13-45T25:61', '{"at":', '\u0000\u00ff', 'number=%zz'];
    body = Buffer.from(Array.from({ length: 1 + r(4) }, () => pieces[r(pieces.length)]).join('&'), 'latin1');
    headers.push(`Content-Length: ${body.length}`);
  }
  return Buffer.concat([Buffer.from(`${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

t.test('malformed targets, bad requests, oversized headers: a 4xx or a closed connection, never a crash', async (t) => {
  const before = await healthJson();
  t.equal(before.status, 200, 'healthy before');
  const cases: Array<[string, string | Buffer, number[]]> = [
    ['GET http://[/ (crashed the controller once)', 'GET http://[/ HTTP/1.1\r\nHost: x\r\n\r\n', [400]],
    ['absolute-form target of another host', 'GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', [200, 400, 404]],
    ['not HTTP at all', 'SSH-2.0-OpenSSH_9.2\r\n\r\n', [400]],
    ['a header without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n', [400]],
    ['an unknown HTTP version', 'GET / HTTP/7.3\r\nHost: x\r\n\r\n', [400, 505]],
    ['a NUL in the target', 'GET /console\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', [400]],
    ['a content-length that is not a number', 'POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', [400]],
    ['two content-lengths', 'POST /console/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', [400]],
    ['a malformed chunked body', 'POST /console/login HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', [400]],
    [
      'a malformed percent-escape in the API path',
      'POST /api/operators/%E0%A4%A/pause HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      [400, 401],
    ],
    ['the API under another name (DNS rebinding)', 'GET /api/jobs HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n', [421]],
    ['20 KiB of headers', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, [431]],
    ['200 headers', `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 200 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\nConnection: close\r\n\r\n`, [200, 400, 431]],
    [
      'a 100 KB form to the console',
      `POST /console/login HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(100_000)}`,
      [413, 400],
    ],
  ];
  for (const [what, bytes, allowed] of cases) {
    const status = await raw(bytes);
    t.ok(allowed.includes(status) || status === 0, `${what}: ${status || 'closed'}`);
    t.ok(status < 500, `${what}: not a 5xx`);
  }
  const after = await healthJson();
  t.equal(after.status, 200, '/healthz still 200');
  t.equal(after.pid, before.pid, `the same controller process (pid ${after.pid})`);
});

t.test('a client that never finishes its headers is dropped; others are served meanwhile', async (t) => {
  const s = net.connect(PORT, '127.0.0.1');
  const t0 = Date.now();
  const closed = new Promise<number>((resolve) => {
    s.on('close', () => resolve(Date.now() - t0));
    s.on('error', () => undefined);
  });
  s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  // a byte every second: each keeps the socket busy, none finishes the headers
  const drip = setInterval(() => s.writable && s.write('a'), 1000);
  const served = await healthJson();
  t.equal(served.status, 200, 'served while the slow client holds its connection');
  const ms = await closed;
  clearInterval(drip);
  // the headers' deadline (5 s), with a second for a loaded machine's timers
  t.ok(ms >= 4_900 && ms < 6_000, `the slow client was dropped after ${ms} ms`);
});

t.test('10,000 fuzzed requests over /console, /api and /metrics: no 5xx, same pid, still healthy', async (t) => {
  const before = await healthJson();
  const r = rng(20261129);
  const requests = Array.from({ length: 10_000 }, () => fuzzRequest(r));
  const statuses = new Map<number, number>();
  let next = 0;
  const t0 = Date.now();
  // 16 clients at once, each request on its own connection
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < requests.length) {
        const status = await raw(requests[next++]!, 10_000);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const summary = [...statuses.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s || 'closed'}: ${n}`)
    .join(', ');
  t.comment(`10,000 requests in ${Date.now() - t0} ms: ${summary}`);
  const server = [...statuses.entries()].filter(([s]) => s >= 500);
  t.same(server, [], 'no 5xx answer');
  t.equal(statuses.get(0) ?? 0, 0, 'every request got an answer (CONNECT and garbage included)');
  const after = await healthJson();
  t.equal(after.status, 200, '/healthz still 200');
  t.equal(after.pid, before.pid, 'the same controller process');
  const metrics = await (await fetch('http://127.0.0.1:8080/metrics')).text();
  const errors = /^ivr_errors_total\{where="http"\} (\d+)/m.exec(metrics)?.[1];
  t.equal(errors ?? '0', '0', 'no error counted at the HTTP boundary');
});
