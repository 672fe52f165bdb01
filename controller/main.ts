// Composition root of the controller: config -> error boundaries -> database (write queue,
// checkpoint worker, read worker, storage health, metrics) -> Asterisk port -> services ->
// jobs -> console -> HTTP -> signals. The only place (with cli/ivrctl.ts) that reads the
// environment.
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Dispatcher } from './callbacks/dispatcher';
import { CallbackLedger } from './callbacks/ledger';
import { ConsoleAuth } from './console/auth';
import { LiveBoard, operatorStates } from './console/live-board';
import { ConsoleRouter } from './console/router';
import { liveBoard } from './console/views';
import { loadConfig } from './config/load';
import { callTiming, trunkOf } from './config/schema';
import { ConfigReloader } from './config/reloader';
import { ClosuresService } from './schedule/closures-service';
import { ClosuresRepo } from './storage/closures-repo';
import { checkSharedDatabase, clusterNode, postgresMigrationsDir, redactedUrl, resolveEnvironment } from './environment';
import { handleApi } from './http/api';
import { httpNames } from './http/hosts';
import { startHttpServer } from './http/server';
import { InboundService } from './inbound/inbound-service';
import { buildJobs } from './jobs/catalog';
import { JobRunner } from './jobs/runner';
import { JobScheduler, nodeCronDriver } from './jobs/schedule';
import { createLogger } from './logging';
import { computeFigures, computeFiguresShared, formatLocalDate, type DpFigures } from './monitoring/figures';
import { Metrics } from './monitoring/metrics';
import { Presence } from './operators/presence';
import { closurePrompts } from './prompts/catalog';
import { MediaDurations } from './prompts/durations';
import { PromptSynthesizer } from './prompts/synthesizer';
import { Boundary, installProcessBoundary } from './runtime/boundary';
import { watchEventLoop } from './runtime/loop-delay';
import { isOpen, localTime } from './schedule/service-hours';
import { prepare } from './setup';
import { CallEventsRepo } from './storage/call-events-repo';
import { CallbackAttemptsRepo } from './storage/callback-attempts-repo';
import { CallbacksRepo } from './storage/callbacks-repo';
import { CallsRepo } from './storage/calls-repo';
import { startCheckpointer } from './storage/checkpointer';
import { SqliteCallRecords } from './storage/sqlite-call-records';
import type { CallRecords } from './storage/call-records';
import { PostgresCallRecords } from './storage/postgres/call-records';
import { PostgresCallbackStore } from './storage/postgres/callback-store';
import { PgProfileSource } from './storage/postgres/profile-source';
import { PgCallbacksRepo } from './storage/postgres/callbacks-repo';
import { PgCallbackAttemptsRepo } from './storage/postgres/callback-attempts-repo';
import { migratePostgres, openPostgres, type Pg } from './storage/postgres/connection';
import { SharedLedger } from './callbacks/shared-ledger';
import { SharedOperators } from './operators/shared-operators';
import { SharedClosures } from './schedule/shared-closures';
import { SqliteConsoleAccounts } from './storage/console-accounts';
import { PgConsoleAccounts, seedConsoleUsers } from './storage/postgres/console-accounts';
import { ConsoleUsersRepo } from './storage/console-users-repo';
import { PgConsoleStore } from './storage/postgres/console-store';
import { instrumentDatabase, readMigrations } from './storage/database';
import { JobRunsRepo } from './storage/job-runs-repo';
import { OperatorsRepo } from './storage/operators-repo';
import { FollowupsRepo } from './storage/followups-repo';
import { NotesRepo } from './storage/notes-repo';
import { OutcomesRepo } from './storage/outcomes-repo';
import { privateUmask } from './storage/private-files';
import { StorageHealth } from './storage/health';
import { DatabaseWorker } from './jobs/db-worker';
import { CONTROLLER_BUSY_TIMEOUT_MS, WriteQueue } from './storage/write-queue';
import { capAsteriskLogs } from './supervision/asterisk-logs';
import { amiActions } from './telephony/ami';
import { AriGateway } from './telephony/ari-gateway';
import { ARI_MAX_SOCKETS } from './telephony/ari-rest';

// What ari-client still requests over HTTP (its API description at connect) goes through
// Node's global agent: bounded like our own REST pool (telephony/ari-rest.ts), so that both
// together stay within Asterisk's HTTP sessions (http.conf sessionlimit).

/** the cluster mode: how often a node pulls the shared roster and closures (an operator added, a directorate closed, on one node is on all within it) */
const SHARED_PULL_MS = 3000;

async function main(): Promise<void> {
  privateUmask();
  http.globalAgent.maxSockets = ARI_MAX_SOCKETS;
  const env = resolveEnvironment(process.env);
  const log = createLogger(env.logLevel);
  const startedAt = new Date();
  // every entry (ARI event, HTTP request, timer, job, dispatch pass) runs inside a boundary
  let metrics: Metrics | undefined;
  const boundary = new Boundary(log, (where) => metrics?.error(where));
  installProcessBoundary(boundary, (code) => {
    log.fatal({ code }, 'too many unexpected errors in a minute: exiting so that the supervisor starts a clean process');
    process.exit(code);
  });
  const { config, db, secrets, migrationsApplied, operators, provisioner } = prepare(env);
  const node = clusterNode(env, config.cluster);
  checkSharedDatabase(env, config.cluster);
  if (migrationsApplied.length > 0) log.info({ migrationsApplied }, 'database migrated');
  // from here the event loop never waits on a lock for more than a few milliseconds: writes
  // that find the database busy wait in the write queue instead
  db.pragma(`busy_timeout = ${CONTROLLER_BUSY_TIMEOUT_MS}`);
  const writes = new WriteQueue({
    onDropped: (what, err) => {
      metrics?.writeDropped();
      boundary.report('db_write', err, { what });
    },
    onState: (state, error) => (state === 'ok' ? log.info({ state }, 'database takes writes again') : log.warn({ state, error }, 'database not taking writes; they wait in order')),
  });
  const storage = new StorageHealth(writes, path.dirname(env.dbFile), config.storage.reserveMiB * 1048576, (err) => log.warn({ err: err.message }, 'free space unknown'));
  storage.start();
  const dbWorker = new DatabaseWorker(env.dbFile);
  const checkpointer = startCheckpointer(db, env.dbFile, 5000, (err) => log.warn({ err }, 'WAL checkpoint failed'));

  // the cluster mode: the calls and the callback queue on the shared PostgreSQL (migrated by
  // whichever node starts first; the others find nothing to do)
  const shared = env.dbUrl && node ? await openShared(env.dbUrl, node, env.root) : undefined;
  if (shared) log.info({ db: redactedUrl(env.dbUrl!), node, migrationsApplied: shared.migrationsApplied }, 'shared database open');

  const calls = new CallsRepo(db);
  const jobRuns = new JobRunsRepo(db);
  // the cluster mode: the queue's figures are the shared database's
  const sharedCallbacks = new PgCallbacksRepo();
  // gauges read through these when Prometheus scrapes; the services are created below
  metrics = new Metrics({
    ariConnected: () => gateway.connectionState === 'connected',
    activeCalls: () => inbound!.activeCount,
    activeAttempts: () => dispatcher!.activeCount,
    pendingByDp: () => (shared ? sharedCallbacks.pendingCountByDp(shared.pool) : callbacks.pendingCountByDp()),
    operatorStates: async () => operatorStates(operatorsRepo.list(), await gateway.phoneStates().catch(() => new Map())),
    directorates: config.directorates.map((d) => d.id),
    today: () => todayFigures(),
    followups: () => followups.openByDp(),
    closed: () =>
      closures
        .states()
        .filter((x) => x.closure)
        .map((x) => x.dp),
    inService: () => {
      const at = new Date();
      return config.directorates.filter((d) => isOpen(d.hours, at, closures.intervals(d.id))).map((d) => d.id);
    },
    oldestDue: () => (shared ? sharedCallbacks.oldestDueByDp(shared.pool, new Date()) : callbacks.oldestDueByDp(new Date())),
    jobs: () =>
      jobRuns.latest().map(({ last, lastOk }) => ({ job: last.job, lastOkAt: lastOk?.endedAt ?? null, lastFailed: last.status === 'failed' || last.status === 'interrupted' })),
    storage: () => {
      const st = storage.status();
      return { queued: st.queued, state: st.state === 'ok' ? 0 : st.state === 'busy' ? 1 : 2, freeBytes: st.freeBytes };
    },
  });
  const loop = watchEventLoop((s) => metrics!.eventLoopDelay(s));
  instrumentDatabase(db, (op, seconds) => metrics!.dbQuery(op, seconds));
  const todayFigures = (): DpFigures[] | Promise<DpFigures[]> => {
    const day = formatLocalDate(localTime(new Date(), 'Europe/Rome'));
    const dps = config.directorates.map((x) => ({ id: x.id, timezone: x.hours.timezone }));
    // the cluster mode: the calls and callbacks are in the shared database
    return shared ? computeFiguresShared(shared.pool, dps, { from: day, to: day }) : computeFigures(db, dps, { from: day, to: day });
  };
  let inbound: InboundService | undefined;
  let connectedBefore = false;
  const soundsDir = env.soundsDir;
  const durations = new MediaDurations(soundsDir);
  const gateway = new AriGateway(
    {
      url: config.asterisk.ariUrl,
      user: secrets.ari.user,
      password: secrets.ari.password,
      app: config.asterisk.app,
      mediaDurationMs: durations.of,
    },
    {
      onStasisStart: (ch) => inbound!.handleStasisStart(ch),
      onChannelError: (channelId, err) => inbound!.channelFailed(channelId, err),
      onConnected: () => {
        if (connectedBefore) metrics!.ariReconnected();
        const initial = !connectedBefore;
        connectedBefore = true;
        void inbound!.reconcile(initial).catch((err: unknown) => boundary.report('reconcile', err));
        void dispatcher!.reconcile().catch((err: unknown) => boundary.report('callback_recovery', err));
      },
      // a phone registered, or an operator's call ended outside the controller
      onPresence: (_resource, state) => {
        if (state === 'NOT_INUSE') dispatcher?.kick('presence');
      },
    },
    log,
    boundary,
  );
  const operatorsRepo = new OperatorsRepo(db);
  // the cluster mode: the roster is the shared table; this node's copy (its Asterisk's
  // endpoints, presence) is pulled in step, at start and every few seconds
  const roster = shared ? new SharedOperators(shared.pool, operatorsRepo) : undefined;
  if (roster && shared && config.cluster!.nodes[0]!.id === shared.node) {
    if (await roster.seed()) log.info({ node: shared.node }, 'shared roster seeded from this node');
    // the console's accounts too: a box that becomes a cluster keeps its supervisors' logins
    const accounts = await seedConsoleUsers(shared.pool, new ConsoleUsersRepo(db).list(), new Date());
    if (accounts > 0) log.info({ node: shared.node, accounts }, "shared console accounts seeded from this node's file");
  }
  const pullRoster = async (): Promise<void> => {
    if (!roster || !(await roster.pull())) return;
    log.info({ operators: operatorsRepo.list().length }, "operators changed in the shared roster: this node's Asterisk follows");
    await provisioner.apply().catch((err: Error) => log.warn({ err: err.message }, 'Asterisk not reloaded: its files are written and apply at its next start'));
  };
  await pullRoster();
  const presence = new Presence(operatorsRepo, gateway);
  const callbacks = new CallbacksRepo(db);
  const outcomes = new OutcomesRepo(db);
  const followups = new FollowupsRepo(db);
  const notes = new NotesRepo(db);
  const attempts = new CallbackAttemptsRepo(db);
  const now = (): Date => new Date();
  let dispatcher: Dispatcher | undefined;
  // prompts whose text changed (a reload, a closure's message), built by the make-prompts script
  const synthesizer = new PromptSynthesizer(env.promptsScript, process.env);
  const synthesize = async (): Promise<{ built: number }> => {
    const r = await synthesizer.run();
    durations.clear();
    return r;
  };
  const closuresRepo = new ClosuresRepo(db);
  // the cluster mode: the closures are the shared table; this node's copy pulled at start and with the roster
  const sharedClosures = shared ? new SharedClosures(shared.pool, closuresRepo) : undefined;
  if (sharedClosures) await sharedClosures.pull();
  const closures = new ClosuresService({
    repo: closuresRepo,
    ...(sharedClosures ? { shared: sharedClosures } : {}),
    writes,
    config,
    synthesize,
    messageBuilt: (dp, c) => closurePrompts(dp, c).every((p) => existsSync(path.join(soundsDir, `${p.path}.wav`))),
    onReopened: (dp) => dispatcher?.kick(`reopened:${dp}`),
    log,
    now,
  });
  closures.load();
  // the cluster mode: the other nodes' closures and roster changes, pulled every few seconds
  const sharedTimer = shared
    ? setInterval(
        () =>
          boundary.run('shared_pull', {}, async () => {
            await closures.sync();
            await pullRoster();
          }),
        SHARED_PULL_MS,
      )
    : undefined;
  sharedTimer?.unref();
  const records: CallRecords = shared
    ? new PostgresCallRecords(shared.pool, shared.store, shared.node, {
        onDropped: (what, err) => {
          metrics?.writeDropped();
          boundary.report('db_write', err, { what });
        },
        onState: (state, error) =>
          state === 'ok' ? log.info({ state }, 'shared database takes writes again') : log.warn({ state, error }, 'shared database not taking writes; they wait in order'),
        observeBookingMs: (ms) => metrics!.bookingCommitMs(ms),
      })
    : new SqliteCallRecords(writes, { calls, events: new CallEventsRepo(db), callbacks, outcomes, followups, notes }, (ms) => metrics!.bookingCommitMs(ms));
  const kick = (reason: string) => (): void => dispatcher?.kick(reason);
  // an operator's station paused or resumed from the phone (*41/*42) or the console; resuming
  // may let a waiting callback go at once
  const setStationPaused = async (operator: string, paused: boolean): Promise<boolean> => {
    const ok = roster
      ? await roster.setPaused(operator, paused).catch((err: Error) => (log.warn({ operator, err: err.message }, 'pause not written to the shared roster'), false))
      : await writes.apply('operator_pause', () => operatorsRepo.setPaused(operator, paused), { deadlineMs: 10_000 }).catch(() => false);
    if (ok && !paused) dispatcher?.kick('operator_resumed');
    return ok;
  };
  inbound = new InboundService(
    config,
    {
      port: gateway,
      tracker: gateway,
      presence,
      records,
      bookingsAccepted: () => storage.acceptsBookings(),
      log,
      now,
      onOfficialFree: kick('operator_free'),
      observe: metrics,
      closures,
    },
    (dp) => dispatcher?.kick(`booked:${dp}`),
    (operator, paused) => setStationPaused(operator, paused),
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
      records,
      log,
      now,
      ledger: shared ? new SharedLedger(shared.store, shared.node) : new CallbackLedger(db, callbacks, attempts, writes, node ?? null),
      ...(node ? { node } : {}),
      onOfficialFree: kick('operator_free'),
      observeDispatch: (ms) => metrics!.dispatchDelayMs(ms),
      observeOutcome: (dp, outcome) => metrics!.attemptEnded(dp, outcome),
      closedIntervals: (dp) => closures.intervals(dp),
      trunkOf: (dp) => trunkOf(config, dp),
      timingOf: (dp) => callTiming(config.timing, dp),
    },
    log,
    () => gateway.connectionState === 'connected',
    boundary,
  );
  const jobDeps = { config, db, stateDir: env.stateDir, now, writes, worker: dbWorker, ...(shared ? { shared: { pool: shared.pool, node: shared.node, now } } : {}) };
  const jobs = new JobScheduler(
    buildJobs(jobDeps),
    new JobRunner(
      jobRuns,
      log,
      now,
      (o) => metrics!.jobRun(o.job, o.status),
      undefined,
      (what, write) => writes.apply(what, write),
    ),
    nodeCronDriver(log),
    boundary,
  );
  const reloader = new ConfigReloader({
    file: env.configFile,
    running: config,
    load: loadConfig,
    synthesize,
    follow: async () => {
      closures.load();
      jobs.replace(buildJobs(jobDeps));
      dispatcher!.kick('config_reloaded');
      // a changed number is routed by the dialplan: rewritten and reloaded over AMI
      try {
        return { asteriskFiles: await provisioner.apply(), warnings: [] };
      } catch (err) {
        return { asteriskFiles: [], warnings: [`Asterisk was not reloaded (${(err as Error).message}): its files are written and apply at its next start`] };
      }
    },
    observe: (result) => metrics!.configReload(result),
    log,
  });

  const board = new LiveBoard(
    {
      operators: () => operatorsRepo.list(),
      phoneStates: () => gateway.phoneStates(),
      calls: () => inbound!.liveCalls(),
      attempts: () => (shared ? new PgCallbackAttemptsRepo().liveWithRequest(shared.pool) : attempts.liveWithRequest()),
      pending: () => (shared ? sharedCallbacks.pendingCountByDp(shared.pool) : callbacks.pendingCountByDp()),
      today: todayFigures,
    },
    liveBoard,
    undefined,
    undefined,
    (err) => boundary.report('live_board', err),
  );
  const names = httpNames(config.http);
  const consoleRouter = new ConsoleRouter({
    config,
    db,
    writes,
    names,
    figures: (dps, range, opts) => (shared ? computeFiguresShared(shared.pool, dps, range, opts) : dbWorker.figures(dps, range, opts)),
    setPaused: setStationPaused,
    closures,
    // the cluster mode: the pages, the accounts and their sessions are the shared database's,
    // so that either node's console shows every node's records and one login is good on both
    ...(shared ? { profiles: new PgProfileSource(shared.pool), store: new PgConsoleStore(shared.pool) } : {}),
    auth: new ConsoleAuth(
      shared
        ? new PgConsoleAccounts(shared.pool, (what, err) => log.warn({ what, err: err.message }, 'console write lost: the shared database did not take it'))
        : new SqliteConsoleAccounts(db, writes),
    ),
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
    boundary,
    names,
    // 200 only when calls can be taken and recorded: ARI connected and the database writable
    health: () => {
      const database = storage.status();
      const ari = gateway.connectionState;
      const sharedState = records instanceof PostgresCallRecords ? records.state : undefined;
      const reasons = [
        ...(ari === 'connected' ? [] : [`ARI ${ari}`]),
        ...(database.reason ? [database.reason] : []),
        ...(sharedState && sharedState !== 'ok' ? [`shared database ${sharedState}`] : []),
      ];
      return {
        ok: reasons.length === 0,
        ...(reasons.length > 0 ? { reasons } : {}),
        ari,
        database,
        activeCalls: inbound!.activeCount,
        activeCallbacks: dispatcher!.activeCount,
        pid: process.pid,
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      };
    },
    api: (req, path) =>
      handleApi(req, path, { token: secrets.api.token, dispatcher: dispatcher!, jobs, operators, writes, reloader, closures, ...(roster ? { pause: setStationPaused } : {}) }),
    console: (req, res, url) => consoleRouter.handle(req, res, url),
  });
  // Asterisk's logs: rotated over AMI past the same cap as ours, the oldest deleted
  const ami = { host: config.asterisk.amiHost, port: config.asterisk.amiPort, user: secrets.ami.user, secret: secrets.ami.secret };
  const asteriskLogs = setInterval(
    () =>
      boundary.run('asterisk_logs', {}, async () => {
        const r = await capAsteriskLogs({
          dir: path.join(env.stateDir, 'log', 'asterisk'),
          maxBytes: config.logs.maxMiB * 1048576,
          keep: config.logs.keep,
          rotate: () => amiActions(ami, [{ action: 'LoggerRotate' }]),
        });
        if (r.rotated || r.removed.length > 0) log.info(r, "Asterisk's logs rotated");
      }),
    60_000,
  );
  asteriskLogs.unref();
  gateway.start();
  dispatcher.start();
  jobs.start();
  log.info({ config: env.configFile, db: env.dbFile, http: `${config.http.host}:${config.http.port}`, ...(node ? { node } : {}) }, 'controller started');

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, queuedWrites: writes.health().queued }, 'stopping');
    dispatcher!.stop();
    jobs.stop();
    board.close();
    loop.stop();
    storage.stop();
    clearInterval(asteriskLogs);
    clearInterval(sharedTimer);
    gateway.stop();
    server.close();
    // writes still waiting (a busy database) get a moment; the rest of the state is in
    // Asterisk, which the next start recovers
    const flushed = Promise.all([writes.flushed(), records.flushed()]);
    const bound = new Promise((r) => setTimeout(r, 2000).unref());
    void Promise.race([flushed, bound]).finally(() => {
      writes.stop();
      if (records instanceof PostgresCallRecords) records.stop();
      void shared?.pool.end().catch(() => undefined);
      checkpointer.stop();
      void dbWorker.stop();
      db.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // systemd's ExecReload (and the supervisor, which passes it on): the same reload as ivrctl's
  // (the reloader logs a refused or failed reload itself)
  process.on('SIGHUP', () => void reloader.reload('SIGHUP').catch(() => undefined));
}

/** The cluster's shared database: its pool (named after the node), migrated, and the callback queue's store on it. */
async function openShared(url: string, node: string, root: string): Promise<{ pool: Pg; store: PostgresCallbackStore; node: string; migrationsApplied: string[] }> {
  const pool = openPostgres(url, { application: `ivr-${node}` });
  const migrationsApplied = await migratePostgres(pool, readMigrations(postgresMigrationsDir(root))).catch(async (err: Error) => {
    await pool.end().catch(() => undefined);
    throw new Error(`the shared database (${redactedUrl(url)}): ${err.message}`);
  });
  return { pool, store: new PostgresCallbackStore(pool), node, migrationsApplied };
}

main().catch((err: Error) => {
  // one line, like every fatal start-up error (a bad config names its file and field)
  process.stderr.write(`ivr controller: ${err.message}\n`);
  process.exit(1);
});
