// ARI's REST side without ari-client: plain HTTP requests over Node's fetch (one pooled
// keep-alive connection set), each with a timeout of its own, and a refusal turned into an
// AriError that keeps Asterisk's HTTP status. ari-client stays for what it does well, the
// event websocket; its REST calls went through swagger-client, which drops the status
// (a refusal reached us as a bare message) and costs more CPU per request.
import { AriError } from '../errors';

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
  let res: Response;
  try {
    res = await fetch(url, { method, headers: { authorization: basic(ari) }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error;
    throw new AriError(e.name === 'TimeoutError' ? `ARI ${method} ${path}: no answer within ${timeoutMs} ms` : `ARI ${method} ${path}: ${e.message}`, null);
  }
  const text = await res.text();
  if (!res.ok) throw new AriError(res.status === 401 ? 'ARI rejected the credentials (401)' : refusal(text) || `ARI ${method} ${path} answered ${res.status}`, res.status);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A read-only query, for processes that do not hold a websocket (ivrctl status) and the connection probe. */
export function ariGet<T>(ari: AriHttp, path: string, timeoutMs = 3000): Promise<T> {
  return ariRequest<T>(ari, 'GET', path, {}, timeoutMs);
}
