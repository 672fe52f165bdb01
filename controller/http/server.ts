// The controller's HTTP endpoint on loopback: /healthz for `make up` and monitoring,
// /metrics for Prometheus, /api/* for ivrctl's actions on live state (api.ts), /console for
// the web console (console/router.ts).
//
// Whatever a client sends, the telephony in the same process goes on: a request that cannot
// be parsed gets a 400 (431 for oversized headers) and its connection is closed; a client
// that never finishes its headers is dropped after HEADERS_TIMEOUT_MS; connections are
// bounded; and each request runs inside an error boundary (a fault of ours answers 500 and
// is counted, never taking the process down).
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { Boundary } from '../runtime/boundary';
import type { ApiReply } from './api';
import { hostAllowed, type HttpNames } from './hosts';

export interface Health {
  ok: boolean;
  [key: string]: unknown;
}

/** a client must have sent its whole header block within this time (a slow client holds a socket) */
export const HEADERS_TIMEOUT_MS = 5000;
/** ... and its whole request (body included) within this one */
const REQUEST_TIMEOUT_MS = 30_000;
/** open connections at once (live pages keep one each) */
export const MAX_CONNECTIONS = 256;
/** bytes of request line and headers; beyond: 431 */
export const MAX_HEADER_BYTES = 16 * 1024;

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

export function startHttpServer(opts: {
  host: string;
  port: number;
  health: () => Health;
  metrics: Registry;
  boundary: Boundary;
  /** the names the console and the API answer to (hosts.ts); any name when absent */
  names?: HttpNames;
  api?: (req: http.IncomingMessage, path: string) => Promise<ApiReply>;
  /** the web console, under /console */
  console?: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>;
}): Promise<http.Server> {
  const fail = (res: http.ServerResponse, status: number, body: string): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`${body}\n`);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let url: URL;
    try {
      // an absolute-form target ("http://[/") or garbage: the client's fault
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return fail(res, 400, 'malformed request target');
    }
    const guarded = url.pathname === '/' || url.pathname.startsWith('/api/') || url.pathname === '/console' || url.pathname.startsWith('/console/');
    if (guarded && opts.names && !hostAllowed(opts.names, req.headers.host)) {
      // another name for this address (DNS rebinding from a browser): not ours to answer
      return fail(res, 421, `misdirected request: this server answers as ${[...opts.names.hosts].join(', ')}`);
    }
    if (url.pathname.startsWith('/api/') && opts.api) {
      const r = await opts.api(req, url.pathname);
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
      return;
    }
    if (opts.console && (url.pathname === '/console' || url.pathname.startsWith('/console/'))) return opts.console(req, res, url);
    if (opts.console && url.pathname === '/' && req.method === 'GET') {
      res.writeHead(303, { location: '/console/live' }).end();
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (url.pathname === '/healthz') {
      const h = opts.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h));
      return;
    }
    if (url.pathname === '/metrics') {
      const body = await opts.metrics.metrics();
      res.writeHead(200, { 'content-type': opts.metrics.contentType }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };

  const server = http.createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    (req, res) => {
      // the headers came in time: the next request on this connection gets its own deadline
      clearTimeout(headerDeadlines.get(req.socket));
      res.on('finish', () => awaitHeaders(req.socket));
      // a request body nobody reads must not stall the connection, nor fail silently
      req.on('error', () => res.destroy());
      opts.boundary.run(
        'http',
        { method: req.method, path: (req.url ?? '').slice(0, 200) },
        () => handle(req, res),
        () => fail(res, 500, 'internal error (see the controller log)'),
      );
    },
  );
  // Node checks headersTimeout only on its own sweep, which under load dropped a client that
  // dripped header bytes after 8 to 10 s instead of 5: a deadline of our own per connection
  // (armed when it opens and after each response, cleared when a request's headers are in)
  const headerDeadlines = new WeakMap<Socket, NodeJS.Timeout>();
  const awaitHeaders = (socket: Socket): void => {
    clearTimeout(headerDeadlines.get(socket));
    if (!socket.destroyed)
      headerDeadlines.set(
        socket,
        setTimeout(() => socket.destroy(), HEADERS_TIMEOUT_MS),
      );
  };
  server.on('connection', (socket: Socket) => {
    awaitHeaders(socket);
    socket.once('close', () => clearTimeout(headerDeadlines.get(socket)));
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = 5000;
  server.maxHeadersCount = 100;
  // CONNECT and protocol upgrades are not ours: answered and closed, not silently dropped
  const refuse =
    (status: string) =>
    (_req: http.IncomingMessage, socket: Socket): void => {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      socket.setTimeout(1000, () => socket.destroy());
    };
  server.on('connect', refuse('405 Method Not Allowed'));
  server.on('upgrade', refuse('400 Bad Request'));
  // the parser refused the request (malformed, oversized headers, too slow): answer if the
  // socket still can, then close it; nothing reaches a handler
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || socket.destroyed) return void socket.destroy();
    const status = CLIENT_ERROR_STATUS[err.code ?? ''] ?? '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    // a client that does not read its answer does not keep the socket
    socket.setTimeout(1000, () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      // later socket errors (a client resetting) are its own business
      server.on('error', (err) => opts.boundary.report('http_server', err));
      resolve(server);
    });
  });
}
