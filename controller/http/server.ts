// The controller's HTTP endpoint on loopback: /healthz for `make up` and monitoring,
// /metrics for Prometheus, /api/* for ivrctl's actions on live state (api.ts), /console for
// the web console (console/router.ts).
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { ApiReply } from './api';

export interface Health {
  ok: boolean;
  [key: string]: unknown;
}

export function startHttpServer(opts: {
  host: string;
  port: number;
  health: () => Health;
  metrics: Registry;
  api?: (req: http.IncomingMessage, path: string) => Promise<ApiReply>;
  /** the web console, under /console */
  console?: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>;
}): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/') && opts.api) {
      opts
        .api(req, url.pathname)
        .then((r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body)))
        .catch((err: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message })));
      return;
    }
    if (opts.console && (url.pathname === '/console' || url.pathname.startsWith('/console/'))) {
      void opts.console(req, res, url);
      return;
    }
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
      opts.metrics
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': opts.metrics.contentType }).end(body))
        .catch((err: Error) => res.writeHead(500).end(err.message));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
