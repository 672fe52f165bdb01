// Plain HTTP GETs against ARI with a timeout: the connection probe, and read-only queries
// of processes that do not hold a websocket (ivrctl status).

export interface AriHttp {
  url: string;
  user: string;
  password: string;
}

export async function ariGet<T>(ari: AriHttp, path: string, timeoutMs = 3000): Promise<T> {
  const res = await fetch(new URL(`/ari${path}`, ari.url), {
    headers: { authorization: 'Basic ' + Buffer.from(`${ari.user}:${ari.password}`).toString('base64') },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status === 401) throw new Error('ARI rejected the credentials (401)');
  if (!res.ok) throw new Error(`ARI ${path} answered ${res.status}`);
  return (await res.json()) as T;
}
