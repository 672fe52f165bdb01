// Composition root of the controller: config -> database -> Asterisk port -> services ->
// HTTP -> signals. The only place (with cli/ivrctl.ts) that reads the environment.
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
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
  const { config, db, secrets, migrationsApplied } = prepare(env);
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
      onConnected: () => void inbound!.reconcile().catch((err: Error) => log.error({ err: err.message }, 'reconcile failed')),
    },
    log,
  );
  const presence = new Presence(new OperatorsRepo(db), gateway);
  inbound = new InboundService(config, gateway, gateway, presence, calls, new CallEventsRepo(db), new CallbacksRepo(db), log, () => new Date(), (what, ms) => {
    if (what === 'offer_delay_ms') offerDelay.observe(ms / 1000);
    else bookingCommit.observe(ms / 1000);
    log.debug({ [what]: ms }, 'measured');
  });
  new Gauge({ name: 'ivr_ari_connected', help: '1 when the ARI websocket is connected', registers: [metrics], collect() { this.set(gateway.connectionState === 'connected' ? 1 : 0); } });
  new Gauge({ name: 'ivr_active_calls', help: 'inbound calls in the controller', registers: [metrics], collect() { this.set(inbound!.activeCount); } });

  const server = await startHttpServer({
    host: config.http.host,
    port: config.http.port,
    metrics,
    health: () => ({ ok: gateway.connectionState === 'connected', ari: gateway.connectionState, activeCalls: inbound!.activeCount, pid: process.pid }),
  });
  gateway.start();
  log.info({ config: env.configFile, db: env.dbFile, http: `${config.http.host}:${config.http.port}` }, 'controller started');

  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping');
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
