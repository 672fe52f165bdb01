// The controller's small HTTP API for sysadmin actions on live state (ivrctl callbacks
// cancel|retry|reschedule): they go through the dispatcher that owns the calls, never by
// racing it in the database. Loopback only, bearer token from the state dir's secrets.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ActionError, type Dispatcher } from '../callbacks/dispatcher';

export interface ApiReply {
  status: number;
  body: unknown;
}

const MAX_BODY = 4096;

function authorized(req: IncomingMessage, token: string): boolean {
  const got = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = '';
  for await (const chunk of req) {
    raw += String(chunk);
    if (raw.length > MAX_BODY) throw new ActionError('request body too large', 400);
  }
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new ActionError('request body is not a JSON object', 400);
  }
}

export async function handleApi(req: IncomingMessage, path: string, token: string, dispatcher: Dispatcher): Promise<ApiReply> {
  if (!authorized(req, token)) return { status: 401, body: { error: 'missing or wrong API token' } };
  try {
    if (req.method === 'GET' && path === '/api/dispatcher') return { status: 200, body: { lastPass: dispatcher.lastPass ?? null, active: dispatcher.activeCount } };
    const m = /^\/api\/callbacks\/(\d{1,12})\/(cancel|retry|reschedule)$/.exec(path);
    if (!m) return { status: 404, body: { error: `no API ${req.method} ${path}` } };
    if (req.method !== 'POST') return { status: 405, body: { error: 'use POST' } };
    const id = Number(m[1]);
    const body = await readJson(req);
    switch (m[2]) {
      case 'cancel':
        return { status: 200, body: await dispatcher.cancel(id) };
      case 'retry':
        return { status: 200, body: dispatcher.retry(id) };
      default: {
        const at = typeof body.at === 'string' ? new Date(body.at) : undefined;
        if (!at || Number.isNaN(at.getTime())) throw new ActionError('"at" must be an ISO 8601 time', 400);
        if (at.getTime() < Date.now() - 60_000) throw new ActionError(`"at" ${body.at as string} is in the past`, 400);
        return { status: 200, body: dispatcher.reschedule(id, at) };
      }
    }
  } catch (err) {
    if (err instanceof ActionError) return { status: err.status, body: { error: err.message } };
    throw err;
  }
}
