// ivrctl's way to the running controller, for actions on live state. One request, bounded
// in time; every failure becomes one line a sysadmin can act on.
import type { Config } from '../config/schema';

import { readSecrets } from '../provisioning/secrets';
import { ControllerDownError, RefusedError } from '../errors';

export async function callController(config: Config, stateDir: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 20_000): Promise<unknown> {
  const token = readSecrets(stateDir).api?.token;
  if (!token) throw new Error(`no API token in ${stateDir}/secrets.json: restart the controller (make up) to generate it`);
  const where = `${config.http.host}:${config.http.port}`;
  let res: Response;
  try {
    res = await fetch(`http://${where}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      // cancelling a request being dialled waits for its calls to be hung up
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    if (cause === 'ECONNREFUSED') throw new ControllerDownError(`the controller is not reachable at ${where} (${cause}): is it running? (make up)`);
    throw new Error(`the controller at ${where} did not answer (${cause}): see its log`);
  }
  const payload = (await res.json().catch(() => ({}))) as { error?: string };
  if (res.ok) return payload;
  if (res.status === 400 || res.status === 404 || res.status === 409) throw new RefusedError(payload.error ?? `refused (${res.status})`);
  throw new Error(`the controller answered ${res.status}: ${payload.error ?? 'no detail'}`);
}
