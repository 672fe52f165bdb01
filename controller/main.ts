// Composition root of the controller: config -> database -> Asterisk port -> services ->
// HTTP -> signals. The only place (with cli/ivrctl.ts) that reads the environment.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Dispatcher } from './callbacks/dispatcher';
import { CallbackLedger } from './callbacks/ledger';
import { handleApi } from './http/api';
import { buildJobs } from './jobs/catalog';
import { JobRunner } from './jobs/runner';
import { JobScheduler, nodeCronDriver } from './jobs/schedule';
import { JobRunsRepo } from './storage/job-runs-repo';
import { CallbackAttemptsRepo } from './storage/callback-attempts-repo';
import { OutcomesRepo } from './storage/outcomes-repo';
import { resolveEnvironment } from './environment';
import { startHttpServer } from './http/server';
import { InboundService } from './inbound/inbound-service';
import { createLogger } from './logging';
import { prepare } from './setup';
import { Presence } from './operators/presence';
import { CallEventsRepo } from './storage/call-events-repo';
import { CallbacksRepo } from './storage/callbacks-repo';
import { CallsRepo } from './storage/calls-repo';
import { OperatorsRepo } from './storage/operators-repo';
import { AriGateway } from './telephony/ari-gateway';

async function main(): Promise<void> {
  const env = resolveEnvironment(process.env);
  const log = createLogger(env.logLevel);
  const startedAt = new Date();
  const { config, db, secrets, migrationsApplied, operators } = prepare(env);
  if (migrationsApplied.length > 0) log.info({ migrationsApplied }, 'database migrated');

  const calls = new CallsRepo(db);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const offerDelay = new Histogram({ name: 'ivr_offer_delay_seconds', help: 'from the N-th unanswered ring to the start of the callback offer', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2], registers: [metrics] });
  const bookingCommit = new Histogram({ name: 'ivr_booking_commit_seconds', help: 'callback booking transaction (checks + insert + commit)', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05], registers: [metrics] });
  let inbound: InboundService | undefined;
  const gateway = new AriGateway(
    { url: config.asterisk.ariUrl, user: secrets.ari.user, password: secrets.ari.password, app: config.asterisk.app },
    {
      onStasisStart: (ch) => inbound!.handleStasisStart(ch),
      onConnected: () => {
        void inbound!.reconcile().catch((err: Error) => log.error({ err: err.message }, 'reconcile failed'));
        void dispatcher!.reconcile().catch((err: Error) => log.error({ err: err.message }, 'callback recovery failed'));
      },
      // a phone registered, or an operator's call ended outside the controller
      onPresence: (_resource, state) => {
        if (state === 'NOT_INUSE') dispatcher?.kick('presence');
      },
    },
    log,
  );
  const presence = new Presence(new OperatorsRepo(db), gateway);
  const callbacks = new CallbacksRepo(db);
  const outcomes = new OutcomesRepo(db);
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
      observe: (what, ms) => {
        if (what === 'offer_delay_ms') offerDelay.observe(ms / 1000);
        else bookingCommit.observe(ms / 1000);
        log.debug({ [what]: ms }, 'measured');
      },
    },
    (dp) => dispatcher?.kick(`booked:${dp}`),
  );
  const dispatchDelay = new Histogram({ name: 'ivr_dispatch_delay_seconds', help: 'from the event that made a callback dispatchable (e.g. an operator freed) to the originate towards the operator', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: [metrics] });
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
      ledger: new CallbackLedger(db, callbacks, new CallbackAttemptsRepo(db)),
      earlierContacts: (cb) => calls.countBefore(cb.number, cb.requestedAt) + callbacks.byNumber(cb.number).filter((c) => c.id < cb.id && c.status === 'done').length,
      onOfficialFree: kick('operator_free'),
      observeDispatch: (ms) => dispatchDelay.observe(ms / 1000),
    },
    log,
    () => gateway.connectionState === 'connected',
  );
  new Gauge({ name: 'ivr_ari_connected', help: '1 when the ARI websocket is connected', registers: [metrics], collect() { this.set(gateway.connectionState === 'connected' ? 1 : 0); } });
  new Gauge({ name: 'ivr_active_calls', help: 'inbound calls in the controller', registers: [metrics], collect() { this.set(inbound!.activeCount); } });
  new Gauge({ name: 'ivr_callback_attempts_active', help: 'callback attempts being dialled', registers: [metrics], collect() { this.set(dispatcher!.activeCount); } });

  const jobRuns = new Counter({ name: 'ivr_job_runs_total', help: 'runs of the scheduled jobs by job and result (ok, failed, skipped)', labelNames: ['job', 'status'], registers: [metrics] });
  const jobs = new JobScheduler(
    buildJobs({ config, db, stateDir: env.stateDir, now }),
    new JobRunner(new JobRunsRepo(db), log, now, (o) => jobRuns.inc({ job: o.job, status: o.status })),
    nodeCronDriver(log),
  );

  const server = await startHttpServer({
    host: config.http.host,
    port: config.http.port,
    metrics,
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
  });
  gateway.start();
  dispatcher.start();
  jobs.start();
  log.info({ config: env.configFile, db: env.dbFile, http: `${config.http.host}:${config.http.port}` }, 'controller started');

  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping');
    dispatcher!.stop();
    jobs.stop();
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
