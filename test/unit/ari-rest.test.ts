// Our ARI REST requests against a local HTTP server playing Asterisk: what is sent (method,
// path, query, credentials) and how each kind of answer comes back (JSON, no content, a
// refusal with its status, no answer at all), and a burst kept within the pool's bound.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ARI_MAX_SOCKETS, ariGet, ariRequest } from '../../controller/telephony/ari-rest';
import { AriError } from '../../controller/errors';

interface Seen {
  method: string;
  url: URL;
  auth: string | undefined;
}

const seen: Seen[] = [];
/** requests being answered at once (each takes 20 ms), and the most seen */
const busy = { now: 0, most: 0 };
const server = http.createServer((req, res) => {
  const url = new URL(req.url!, 'http://x');
  seen.push({ method: req.method!, url, auth: req.headers.authorization });
  if (url.pathname === '/ari/channels/gone') {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end('{"message":"Channel not found"}');
  }
  if (url.pathname === '/ari/channels/elsewhere/answer') {
    res.writeHead(409, { 'content-type': 'application/json' });
    return res.end('{"message":"Channel not in Stasis application"}');
  }
  if (url.pathname === '/ari/slow') return; // never answers
  if (url.pathname === '/ari/busy') {
    busy.now++;
    busy.most = Math.max(busy.most, busy.now);
    setTimeout(() => {
      busy.now--;
      res.writeHead(204);
      res.end();
    }, 20);
    return;
  }
  if (req.method === 'POST') {
    res.writeHead(204);
    return res.end();
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify([{ id: 'c1' }]));
});

t.before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
t.teardown(() => {
  server.closeAllConnections();
  server.close();
});
const ari = (user = 'ivr', password = 's3cret') => ({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, user, password });

t.test('a request carries its method, path, credentials and query; lists are comma-separated', async (t) => {
  seen.length = 0;
  const r = await ariRequest(ari(), 'POST', '/channels/ch%201/play', { media: ['sound:it/menu-main', 'sound:it/menu-english'], playbackId: 'p1', skipped: undefined });
  t.equal(r, undefined, '204: no content');
  t.equal(seen[0]!.method, 'POST');
  t.equal(seen[0]!.url.pathname, '/ari/channels/ch%201/play');
  t.equal(seen[0]!.url.searchParams.get('media'), 'sound:it/menu-main,sound:it/menu-english');
  t.equal(seen[0]!.url.searchParams.get('playbackId'), 'p1');
  t.notOk(seen[0]!.url.searchParams.has('skipped'), 'undefined parameters are left out');
  t.equal(seen[0]!.auth, 'Basic ' + Buffer.from('ivr:s3cret').toString('base64'));
  t.same(await ariGet(ari(), '/channels'), [{ id: 'c1' }], 'JSON answers are parsed');
});

t.test('a refusal keeps the HTTP status and Asterisk’s message', async (t) => {
  const gone = await ariRequest(ari(), 'DELETE', '/channels/gone').catch((e: unknown) => e);
  t.ok(gone instanceof AriError);
  t.equal((gone as AriError).status, 404);
  t.ok((gone as AriError).notFound);
  t.equal((gone as AriError).message, 'Channel not found');
  const conflict = (await ariRequest(ari(), 'POST', '/channels/elsewhere/answer').catch((e: unknown) => e)) as AriError;
  t.equal(conflict.status, 409);
  t.notOk(conflict.notFound, 'a channel outside the application is not a missing one');
  t.equal(conflict.message, 'Channel not in Stasis application');
});

t.test('no answer in time, or nobody listening: an AriError without status', async (t) => {
  const started = Date.now();
  const slow = (await ariRequest(ari(), 'GET', '/slow', {}, 200).catch((e: unknown) => e)) as AriError;
  t.ok(slow instanceof AriError);
  t.equal(slow.status, null);
  t.match(slow.message, /no answer within 200 ms/);
  t.ok(Date.now() - started < 2000, 'given up at its timeout');
  const closed = (await ariRequest({ url: 'http://127.0.0.1:9', user: 'x', password: 'y' }, 'GET', '/channels').catch((e: unknown) => e)) as AriError;
  t.ok(closed instanceof AriError);
  t.equal(closed.status, null);
});

t.test("a burst of requests waits for the pool: never more than its bound at Asterisk's HTTP server at once, none lost", async (t) => {
  const n = ARI_MAX_SOCKETS * 3;
  const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => ariRequest(ari(), 'POST', '/busy', { i })));
  t.equal(results.filter((r) => r.status === 'fulfilled').length, n, `all ${n} answered`);
  t.ok(busy.most <= ARI_MAX_SOCKETS, `at most ${busy.most} at once (bound ${ARI_MAX_SOCKETS})`);
  t.ok(busy.most >= ARI_MAX_SOCKETS / 2, 'and the pool is used, not one at a time');
});
