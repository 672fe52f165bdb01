// ivrctl config check|reload, setup, prompts manifest: the configuration and the state dir.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import type { ReloadResult } from '../../config/reloader';
import type { Closure } from '../../schedule/closures';
import { toClosure } from '../../schedule/closures-service';
import { ClosuresRepo } from '../../storage/closures-repo';
import { PgClosuresRepo } from '../../storage/postgres/closures-repo';
import { callController } from '../controller-client';
import { promptManifest, type PromptSpec } from '../../prompts/catalog';
import { promptStatuses } from '../../prompts/built';
import { prepare } from '../../setup';
import type { Cli } from '../context';

export function registerConfig(program: Command, cli: Cli): void {
  const config = program.command('config').description('deployment configuration');
  config
    .command('check [file]')
    .description('validate a configuration file (default: $IVR_CONFIG or the demo config); a bad field is named, exit 2')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  ivrctl config check /etc/ivr/deployment.yaml')
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const cfgFile = file ?? cli.env.configFile;
      const cfg = loadConfig(cfgFile);
      const summary = {
        file: cfgFile,
        valid: true,
        directorates: cfg.directorates.map((d) => ({ id: d.id, case: d.case, numbers: d.numbers, ringsBeforeCallback: d.ringsBeforeCallback })),
      };
      if (opts.json) cli.print.json(summary);
      else cli.print.line(`${cfgFile}: ok (${cfg.directorates.map((d) => `${d.id} ${d.numbers.join('/')}`).join(', ')})`);
    });

  config
    .command('reload')
    .description(
      'apply $IVR_CONFIG to the running controller without a restart: hours, holidays, rings, menus, units, topics, texts, callback policy, numbers, jobs; calls in progress go on as they started, the next ones get the new settings; changed prompts are synthesized first. An invalid file is refused (the field named, exit 2) and the running configuration kept. Same as SIGHUP to the controller',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  ivrctl config reload\nAdding or removing a directorate, and changes to http, asterisk, storage or logs, need a restart (they are listed, not applied).',
    )
    .action(async (opts: { json?: boolean }) => {
      // refused here already when invalid: the same one line as config check, no round trip
      loadConfig(cli.env.configFile);
      // building prompts runs the container engine: allow it time
      const r = (await callController(cli.config, cli.env.stateDir, 'POST', '/api/config/reload', {}, 330_000)) as ReloadResult;
      if (opts.json) return cli.print.json(r);
      const changes = r.changed.map((c) => (c.dp === '*' ? c.fields.join(', ') : `${c.dp} (${c.fields.join(', ')})`));
      cli.print.line(
        `${r.file}: reloaded; ${changes.length > 0 ? `changed: ${changes.join('; ')}` : 'no change'}; prompts built: ${r.promptsBuilt}${r.asteriskFiles.length > 0 ? `; Asterisk reloaded: ${r.asteriskFiles.join(', ')}` : ''}`,
      );
      if (r.restartRequired.length > 0) cli.print.line(`not applied until the controller restarts: ${r.restartRequired.join(', ')}`);
      for (const w of r.warnings) cli.print.line(`warning: ${w}`);
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

  // the prompts' manifest, the closures' messages included when there is a database with them
  // (not before the first start, nor with an older schema: then no closure to speak); in the
  // cluster mode the shared database's closures, whichever node declared them
  const manifest = async (): Promise<PromptSpec[]> => {
    const at = new Date();
    const closures: Closure[] = await cli
      .withRecords(
        (db) => new ClosuresRepo(db).live(at).map(toClosure),
        async (pool) => (await new PgClosuresRepo().live(pool, at)).map(toClosure),
      )
      .catch(() => [] /* no database yet, or an older schema */);
    return promptManifest(cli.config, cli.env.root, closures);
  };
  const prompts = program.command('prompts').description('the prompts: their texts, recordings and whether they are built (make prompts builds them)');
  prompts
    .command('manifest')
    .description("print the prompts to build, one per line: <path>\\t<lang>\\t<text>\\t<recording> (the closures' messages included)")
    .action(async () => {
      for (const p of await manifest()) cli.print.line(`${p.path}\t${p.lang}\t${p.text}\t${p.recording ?? ''}`);
    });
  prompts
    .command('list')
    .description('every prompt: recorded or synthesized, built (ok), outdated or missing')
    .option('--json', 'as a JSON array')
    .addHelpText(
      'after',
      `\nExamples:\n  ivrctl prompts list\n  ivrctl prompts list --json | jq '.[] | select(.source == "recorded")'\nA recording replaces a prompt through the config: recordings: { dp/demo-st-welcome: benvenuto.wav }.`,
    )
    .action(async (opts: { json?: boolean }) => {
      const rows = promptStatuses(await manifest(), cli.env.soundsDir);
      if (opts.json) return cli.print.json(rows);
      const shown = rows.map((r) => ({
        path: r.path,
        lang: r.lang,
        source: r.source,
        state: r.state,
        from: r.problem ?? r.recording ?? (r.text.length > 60 ? `${r.text.slice(0, 57)}...` : r.text),
      }));
      cli.print.line(cli.print.table(shown, ['path', 'lang', 'source', 'state', 'from']));
    });
  prompts
    .command('check')
    .description('exit 1 when a prompt is missing or outdated, or a recording cannot be used (one line each)')
    .option('--json', 'the prompts that are not ok, as a JSON array')
    .action(async (opts: { json?: boolean }) => {
      const bad = promptStatuses(await manifest(), cli.env.soundsDir).filter((r) => r.state !== 'ok');
      if (opts.json) cli.print.json(bad);
      else if (bad.length === 0) cli.print.line('every prompt is built from its current text or recording');
      else
        for (const r of bad)
          cli.print.line(`${r.path}: ${r.state}${r.problem ? `: ${r.problem}` : r.state === 'outdated' ? ` (${r.source} source changed: make prompts)` : ' (make prompts)'}`);
      if (bad.length > 0) cli.exitCode = 1;
    });
}
