// The controller's HTTP server against what a client's bytes can do on a raw socket: a
// malformed target, oversized headers, a request that never ends its headers, a handler that
// throws. Each gets an answer (or a closed connection), the server goes on serving.
import t from 'tap';
import net from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { HEADERS_TIMEOUT_MS, startHttpServer } from '../../controller/http/server';
import { Boundary } from '../../controller/runtime/boundary';

async function server() {
  const counted: string[] = [];
  const boundary = new Boundary(pino({ level: 'silent' }), (w) => counted.push(w));
  const srv = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    boundary,
    metrics: new Registry(),
    health: () => ({ ok: true }),
    api: async (_req, path) => {
      if (path === '/api/throw') throw new Error('a bug of ours');
      return { status: 401, body: { error: 'missing or wrong API token' } };
    },
  });
  const port = (srv.address() as net.AddressInfo).port;
  return { srv, port, counted };
}

/** Sends raw bytes, resolves with what came back when the server closed (or after `waitMs`). */
function raw(port: number, bytes: string, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, waitMs);
    s.on('close', done);
    s.on('error', done);
    s.write(bytes);
  });
}

const statusOf = (reply: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);

t.test('malformed targets and bad requests: 400, the server goes on', async (t) => {
  const { srv, port, counted } = await server();
  t.teardown(() => srv.close());
  t.equal(statusOf(await raw(port, 'GET http://[/ HTTP/1.1\r\nHost: x\r\n\r\n')), 400, 'GET http://[/ (it crashed the controller once)');
  t.equal(statusOf(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n')), 400, 'a header line without a colon');
  t.equal(statusOf(await raw(port, 'NOT A REQUEST\r\n\r\n')), 400, 'not HTTP at all');
  t.equal(statusOf(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)), 431, 'oversized headers');
  t.equal(statusOf(await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 500)), 200, 'still serving');
  t.same(counted, [], 'none of these is an error of ours');
});

t.test('a handler that throws: 500 for that request only, counted', async (t) => {
  const { srv, port, counted } = await server();
  t.teardown(() => srv.close());
  t.equal(statusOf(await raw(port, 'POST /api/throw HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')), 500);
  t.same(counted, ['http']);
  t.equal(statusOf(await raw(port, 'GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n', 500)), 401, 'the next request is served');
});

t.test('a client that never finishes its headers is dropped', async (t) => {
  const { srv, port } = await server();
  t.teardown(() => srv.close());
  const t0 = Date.now();
  const reply = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', HEADERS_TIMEOUT_MS + 5000);
  const ms = Date.now() - t0;
  t.ok(ms < HEADERS_TIMEOUT_MS + 3000, `closed after ${ms} ms`);
  t.match(reply, /^(HTTP\/1\.1 408|)/, 'a 408 or a plain close');
});
