// Composition root of the controller: config -> database -> Asterisk port -> services ->
// HTTP -> signals. The only place (with cli/ivrctl.ts) that reads the environment.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { resolveEnvironment } from './environment';
import { startHttpServer } from './http/server';
import { InboundService } from './inbound/inbound-service';
import { createLogger } from './logging';
import { prepare } from './setup';
import { CallsRepo } from './storage/calls-repo';
import { AriGateway } from './telephony/ari-gateway';

async function main(): Promise<void> {
  const env = resolveEnvironment(process.env);
  const log = createLogger(env.logLevel);
  const { config, db, provisioner, migrationsApplied } = prepare(env);
  if (migrationsApplied.length > 0) log.info({ migrationsApplied }, 'database migrated');
  const { secrets } = provisioner.writeAll();

  const calls = new CallsRepo(db);
  let inbound: InboundService | undefined;
  const gateway = new AriGateway(
    { url: config.asterisk.ariUrl, user: secrets.ari.user, password: secrets.ari.password, app: config.asterisk.app },
    {
      onStasisStart: (ch) => inbound!.handleStasisStart(ch),
      onConnected: () => void inbound!.reconcile().catch((err: Error) => log.error({ err: err.message }, 'reconcile failed')),
    },
    log,
  );
  inbound = new InboundService(config, gateway, gateway, calls, log);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
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
