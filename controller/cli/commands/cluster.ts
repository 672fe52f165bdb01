// ivrctl cluster edge-config: the cluster's edge (Kamailio) written from the configuration and
// the operators table (the phones' digest HA1, which the edge checks in a cluster).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { ValidationError } from '../../errors';
import { renderEdge } from '../../provisioning/kamailio';
import { OperatorsRepo } from '../../storage/operators-repo';
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
      const operators = await cli.withDb((db) => new OperatorsRepo(db).list().map((o) => ({ id: o.id, ha1: o.ha1 })));
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
}
