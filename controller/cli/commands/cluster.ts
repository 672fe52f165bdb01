// ivrctl cluster edge-config: the cluster's edge (Kamailio) written from the configuration and
// the operators table (the phones' digest HA1, which the edge checks in a cluster). ivrctl
// cluster status: the nodes' leases in the shared database, and which node serves each
// directorate's callbacks now (the dispatchers' own rule, callbacks/policy.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { ValidationError } from '../../errors';
import { renderEdge } from '../../provisioning/kamailio';
import { OperatorsRepo } from '../../storage/operators-repo';
import { directoratesServedBy } from '../../callbacks/policy';
import { primaryOf } from '../../config/schema';
import { PgCallbackAttemptsRepo } from '../../storage/postgres/callback-attempts-repo';
import { PgCallbacksRepo } from '../../storage/postgres/callbacks-repo';
import { PgNodeLeasesRepo } from '../../storage/postgres/node-leases-repo';
import { PgOperatorsRepo } from '../../storage/postgres/operators-repo';
import { UsageError } from '../../errors';
import type { Cli } from '../context';

export function registerCluster(program: Command, cli: Cli): void {
  const cluster = program.command('cluster').description("the cluster mode (the configuration's cluster section): Kamailio in front of the nodes");
  cluster
    .command('edge-config')
    .description(
      "write Kamailio's configuration (kamailio.cfg) and its dispatcher list for the configuration's cluster section and the operators' credentials into a directory; run it again (and restart Kamailio) after an operator is added or changes password",
    )
    .requiredOption('--dir <dir>', 'where to write them (created if missing)')
    .addHelpText('after', '\nExample:\n  ivrctl cluster edge-config --dir /etc/ivr/edge && kamailio -f /etc/ivr/edge/kamailio.cfg')
    .action(async (opts: { dir: string }) => {
      const config = loadConfig(cli.env.configFile);
      if (!config.cluster) throw new ValidationError(`${cli.env.configFile} has no cluster section`);
      // the roster: the shared database's in the cluster mode, else this node's file
      const operators = (
        await cli.withRecords(
          (db) => new OperatorsRepo(db).list(),
          (pool) => new PgOperatorsRepo().list(pool),
        )
      ).map((o) => ({ id: o.id, ha1: o.ha1, dp: o.dp }));
      const dir = path.resolve(opts.dir);
      mkdirSync(dir, { recursive: true });
      const files = renderEdge(config, dir, operators);
      // the operators' HA1 are in kamailio.cfg: private like every file ivrctl writes (its
      // umask); Kamailio reads both as root, before it drops to its own user
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      cli.print.line(
        `${dir}: ${Object.keys(files).join(', ')} for ${config.cluster.nodes.length} nodes, ${config.directorates.length} directorates, ${operators.length} operators`,
      );
    });

  cluster
    .command('status')
    .description(
      'the nodes (alive while their lease runs: each renews it at every dispatch pass) and, per directorate, the node serving its callbacks now and its pending requests; from the shared database ($IVR_DB a postgres:// URL)',
    )
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  IVR_DB=postgres://ivr:…@10.0.0.5:5432/ivr ivrctl cluster status')
    .action(async (opts: { json?: boolean }) => {
      const config = cli.config;
      const c = config.cluster;
      if (!c) throw new ValidationError(`${cli.env.configFile} has no cluster section`);
      if (!cli.env.dbUrl) throw new UsageError("the cluster's state is in its shared database: set IVR_DB to its postgres:// URL");
      const now = new Date();
      const { leases, pending, attempts } = await cli.withShared(async (pool) => ({
        leases: await new PgNodeLeasesRepo().list(pool),
        pending: await new PgCallbacksRepo().pendingCountByDp(pool),
        attempts: await new PgCallbackAttemptsRepo().liveWithRequest(pool),
      }));
      const alive = (n: string): boolean => leases.some((l) => l.node === n && Date.parse(l.expiresAt) > now.getTime());
      const nodes = c.nodes.map((n) => {
        const l = leases.find((x) => x.node === n.id);
        return {
          id: n.id,
          address: n.address,
          alive: alive(n.id),
          heartbeatAt: l?.heartbeatAt ?? null,
          expiresAt: l?.expiresAt ?? null,
          liveAttempts: attempts.filter((a) => a.node === n.id).length,
        };
      });
      const servedBy = new Map(c.nodes.filter((n) => alive(n.id)).flatMap((n) => directoratesServedBy(config, n.id, alive).map((dp) => [dp, n.id] as const)));
      const directorates = config.directorates.map((d) => ({ id: d.id, primary: primaryOf(c, d), servedBy: servedBy.get(d.id) ?? null, pending: pending[d.id] ?? 0 }));
      if (opts.json) return cli.print.json({ at: now.toISOString(), nodes, directorates });
      cli.print.line(cli.print.table(nodes, ['id', 'address', 'alive', 'heartbeatAt', 'expiresAt', 'liveAttempts']));
      cli.print.line('');
      cli.print.line(
        cli.print.table(
          directorates.map((d) => ({ ...d, servedBy: d.servedBy ?? 'none (no node alive)' })),
          ['id', 'primary', 'servedBy', 'pending'],
        ),
      );
    });
}
