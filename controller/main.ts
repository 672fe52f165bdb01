// Composition root of the controller: config -> database (checkpoint worker, metrics) ->
// Asterisk port -> services -> jobs -> console -> HTTP -> signals. The only place (with
// cli/ivrctl.ts) that reads the environment.
import http from 'node:http';
import path from 'node:path';
import { Dispatcher } from './callbacks/dispatcher';
import { CallbackLedger } from './callbacks/ledger';
import { ConsoleAuth } from './console/auth';
import { LiveBoard, operatorStates } from './console/live-board';
import { ConsoleRouter } from './console/router';
import { liveBoard } from './console/views';
import { resolveEnvironment } from './environment';
import { handleApi } from './http/api';
import { startHttpServer } from './http/server';
import { InboundService } from './inbound/inbound-service';
import { buildJobs } from './jobs/catalog';
import { JobRunner } from './jobs/runner';
import { JobScheduler, nodeCronDriver } from './jobs/schedule';
import { createLogger } from './logging';
import { computeFigures, formatLocalDate, type DpFigures } from './monitoring/figures';
import { Metrics } from './monitoring/metrics';
import { Presence } from './operators/presence';
import { localTime } from './schedule/service-hours';
import { prepare } from './setup';
import { CallEventsRepo } from './storage/call-events-repo';
import { CallbackAttemptsRepo } from './storage/callback-attempts-repo';
import { CallbacksRepo } from './storage/callbacks-repo';
import { CallsRepo } from './storage/calls-repo';
import { startCheckpointer } from './storage/checkpointer';
import { ConsoleSessionsRepo } from './storage/console-sessions-repo';
import { ConsoleUsersRepo } from './storage/console-users-repo';
import { instrumentDatabase } from './storage/database';
import { JobRunsRepo } from './storage/job-runs-repo';
import { OperatorsRepo } from './storage/operators-repo';
import { OutcomesRepo } from './storage/outcomes-repo';
import { AriGateway } from './telephony/ari-gateway';

// ARI's REST requests go through Node's global agent (ari-client -> swagger-client -> shred):
// kept alive and bounded, so a burst of calls queues here instead of opening more sessions
// than Asterisk accepts (http.conf sessionlimit); past it Asterisk drops requests and the
// calls they belong to are never answered (measured: a 600-call burst lost 52).
const ARI_MAX_SOCKETS = 64;

async function main(): Promise<void> {
  http.globalAgent.maxSockets = ARI_MAX_SOCKETS;
  const env = resolveEnvironment(process.env);
  const log = createLogger(env.logLevel);
  const startedAt = new Date();
  const { config, db, secrets, migrationsApplied, operators } = prepare(env);
  if (migrationsApplied.length > 0) log.info({ migrationsApplied }, 'database migrated');
  const checkpointer = startCheckpointer(db, env.dbFile, 5000, (err) => log.warn({ err }, 'WAL checkpoint failed'));

  const calls = new CallsRepo(db);
  // gauges read through these when Prometheus scrapes; the services are created below
  const metrics = new Metrics({
    ariConnected: () => gateway.connectionState === 'connected',
    activeCalls: () => inbound!.activeCount,
    activeAttempts: () => dispatcher!.activeCount,
    pendingByDp: () => callbacks.pendingCountByDp(),
    operatorStates: async () => operatorStates(operatorsRepo.list(), await gateway.phoneStates().catch(() => new Map())),
    directorates: config.directorates.map((d) => d.id),
    today: () => todayFigures(),
  });
  instrumentDatabase(db, (op, seconds) => metrics.dbQuery(op, seconds));
  const todayFigures = (): DpFigures[] => {
    const day = formatLocalDate(localTime(new Date(), 'Europe/Rome'));
    return computeFigures(db, config.directorates.map((x) => ({ id: x.id, timezone: x.hours.timezone })), { from: day, to: day });
  };
  let inbound: InboundService | undefined;
  let connectedBefore = false;
  const gateway = new AriGateway(
    { url: config.asterisk.ariUrl, user: secrets.ari.user, password: secrets.ari.password, app: config.asterisk.app },
    {
      onStasisStart: (ch) => inbound!.handleStasisStart(ch),
      onConnected: () => {
        if (connectedBefore) metrics.ariReconnected();
        const initial = !connectedBefore;
        connectedBefore = true;
        void inbound!.reconcile(initial).catch((err: Error) => log.error({ err: err.message }, 'reconcile failed'));
        void dispatcher!.reconcile().catch((err: Error) => log.error({ err: err.message }, 'callback recovery failed'));
      },
      // a phone registered, or an operator's call ended outside the controller
      onPresence: (_resource, state) => {
        if (state === 'NOT_INUSE') dispatcher?.kick('presence');
      },
    },
    log,
  );
  const operatorsRepo = new OperatorsRepo(db);
  const presence = new Presence(operatorsRepo, gateway);
  const callbacks = new CallbacksRepo(db);
  const outcomes = new OutcomesRepo(db);
  const attempts = new CallbackAttemptsRepo(db);
  const now = (): Date => new Date();
  let dispatcher: Dispatcher | undefined;
  const kick = (reason: string) => (): void => dispatcher?.kick(reason);
  inbound = new InboundService(
    config,
    {
      port: gateway,
      tracker: gateway,
      presence,
      calls,
      events: new CallEventsRepo(db),
      callbacks,
      outcomes,
      log,
      now,
      onOfficialFree: kick('operator_free'),
      observe: metrics,
    },
    (dp) => dispatcher?.kick(`booked:${dp}`),
  );
  dispatcher = new Dispatcher(
    config,
    gateway,
    presence,
    inbound,
    {
      port: gateway,
      tracker: gateway,
      presence,
      outcomes,
      log,
      now,
      ledger: new CallbackLedger(db, callbacks, attempts),
      earlierContacts: (cb) => calls.countBefore(cb.number, cb.requestedAt) + callbacks.byNumber(cb.number).filter((c) => c.id < cb.id && c.status === 'done').length,
      onOfficialFree: kick('operator_free'),
      observeDispatch: (ms) => metrics.dispatchDelayMs(ms),
      observeOutcome: (dp, outcome) => metrics.attemptEnded(dp, outcome),
    },
    log,
    () => gateway.connectionState === 'connected',
  );
  const jobs = new JobScheduler(
    buildJobs({ config, db, stateDir: env.stateDir, now }),
    new JobRunner(new JobRunsRepo(db), log, now, (o) => metrics.jobRun(o.job, o.status)),
    nodeCronDriver(log),
  );

  const board = new LiveBoard(
    {
      operators: () => operatorsRepo.list(),
      phoneStates: () => gateway.phoneStates(),
      calls: () => inbound!.liveCalls(),
      attempts: () => attempts.liveWithRequest(),
      pending: () => callbacks.pendingCountByDp(),
      today: todayFigures,
    },
    liveBoard,
  );
  const consoleRouter = new ConsoleRouter({
    config,
    db,
    auth: new ConsoleAuth(new ConsoleUsersRepo(db), new ConsoleSessionsRepo(db)),
    board,
    dispatcher: dispatcher!,
    inboundCalls: () => inbound!.liveCalls(),
    staticDir: path.join(env.root, 'controller', 'console', 'static'),
    log,
  });

  const server = await startHttpServer({
    host: config.http.host,
    port: config.http.port,
    metrics: metrics.registry,
    health: () => ({
      ok: gateway.connectionState === 'connected',
      ari: gateway.connectionState,
      activeCalls: inbound!.activeCount,
      activeCallbacks: dispatcher!.activeCount,
      pid: process.pid,
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    }),
    api: (req, path) => handleApi(req, path, { token: secrets.api.token, dispatcher: dispatcher!, jobs, operators }),
    console: (req, res, url) => consoleRouter.handle(req, res, url),
  });
  gateway.start();
  dispatcher.start();
  jobs.start();
  log.info({ config: env.configFile, db: env.dbFile, http: `${config.http.host}:${config.http.port}` }, 'controller started');

  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping');
    dispatcher!.stop();
    jobs.stop();
    board.close();
    checkpointer.stop();
    gateway.stop();
    server.close();
    db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: Error) => {
  // one line, like every fatal start-up error (a bad config names its file and field)
  process.stderr.write(`ivr controller: ${err.message}\n`);
  process.exit(1);
});
