// ivrctl config check, setup, prompts manifest: the configuration and the state dir.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { promptManifest } from '../../prompts/catalog';
import { prepare } from '../../setup';
import type { Cli } from '../context';

export function registerConfig(program: Command, cli: Cli): void {
  program
    .command('config')
    .description('deployment configuration')
    .command('check [file]')
    .description('validate a configuration file (default: $IVR_CONFIG or the demo config); a bad field is named, exit 2')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  ivrctl config check /etc/ivr/deployment.yaml')
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const cfgFile = file ?? cli.env.configFile;
      const cfg = loadConfig(cfgFile);
      const summary = { file: cfgFile, valid: true, directorates: cfg.directorates.map((d) => ({ id: d.id, case: d.case, numbers: d.numbers, ringsBeforeCallback: d.ringsBeforeCallback })) };
      if (opts.json) cli.print.json(summary);
      else cli.print.line(`${cfgFile}: ok (${cfg.directorates.map((d) => `${d.id} ${d.numbers.join('/')}`).join(', ')})`);
    });

  program
    .command('setup')
    .description('prepare the state dir: migrate the database, generate secrets and Asterisk includes, seed operators (run by make up)')
    .action(() => {
      const p = prepare(cli.env);
      try {
        for (const m of p.migrationsApplied) cli.print.line(`migration applied: ${m}`);
        for (const s of p.seeded) cli.print.line(`operator ${s.id} created; SIP password: ${s.password}`);
      } finally {
        p.db.close();
      }
    });

  program
    .command('prompts')
    .description('prompt texts (audio is built by make prompts)')
    .command('manifest')
    .description('print the prompts to synthesize, one per line: <path>\\t<lang>\\t<text>')
    .action(() => {
      for (const p of promptManifest(cli.config, cli.env.root)) cli.print.line(`${p.path}\t${p.lang}\t${p.text}`);
    });
}
