// The web console's HTTP handling (under /console on the controller's loopback port):
// sessions, CSRF on every state change, roles, security headers, and each page's data.
// Pages are rendered by views.ts; the live board is pushed by live-board.ts.
//
// Least privilege: a supervisor sees everything; an operator sees their own directorate's
// board and requests, and the profiles of the callers they handle (a call they answered, a
// callback they placed, an outcome they keyed, the call they are on), and writes notes only
// about those, from their own station. Every view of a profile, and every refusal, goes to
// the audit log that supervisors read (/console/audit).
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { type Dispatcher } from '../callbacks/dispatcher';
import { DEFAULT_TOPICS, type Config } from '../config/schema';
import { FOLLOW_UP, INTERVENTION_CODES } from '../conversation/codes';
import { parseUntil } from '../schedule/closures';
import { type ClosuresService } from '../schedule/closures-service';
import { checkReportRange, computeFigures, formatLocalDate, parseLocalDate, type DpFigures } from '../monitoring/figures';
import { buildProfile, type Profile } from '../monitoring/profile';
import { SqliteProfileSource, type ProfileSource } from '../storage/profile-source';
import { toCsv } from '../monitoring/report-format';
import { localTime, zonedInstant } from '../schedule/service-hours';
import type { CallbackStatus } from '../vocabulary/callbacks';
import type { Db } from '../storage/database';
import type { AuditAction } from '../storage/audit-repo';
import { SqliteConsoleStore, type ConsoleStore } from '../storage/console-store';
import { OperatorsRepo } from '../storage/operators-repo';
import { WriteQueue } from '../storage/write-queue';
import { httpNames, originAllowed, type HttpNames } from '../http/hosts';
import { sameToken, sessionCookie, type ConsoleAuth, type Session } from './auth';
import type { Html } from './html';
import type { InboundLive, LiveBoard } from './live-board';
import * as v from './views';
import { ActionError, ClosureRequestError, ClosureTimeError, ReportRangeError, StorageUnavailable } from '../errors';

export interface ConsoleDeps {
  config: Config;
  db: Db;
  auth: ConsoleAuth;
  board: LiveBoard;
  dispatcher: Pick<Dispatcher, 'cancel' | 'retry' | 'reschedule'>;
  inboundCalls: () => InboundLive[];
  staticDir: string;
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => Date;
  /** the controller's write queue (notes, the audit log) when the pages' records are the node's file */
  writes?: WriteQueue;
  /** where the pages' records are (default: db through writes; the cluster mode: the shared database) */
  store?: ConsoleStore;
  /** the names the console answers to (default: from config.http) */
  names?: HttpNames;
  /** pause or resume an operator's station (a call in progress goes on); false: no such operator */
  setPaused?: (operator: string, paused: boolean) => Promise<boolean>;
  /** extraordinary closures (supervisors close and reopen a directorate) */
  closures?: ClosuresService;
  /** where the profiles are read (default: db; the cluster mode: the shared database) */
  profiles?: ProfileSource;
  /** figures over a range, off the event loop in the controller (jobs/db-worker.ts) */
  figures?: (dps: Array<{ id: string; timezone: string }>, range: { from: string; to: string }, opts: { byDay: boolean }) => Promise<DpFigures[]>;
}

const TZ = 'Europe/Rome';
const MAX_FORM = 8192;
const STATIC: Record<string, string> = { 'console.css': 'text/css; charset=utf-8', 'live.js': 'text/javascript; charset=utf-8' };
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // not no-referrer: with it Chromium sends "Origin: null" on the console's own form posts (refused by sameOrigin)
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: Html | string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...headers }).end(String(body));
}

const redirect = (res: ServerResponse, to: string, headers: Record<string, string> = {}): void => void res.writeHead(303, { location: to, ...SECURITY_HEADERS, ...headers }).end();

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = '';
  for await (const chunk of req) {
    raw += String(chunk);
    if (raw.length > MAX_FORM) throw new HttpError(413, 'Richiesta troppo grande.');
  }
  return new URLSearchParams(raw);
}

const today = (now: Date): string => formatLocalDate(localTime(now, TZ));

function validDate(s: string | null | undefined): string | undefined {
  if (!s) return undefined;
  try {
    parseLocalDate(s);
    return s;
  } catch {
    throw new HttpError(400, `Data non valida: ${s}`);
  }
}

export class ConsoleRouter {
  private readonly now: () => Date;
  private readonly dps: string[];
  private readonly store: ConsoleStore;
  /** the node's copy of the roster (in the cluster mode too: pulled from the shared one) */
  private readonly operators: OperatorsRepo;
  private readonly names: HttpNames;

  constructor(private readonly d: ConsoleDeps) {
    this.store = d.store ?? new SqliteConsoleStore(d.db, d.writes ?? new WriteQueue());
    this.operators = new OperatorsRepo(d.db);
    this.names = d.names ?? httpNames(d.config.http);
    this.now = d.now ?? (() => new Date());
    this.dps = d.config.directorates.map((x) => x.id);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      await this.route(req, res, url);
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, v.messagePage({}, 'Errore', err.message));
      if (err instanceof StorageUnavailable)
        return send(res, 503, v.messagePage({}, 'Errore', 'Il database è momentaneamente occupato: riprovare tra qualche secondo.'), { 'retry-after': '5' });
      this.d.log.warn({ err: (err as Error).message, path: url.pathname }, 'console error');
      send(res, 500, v.messagePage({}, 'Errore', 'Errore interno: riprovare; il dettaglio è nel log del controller.'));
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const p = url.pathname;
    const post = req.method === 'POST';
    if (!post && req.method !== 'GET') throw new HttpError(405, 'Metodo non ammesso.');
    // a cross-site form post is refused before anything else: the Origin must be this console's
    if (post && !originAllowed(this.names, req.headers.origin)) throw new HttpError(403, 'Richiesta rifiutata: origine diversa dalla console.');

    const file = /^\/console\/static\/([a-z.]+)$/.exec(p)?.[1];
    if (file && STATIC[file] && !post) {
      res.writeHead(200, { 'content-type': STATIC[file]!, ...SECURITY_HEADERS, 'cache-control': 'max-age=300' }).end(readFileSync(path.join(this.d.staticDir, file)));
      return;
    }
    if (p === '/console/login') return post ? this.login(req, res) : send(res, 200, v.loginPage());

    const s = await this.d.auth.session(req);
    if (!s) return redirect(res, '/console/login');
    const ctx: v.PageContext = { user: s.user, csrf: s.csrf };

    if (post) {
      const form = await readForm(req);
      if (!sameToken(form.get('csrf') ?? undefined, s.csrf)) throw new HttpError(403, 'Richiesta rifiutata: token CSRF mancante o errato. Ricaricare la pagina.');
      if (p === '/console/logout') {
        await this.d.auth.logout(s);
        await this.d.board.revoke();
        return redirect(res, '/console/login', { 'set-cookie': sessionCookie(undefined) });
      }
      const action = /^\/console\/callbacks\/(\d{1,12})\/(cancel|retry|reschedule)$/.exec(p);
      if (action) return this.callbackAction(res, s, Number(action[1]), action[2]!, form);
      if (p === '/console/notes') return this.addNote(res, s, form);
      if (p === '/console/station') return this.station(res, s, form);
      if (p === '/console/intervention') return this.intervention(res, s, form);
      const close = /^\/console\/followups\/(\d{1,12})\/close$/.exec(p);
      if (close) return this.closeFollowup(res, s, Number(close[1]), form);
      const dpAction = /^\/console\/dps\/([a-z][a-z0-9-]{0,31})\/(close|open)$/.exec(p);
      if (dpAction) return this.closureAction(res, s, dpAction[1]!, dpAction[2] === 'close', form);
      throw new HttpError(404, 'Pagina inesistente.');
    }

    switch (p) {
      case '/console':
      case '/console/':
        return redirect(res, '/console/live');
      case '/console/live':
        return send(res, 200, v.livePage({ ...ctx, active: 'live' }, await this.d.board.current(this.ownDp(s))));
      case '/console/live/events':
        // the stream lasts as long as the session: logout, a new password or a removed account end it
        return this.d.board.watch(res, { allowed: () => this.d.auth.stillValid(s.tokenHash), dp: this.ownDp(s) });
      case '/console/followups':
        return this.followupsPage(res, { ...ctx, active: 'followups' }, s, url);
      case '/console/audit':
        return this.auditPage(res, { ...ctx, active: 'audit' }, s, url);
      case '/console/closures':
        return this.closuresPage(res, { ...ctx, active: 'closures' }, s, url);
      case '/console/callbacks':
        return this.callbacksPage(res, { ...ctx, active: 'callbacks' }, s, url);
      case '/console/profile':
        return this.profilePage(res, { ...ctx, active: 'profile' }, s, url);
      case '/console/reports':
      case '/console/reports.csv':
        return this.reports(res, { ...ctx, active: 'reports' }, url, p.endsWith('.csv'));
      case '/console/operator':
        return this.operatorPage(res, { ...ctx, active: 'operator' }, s, url);
      default:
        throw new HttpError(404, 'Pagina inesistente.');
    }
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const r = await this.d.auth.login(username, form.get('password') ?? '', req.socket.remoteAddress ?? 'unknown');
    if (!r.ok) {
      this.d.log.warn({ username, reason: r.reason }, 'console login refused');
      return send(
        res,
        r.reason === 'throttled' ? 429 : 401,
        v.loginPage(r.reason === 'throttled' ? 'Troppi tentativi falliti: riprovare tra qualche minuto.' : 'Utente o password errati.'),
      );
    }
    this.d.log.info({ username }, 'console login');
    redirect(res, '/console/live', { 'set-cookie': sessionCookie(r.token) });
  }

  /** An operator's directorate (they see only its board and requests); undefined for a supervisor. */
  private ownDp(s: Session): string | undefined {
    if (s.user.role === 'supervisor') return undefined;
    // an operator account not tied to a phone of a known directorate sees no directorate's data
    return (s.user.operator && this.operators.get(s.user.operator)?.dp) || '-';
  }

  /** Whether the session may see a caller's profile: a supervisor always; an operator, a caller they handle. */
  private async mayView(s: Session, number: string): Promise<boolean> {
    if (s.user.role === 'supervisor') return true;
    const op = s.user.operator;
    if (!op) return false;
    if ((await this.currentCall(op))?.number === number) return true;
    return this.store.handled(op, number);
  }

  /** Settles once the entry is certain to be kept: what it records is shown only then. */
  private record(s: Session, action: AuditAction, subject: string | null, detail?: string): Promise<void> {
    return this.store.audit({ at: this.now(), username: s.user.username, role: s.user.role, action, subject, detail: detail ?? null });
  }

  private async auditPage(res: ServerResponse, ctx: v.PageContext, s: Session, url: URL): Promise<void> {
    if (s.user.role !== 'supervisor') throw new HttpError(403, 'Solo un supervisore può leggere il registro degli accessi.');
    const username = url.searchParams.get('user')?.trim() || undefined;
    const subject = url.searchParams.get('number')?.trim() || undefined;
    send(res, 200, v.auditPage(ctx, { username, subject }, await this.store.auditLog({ username, subject, limit: 500 })));
  }

  private profile(number: string): Promise<Profile> {
    return buildProfile(number, this.d.profiles ?? new SqliteProfileSource(this.d.db));
  }

  private async callbacksPage(res: ServerResponse, ctx: v.PageContext, s: Session, url: URL, notice?: string): Promise<void> {
    const q = url.searchParams;
    const own = this.ownDp(s);
    const f: v.CallbackFilters = { dp: own ?? (q.get('dp') || undefined), status: q.get('status') || undefined, from: validDate(q.get('from')), to: validDate(q.get('to')) };
    if (f.dp && !this.dps.includes(f.dp) && f.dp !== own) throw new HttpError(400, `DP sconosciuta: ${f.dp}`);
    const rows = await this.store.callbacks({
      dp: f.dp,
      status: f.status as CallbackStatus | undefined,
      ...(f.from ? { from: zonedInstant(parseLocalDate(f.from), 0, 0, TZ) } : {}),
      ...(f.to ? { to: zonedInstant(parseLocalDate(f.to), 24, 0, TZ) } : {}),
    });
    send(res, 200, v.callbacksPage(ctx, this.dps, f, rows, notice ?? (q.get('done') ? `Richiesta ${q.get('done')} aggiornata.` : undefined)));
  }

  private async callbackAction(res: ServerResponse, s: Session, id: number, action: string, form: URLSearchParams): Promise<void> {
    if (s.user.role !== 'supervisor') throw new HttpError(403, 'Solo un supervisore può modificare le richieste.');
    try {
      if (action === 'cancel') await this.d.dispatcher.cancel(id);
      else if (action === 'retry') await this.d.dispatcher.retry(id);
      else {
        // the form's datetime-local is Rome's wall clock
        const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)$/.exec(form.get('at') ?? '');
        if (!m) throw new HttpError(400, 'Orario non valido.');
        const at = zonedInstant({ year: +m[1]!, month: +m[2]!, day: +m[3]! }, +m[4]!, +m[5]!, TZ);
        if (at.getTime() < this.now().getTime() - 60_000) throw new HttpError(400, "L'orario è nel passato.");
        await this.d.dispatcher.reschedule(id, at);
      }
    } catch (err) {
      if (err instanceof ActionError) throw new HttpError(err.status === 404 ? 404 : err.status === 503 ? 503 : 409, `Richiesta ${id}: ${err.message}`);
      throw err;
    }
    this.d.log.info({ user: s.user.username, callback: id, action }, 'console callback action');
    redirect(res, `/console/callbacks?done=${id}`);
  }

  private async profilePage(res: ServerResponse, ctx: v.PageContext, s: Session, url: URL): Promise<void> {
    const number = url.searchParams.get('number')?.trim() || undefined;
    if (!number) return send(res, 200, v.profilePage(ctx, undefined, undefined));
    if (!/^\+?[0-9]{3,16}$/.test(number)) return send(res, 400, v.profilePage(ctx, number, undefined, 'Numero non valido: solo cifre, eventualmente con + iniziale.'));
    if (!(await this.mayView(s, number))) {
      await this.record(s, 'profile_refused', number);
      return send(res, 403, v.profilePage(ctx, number, undefined, 'Profilo non accessibile: un operatore vede solo i chiamanti che ha gestito dalla propria postazione.'));
    }
    const profile = await this.profile(number);
    await this.record(s, 'profile_view', number);
    send(res, 200, v.profilePage(ctx, number, profile));
  }

  private async reports(res: ServerResponse, ctx: v.PageContext, url: URL, csv: boolean): Promise<void> {
    const q = url.searchParams;
    const dp = q.get('dp') || undefined;
    if (dp && !this.dps.includes(dp)) throw new HttpError(400, `DP sconosciuta: ${dp}`);
    const to = validDate(q.get('to')) ?? today(this.now());
    const from = validDate(q.get('from')) ?? formatLocalDate(localTime(new Date(zonedInstant(parseLocalDate(to), 12, 0, TZ).getTime() - 6 * 86_400_000), TZ));
    if (from > to) throw new HttpError(400, `Intervallo non valido: ${from} è dopo ${to}.`);
    try {
      checkReportRange(from, to);
    } catch (err) {
      if (err instanceof ReportRangeError) throw new HttpError(400, `Intervallo non valido: ${err.message}.`);
      throw err;
    }
    const dps = this.d.config.directorates.filter((x) => !dp || x.id === dp).map((x) => ({ id: x.id, timezone: x.hours.timezone }));
    // a year of figures takes a while: computed off the event loop when the controller runs it
    const figs = this.d.figures ? await this.d.figures(dps, { from, to }, { byDay: true }) : computeFigures(this.d.db, dps, { from, to }, { byDay: true });
    if (csv) {
      const locale = q.get('locale') === 'it' ? 'it' : 'en';
      res
        .writeHead(200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="report-${from}-${to}${locale === 'it' ? '-it' : ''}.csv"`,
          ...SECURITY_HEADERS,
        })
        .end(toCsv(figs, { days: true, locale }));
      return;
    }
    send(res, 200, v.reportsPage(ctx, this.dps, { dp, from, to }, figs));
  }

  /** The operator's call now, or else the last one they handled (so a note can follow the call). */
  private async currentCall(operator: string): Promise<v.OperatorCall | undefined> {
    // an internal unit's official is on a call transferred to them, or one they answered at the office's menu key
    const live = this.d.inboundCalls().find((c) => c.operator === operator || c.unitOfficial === operator);
    if (live) return { kind: 'chiamata', live: true, number: live.number, dp: live.dp, callId: live.channelId, callbackId: null, since: live.startedAt };
    const attempt = (await this.store.liveAttempts()).find((a) => a.operator === operator);
    if (attempt) return { kind: 'richiamata', live: true, number: attempt.number, dp: attempt.dp, callId: null, callbackId: attempt.callbackId, since: attempt.startedAt };
    const [call, done] = await Promise.all([this.store.lastAnsweredBy(operator), this.store.lastConnectedOf(operator)]);
    const cb = done && (!call || done.startedAt > call.startedAt) ? await this.store.callback(done.callbackId) : undefined;
    if (done && cb) {
      return { kind: 'richiamata', live: false, number: cb.number, dp: cb.dp, callId: null, callbackId: cb.id, since: done.startedAt };
    }
    if (call) return { kind: 'chiamata', live: false, number: call.caller, dp: call.dp, callId: call.id, callbackId: null, since: call.startedAt };
    return undefined;
  }

  private async operatorPage(res: ServerResponse, ctx: v.PageContext, s: Session, url: URL, notice?: string): Promise<void> {
    // an operator sees their own station; a supervisor may look at anyone's
    const operator = s.user.role === 'supervisor' ? (url.searchParams.get('operator') ?? s.user.operator) : s.user.operator;
    const call = operator ? await this.currentCall(operator) : undefined;
    const profile = call?.number ? await this.profile(call.number) : undefined;
    if (call?.number) await this.record(s, 'profile_view', call.number, `postazione ${operator}`);
    const row = operator ? this.operators.get(operator) : undefined;
    // an internal unit's official records their interventions here too (code and text)
    const interventions = row?.role === 'unit' ? await this.store.interventionsOf(row.id) : undefined;
    send(
      res,
      200,
      v.operatorPage(
        ctx,
        operator,
        call,
        profile,
        notice ?? (url.searchParams.get('saved') ? 'Registrato nel profilo del chiamante.' : undefined),
        row ? { paused: row.paused, pausedAt: row.pausedAt, topics: this.topicsOf(call?.dp ?? row.dp) } : undefined,
        interventions,
      ),
    );
  }

  /**
   * The worklist of follow-up items: a supervisor sees every directorate's (filtered by ?dp=),
   * an operator their directorate's, an office's official their unit's and the operators'.
   */
  private async followupsPage(res: ServerResponse, ctx: v.PageContext, s: Session, url: URL, notice?: string): Promise<void> {
    const own = this.ownDp(s);
    const dp = own ?? (url.searchParams.get('dp') || undefined);
    const all = url.searchParams.get('all') === '1';
    const rows = (await this.store.followups({ dp, status: all ? undefined : 'open' })).filter((f) => this.mayWork(s, f));
    send(res, 200, v.followupsPage(ctx, { dp, all }, rows, notice ?? (url.searchParams.get('closed') ? `Seguito ${url.searchParams.get('closed')} chiuso.` : undefined)));
  }

  /** An official's unit: an office's official sees that unit's items. */
  private ownUnit(s: Session): string | null {
    return (s.user.operator && this.operators.get(s.user.operator)?.unit) || null;
  }

  private mayWork(s: Session, f: { dp: string; unit: string | null }): boolean {
    if (s.user.role === 'supervisor') return true;
    if (f.dp !== this.ownDp(s)) return false;
    return f.unit === null || f.unit === this.ownUnit(s);
  }

  private async closeFollowup(res: ServerResponse, s: Session, id: number, form: URLSearchParams): Promise<void> {
    const item = await this.store.followup(id);
    if (!item) throw new HttpError(404, `Seguito ${id} inesistente.`);
    if (!this.mayWork(s, item)) throw new HttpError(403, "Seguito di un altro ufficio o di un'altra direzione.");
    const outcome = (form.get('outcome') ?? '').trim();
    if (!outcome || outcome.length > 2000) throw new HttpError(400, "Scrivere l'esito (al massimo 2000 caratteri).");
    const at = this.now();
    const who = s.user.operator ?? s.user.username;
    if (!(await this.store.closeFollowup(id, who, outcome, at))) throw new HttpError(409, `Seguito ${id} già chiuso.`);
    this.d.log.info({ user: s.user.username, followup: id }, 'follow-up closed from the console');
    redirect(res, `/console/followups?closed=${id}`);
  }

  private closuresPage(res: ServerResponse, ctx: v.PageContext, s: Session, url: URL): void {
    if (s.user.role !== 'supervisor' || !this.d.closures) throw new HttpError(403, 'Solo un supervisore può chiudere o riaprire una direzione.');
    const states = this.d.closures.states().map((x) => {
      const dp = this.d.config.directorates.find((d) => d.id === x.dp)!;
      return { ...x, name: dp.name, offerWhenClosed: dp.callback.offerWhenClosed };
    });
    const done = url.searchParams.get('done');
    send(res, 200, v.closuresPage(ctx, states, done ? `Direzione ${done} aggiornata.` : undefined));
  }

  /** A supervisor closes a directorate until a time (Rome's wall clock from the form) or reopens it. */
  private async closureAction(res: ServerResponse, s: Session, dp: string, close: boolean, form: URLSearchParams): Promise<void> {
    if (s.user.role !== 'supervisor' || !this.d.closures) throw new HttpError(403, 'Solo un supervisore può chiudere o riaprire una direzione.');
    const tz = this.d.config.directorates.find((d) => d.id === dp)?.hours.timezone;
    if (!tz) throw new HttpError(404, `DP sconosciuta: ${dp}`);
    const by = `console:${s.user.username}`;
    try {
      if (!close) {
        if (!(await this.d.closures.reopen(dp, by))) throw new HttpError(409, `${dp} non era chiusa.`);
      } else {
        let until: Date;
        try {
          until = parseUntil((form.get('until') ?? '').replace('T', ' '), this.now(), tz);
        } catch (err) {
          if (err instanceof ClosureTimeError) throw new HttpError(400, `Orario di fine non valido: ${err.message}`);
          throw err;
        }
        const message = (form.get('message') ?? '').trim();
        await this.d.closures.close({ dp, until, messageIt: message || undefined, offerCallback: form.get('callback') === '1', by });
      }
    } catch (err) {
      if (err instanceof ClosureRequestError) throw new HttpError(400, err.message);
      throw err;
    }
    this.d.log.info({ user: s.user.username, dp, action: close ? 'close' : 'open' }, 'closure changed from the console');
    redirect(res, `/console/closures?done=${dp}`);
  }

  /** The topics of the basic information a directorate gives (its config, or the default list). */
  private topicsOf(dp: string | null): string[] {
    const own = this.d.config.directorates.find((d) => d.id === dp)?.topics ?? [];
    return own.length > 0 ? own.map((t) => t.name) : DEFAULT_TOPICS;
  }

  /** An operator pauses or resumes their own station (a supervisor, anyone's). */
  private async station(res: ServerResponse, s: Session, form: URLSearchParams): Promise<void> {
    const operator = form.get('operator') ?? '';
    const action = form.get('action');
    if (action !== 'pause' && action !== 'resume') throw new HttpError(400, 'Azione non valida.');
    if (s.user.role !== 'supervisor' && operator !== s.user.operator) throw new HttpError(403, 'Si può mettere in pausa solo la propria postazione.');
    if (!this.d.setPaused || !(await this.d.setPaused(operator, action === 'pause'))) throw new HttpError(404, `Operatore sconosciuto: ${operator}`);
    this.d.log.info({ user: s.user.username, operator, action }, 'station changed from the console');
    redirect(res, `/console/operator${s.user.role === 'supervisor' ? `?operator=${encodeURIComponent(operator)}` : ''}`);
  }

  /**
   * An internal unit's official records an intervention of theirs from the station: the code
   * (a "not recorded" one becomes what they say) and what they did, in their words. "Needs
   * follow-up" opens the item on the unit's worklist, as keying it by phone does.
   */
  private async intervention(res: ServerResponse, s: Session, form: URLSearchParams): Promise<void> {
    const id = /^\d{1,12}$/.test(form.get('outcome') ?? '') ? Number(form.get('outcome')) : undefined;
    const code = form.get('code') ?? '';
    const detail = (form.get('text') ?? '').trim();
    const row = id !== undefined ? await this.store.outcome(id) : undefined;
    if (!row || row.kind !== 'unit') throw new HttpError(404, 'Intervento inesistente.');
    if (s.user.role !== 'supervisor' && row.official !== s.user.operator) throw new HttpError(403, 'Si registrano solo i propri interventi.');
    if (!(code in INTERVENTION_CODES)) throw new HttpError(400, 'Codice di intervento non valido.');
    if (detail.length > 2000) throw new HttpError(400, 'Testo troppo lungo (massimo 2000 caratteri).');
    const at = this.now();
    const opensFollowUp = code === FOLLOW_UP.unit && row.code !== FOLLOW_UP.unit;
    await this.store.recordIntervention({ row, code, label: INTERVENTION_CODES[code]!, detail: detail || null, at, opensFollowUp });
    if (row.number) await this.record(s, 'note_added', row.number, `intervento ${INTERVENTION_CODES[code]}`);
    this.d.log.info({ user: s.user.username, outcome: row.id, code }, 'intervention recorded from the console');
    redirect(res, `/console/operator?saved=1${s.user.role === 'supervisor' ? `&operator=${encodeURIComponent(row.official)}` : ''}`);
  }

  private async addNote(res: ServerResponse, s: Session, form: URLSearchParams): Promise<void> {
    const number = form.get('number') || null;
    const dp = form.get('dp') || null;
    const info = form.get('info') || null;
    const text = (form.get('text') ?? '').trim();
    const operator = form.get('operator') || null;
    if (number !== null && !/^\+?[0-9]{3,16}$/.test(number)) throw new HttpError(400, 'Numero non valido.');
    if (dp !== null && !this.dps.includes(dp)) throw new HttpError(400, `DP sconosciuta: ${dp}`);
    if (info !== null && !this.topicsOf(dp).includes(info)) throw new HttpError(400, 'Informazione non prevista.');
    if (!info && !text) throw new HttpError(400, "Indicare l'informazione fornita o scrivere una nota.");
    if (text.length > 2000) throw new HttpError(400, 'Nota troppo lunga (massimo 2000 caratteri).');
    if (s.user.role !== 'supervisor' && operator !== s.user.operator) throw new HttpError(403, 'Si può scrivere solo dalla propria postazione.');
    if (number !== null && !(await this.mayView(s, number))) throw new HttpError(403, 'Si può scrivere solo dei chiamanti gestiti dalla propria postazione.');
    const callbackId = /^\d{1,12}$/.test(form.get('callbackId') ?? '') ? Number(form.get('callbackId')) : null;
    const callId = form.get('callId') || null;
    if (callId !== null && !(await this.store.call(callId))) throw new HttpError(400, 'Chiamata sconosciuta.');
    if (callbackId !== null && !(await this.store.callback(callbackId))) throw new HttpError(400, 'Richiesta sconosciuta.');
    await this.store.addNote({ number, dp, callId, callbackId, author: s.user.username, operator, info, text, at: this.now() });
    await this.record(s, 'note_added', number, info ?? undefined);
    redirect(res, `/console/operator?saved=1${s.user.role === 'supervisor' && operator ? `&operator=${encodeURIComponent(operator)}` : ''}`);
  }
}
