// The controller's small HTTP API for sysadmin actions on live state (ivrctl callbacks
// cancel|retry|reschedule, operators pause|resume, jobs run, config reload): they go through the part of
// the controller that owns the calls and the job locks, never by racing it in the database.
// Loopback only, bearer token from the state dir's secrets.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Dispatcher } from '../callbacks/dispatcher';
import type { ConfigReloader } from '../config/reloader';
import type { JobScheduler } from '../jobs/schedule';
import { type ClosuresService } from '../schedule/closures-service';
import { type OperatorsService } from '../operators/operators-service';
import { type WriteQueue } from '../storage/write-queue';
import { ActionError, ClosureRequestError, ConfigError, StorageUnavailable, ValidationError } from '../errors';

export interface ApiDeps {
  token: string;
  dispatcher: Dispatcher;
  jobs: JobScheduler;
  operators: OperatorsService;
  writes: WriteQueue;
  reloader?: ConfigReloader;
  closures?: ClosuresService;
  /** the cluster mode: a pause goes to the shared roster (false: no such operator) */
  pause?: (id: string, paused: boolean) => Promise<boolean>;
}

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

function pathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ActionError(`malformed path segment "${raw}"`, 400);
  }
}

export async function handleApi(req: IncomingMessage, path: string, d: ApiDeps): Promise<ApiReply> {
  if (!authorized(req, d.token)) return { status: 401, body: { error: 'missing or wrong API token' } };
  try {
    if (req.method === 'GET' && path === '/api/dispatcher') return { status: 200, body: { lastPass: d.dispatcher.lastPass ?? null, active: d.dispatcher.activeCount } };
    if (req.method === 'GET' && path === '/api/jobs') return { status: 200, body: d.jobs.list() };
    if (path === '/api/config/reload') {
      if (req.method !== 'POST') return { status: 405, body: { error: 'use POST' } };
      if (!d.reloader) return { status: 404, body: { error: 'no reload in this process' } };
      return await reloadConfig(d.reloader);
    }
    if (req.method === 'GET' && path === '/api/dps' && d.closures) return { status: 200, body: d.closures.states() };
    const dpAction = /^\/api\/dps\/([^/]{1,96})\/(close|open)$/.exec(path);
    if (dpAction && d.closures) {
      if (req.method !== 'POST') return { status: 405, body: { error: 'use POST' } };
      return await closeOrOpen(d.closures, pathSegment(dpAction[1]!), dpAction[2] === 'close', await readJson(req));
    }
    const cb = /^\/api\/callbacks\/(\d{1,12})\/(cancel|retry|reschedule)$/.exec(path);
    const op = /^\/api\/operators\/([^/]{1,96})\/(pause|resume)$/.exec(path);
    const job = /^\/api\/jobs\/([^/]{1,96})\/run$/.exec(path);
    if (!cb && !op && !job) return { status: 404, body: { error: `no API ${req.method} ${path}` } };
    if (req.method !== 'POST') return { status: 405, body: { error: 'use POST' } };
    const body = await readJson(req);
    if (op) return await pauseOperator(d, pathSegment(op[1]!), op[2] === 'pause');
    if (job) {
      const name = pathSegment(job[1]!);
      const found = d.jobs.find(name);
      if (!found) throw new ActionError(`no job "${name}" (ivrctl jobs list)`, 404);
      // ok, failed or skipped (already running): all answers, ivrctl tells them apart
      return { status: 200, body: await d.jobs.runNow(found) };
    }
    const id = Number(cb![1]);
    switch (cb![2]) {
      case 'cancel':
        return { status: 200, body: await d.dispatcher.cancel(id) };
      case 'retry':
        return { status: 200, body: await d.dispatcher.retry(id) };
      default: {
        const at = typeof body.at === 'string' ? new Date(body.at) : undefined;
        if (!at || Number.isNaN(at.getTime())) throw new ActionError('"at" must be an ISO 8601 time', 400);
        if (at.getTime() < Date.now() - 60_000) throw new ActionError(`"at" ${body.at as string} is in the past`, 400);
        return { status: 200, body: await d.dispatcher.reschedule(id, at) };
      }
    }
  } catch (err) {
    if (err instanceof ActionError) return { status: err.status, body: { error: err.message } };
    if (err instanceof ValidationError) return { status: 404, body: { error: err.message } };
    if (err instanceof StorageUnavailable) return { status: 503, body: { error: `the database is not taking writes now (${err.message}): try again shortly` } };
    throw err;
  }
}

const optionalString = (body: Record<string, unknown>, key: string): string | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ActionError(`"${key}" must be a string`, 400);
  return v;
};

/** ivrctl dp close|open: the body carries who asks ("ivrctl:<user>"), the end as an ISO time, the messages and the callback flag. */
async function closeOrOpen(closures: ClosuresService, dp: string, close: boolean, body: Record<string, unknown>): Promise<ApiReply> {
  const by = optionalString(body, 'by') ?? 'api';
  try {
    if (!close) return { status: 200, body: { dp, reopened: await closures.reopen(dp, by) } };
    const until = new Date(optionalString(body, 'until') ?? '');
    if (Number.isNaN(until.getTime())) throw new ActionError('"until" must be an ISO 8601 time', 400);
    if (body.offerCallback !== undefined && typeof body.offerCallback !== 'boolean') throw new ActionError('"offerCallback" must be true or false', 400);
    const outcome = await closures.close({
      dp,
      until,
      messageIt: optionalString(body, 'messageIt'),
      messageEn: optionalString(body, 'messageEn'),
      offerCallback: body.offerCallback as boolean | undefined,
      by,
    });
    return { status: 200, body: outcome };
  } catch (err) {
    if (err instanceof ClosureRequestError) return { status: 400, body: { error: err.message } };
    throw err;
  }
}

/** An invalid file is the sysadmin's to fix (400: ivrctl exits 2); prompts that could not be built are the machine's (503). */
async function reloadConfig(reloader: ConfigReloader): Promise<ApiReply> {
  try {
    return { status: 200, body: await reloader.reload('api') };
  } catch (err) {
    if (err instanceof ConfigError) return { status: 400, body: { error: err.message } };
    return { status: 503, body: { error: (err as Error).message } };
  }
}

/**
 * Pausing never cuts a call short: the operator finishes the call they are on and is simply
 * not offered the next one. Resuming starts a dispatch pass at once, so a waiting callback
 * does not wait for the safety timer.
 */
async function pauseOperator(d: ApiDeps, id: string, paused: boolean): Promise<ApiReply> {
  if (d.pause) {
    if (!(await d.pause(id, paused))) throw new ValidationError(`no operator "${id}"`);
  } else await d.writes.apply('operator_pause', () => d.operators.setPaused(id, paused), { deadlineMs: 10_000, failFast: true });
  if (!paused) d.dispatcher.kick('operator_resumed');
  return { status: 200, body: { id, paused } };
}
