// ARI's REST side without ari-client: plain HTTP requests on one bounded keep-alive pool,
// each with a timeout of its own, and a refusal turned into an AriError that keeps Asterisk's
// HTTP status. ari-client stays for what it does well, the event websocket; its REST calls
// went through swagger-client, which drops the status (a refusal reached us as a bare
// message) and costs more CPU per request.
//
// The pool is bounded: a burst of calls queues its requests here instead of opening more
// sessions than Asterisk's HTTP server accepts (http.conf sessionlimit); past it Asterisk
// drops connections and the calls they belong to are never answered. Node's fetch has no
// such bound (measured: 800 calls at once, 191 failed with "fetch failed"; with the bound, as
// with ari-client on the bounded global agent before, 1500 at once with none failed).
import http from 'node:http';
import { AriError } from '../errors';

/** the most connections to Asterisk's HTTP server at once */
export const ARI_MAX_SOCKETS = 64;
const pool = new http.Agent({ keepAlive: true, maxSockets: ARI_MAX_SOCKETS });

export interface AriHttp {
  url: string;
  user: string;
  password: string;
}

type Params = Record<string, string | number | string[] | undefined>;

const basic = (ari: AriHttp): string => 'Basic ' + Buffer.from(`${ari.user}:${ari.password}`).toString('base64');

/** The error body's message ({"message": "Channel not found"}), or the raw text. */
function refusal(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; error?: string };
    return body.message ?? body.error ?? text;
  } catch {
    return text;
  }
}

/**
 * One ARI request: params go in the query string (lists comma-separated, as ARI reads them).
 * Resolves to the JSON answer (undefined for 204); rejects with an AriError carrying the
 * status, or with status null when Asterisk did not answer in time or at all.
 */
export async function ariRequest<T>(ari: AriHttp, method: 'GET' | 'POST' | 'DELETE', path: string, params: Params = {}, timeoutMs = 10_000): Promise<T> {
  const url = new URL(`/ari${path}`, ari.url);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, Array.isArray(v) ? v.join(',') : String(v));
  // the time counts from the request's issue: waiting for a connection of the pool included
  const signal = AbortSignal.timeout(timeoutMs);
  let res: { status: number; text: string };
  try {
    res = await send(url, method, basic(ari), signal);
  } catch (err) {
    throw new AriError(signal.aborted ? `ARI ${method} ${path}: no answer within ${timeoutMs} ms` : `ARI ${method} ${path}: ${(err as Error).message}`, null);
  }
  const ok = res.status >= 200 && res.status < 300;
  if (!ok) throw new AriError(res.status === 401 ? 'ARI rejected the credentials (401)' : refusal(res.text) || `ARI ${method} ${path} answered ${res.status}`, res.status);
  return (res.text ? JSON.parse(res.text) : undefined) as T;
}

/** One request on the pool; the whole answer's body as text. */
function send(url: URL, method: string, authorization: string, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: pool, headers: { authorization }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A read-only query, for processes that do not hold a websocket (ivrctl status) and the connection probe. */
export function ariGet<T>(ari: AriHttp, path: string, timeoutMs = 3000): Promise<T> {
  return ariRequest<T>(ari, 'GET', path, {}, timeoutMs);
}
