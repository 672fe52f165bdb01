// ivrctl operators list|add|remove|pause|resume. In the cluster mode (IVR_DB the shared
// PostgreSQL) list, add and remove use the shared roster, which every node pulls; pause and
// resume go through a running controller, which writes them there.
import { Option, type Command } from 'commander';
import { OPERATOR_ROLES, type OperatorRole } from '../../config/schema';
import { OperatorsRepo, type OperatorRow } from '../../storage/operators-repo';
import type { Cli } from '../context';
import { callController } from '../controller-client';
import { AmiError, ControllerDownError, ValidationError } from '../../errors';
import { newOperatorRow } from '../../operators/operators-service';
import { PgOperatorsRepo } from '../../storage/postgres/operators-repo';

const publicOperator = (o: OperatorRow) => ({ id: o.id, dp: o.dp, role: o.role, unit: o.unit, paused: o.paused, pausedAt: o.pausedAt, createdAt: o.createdAt });

/** Applies an operator change to a running Asterisk; a stopped Asterisk reads it at start. */
async function reloadOrExplain(apply: () => Promise<void>): Promise<void> {
  try {
    await apply();
  } catch (err) {
    if (err instanceof AmiError) throw new Error(`saved, but Asterisk was not reloaded (${err.message}); it applies at next start`);
    throw err;
  }
}

export function registerOperators(program: Command, cli: Cli): void {
  const operators = program.command('operators').description('operator accounts (SIP phones of switchboard, staff and internal units)');
  operators
    .command('list')
    .description('list operators')
    .option('--json', 'print one JSON array')
    .addHelpText('after', '\nExample:\n  ivrctl operators list')
    .action(async (opts: { json?: boolean }) => {
      const rows = (
        await cli.withRecords(
          (db) => new OperatorsRepo(db).list(),
          (pool) => new PgOperatorsRepo().list(pool),
        )
      ).map(publicOperator);
      if (opts.json) cli.print.json(rows);
      else cli.print.line(cli.print.table(rows, ['id', 'dp', 'role', 'unit', 'paused', 'pausedAt', 'createdAt']));
    });
  operators
    .command('add <id>')
    .description(
      "create an operator; takes effect in Asterisk at once (with IVR_DB the shared database: in the cluster's roster, on every node within seconds); prints the SIP password when generated",
    )
    .requiredOption('--dp <dp>', 'directorate id')
    .addOption(new Option('--role <role>', 'what the operator does').choices(OPERATOR_ROLES as string[]).makeOptionMandatory())
    .option('--unit <unit>', 'internal unit id (with --role unit)')
    .option('--password <pw>', 'SIP password (default: generated)')
    .option('--json', 'print the created operator (and password) as JSON')
    .addHelpText('after', '\nExamples:\n  ivrctl operators add sw2 --dp demo-sw --role switchboard\n  ivrctl operators add unit2 --dp demo-st --role unit --unit ufficio-rimborsi')
    .action(async (id: string, opts: { dp: string; role: OperatorRole; unit?: string; password?: string; json?: boolean }) => {
      const req = { id, dp: opts.dp, role: opts.role, unit: opts.unit, password: opts.password };
      // the cluster mode: into the shared roster; every node's Asterisk follows within seconds
      if (cli.env.dbUrl) {
        const { row, password } = newOperatorRow(cli.config, req);
        const operator = await cli.withShared(async (pool) => {
          const repo = new PgOperatorsRepo();
          if (!(await repo.insert(pool, row, new Date()))) throw new ValidationError(`operator "${id}" already exists`);
          return (await repo.get(pool, id))!;
        });
        const shown = opts.password ? undefined : password;
        if (opts.json) return cli.print.json({ ...publicOperator(operator), ...(shown ? { password: shown } : {}) });
        return cli.print.line(
          `operator ${id} added to the cluster's roster${shown ? `; SIP password: ${shown}` : ''} (rewrite the edge's configuration: ivrctl cluster edge-config)`,
        );
      }
      const p = cli.prepared();
      try {
        const { operator, password } = p.operators.create(req);
        const shown = opts.password ? undefined : password;
        await reloadOrExplain(() => p.operators.applyToAsterisk());
        if (opts.json) cli.print.json({ ...publicOperator(operator), ...(shown ? { password: shown } : {}) });
        else cli.print.line(`operator ${id} added${shown ? `; SIP password: ${shown}` : ''} (register as sip:${id}@127.0.0.1)`);
      } finally {
        p.db.close();
      }
    });
  operators
    .command('remove <id>')
    .description('delete an operator; their phone can no longer register')
    .addHelpText('after', '\nExample:\n  ivrctl operators remove sw2')
    .action(async (id: string) => {
      if (cli.env.dbUrl) {
        if (!(await cli.withShared((pool) => new PgOperatorsRepo().remove(pool, id)))) throw new ValidationError(`no operator "${id}"`);
        return cli.print.line(`operator ${id} removed from the cluster's roster (rewrite the edge's configuration: ivrctl cluster edge-config)`);
      }
      const p = cli.prepared();
      try {
        p.operators.remove(id);
        await reloadOrExplain(() => p.operators.applyToAsterisk());
        cli.print.line(`operator ${id} removed`);
      } finally {
        p.db.close();
      }
    });
  for (const [name, desc] of [
    ['pause', 'stop offering calls and callbacks to this operator (a call in progress goes on) until resumed'],
    ['resume', 'make a paused operator available again (waiting callbacks are offered at once)'],
  ] as const) {
    operators
      .command(`${name} <id>`)
      .description(desc)
      .addHelpText('after', `\nExample:\n  ivrctl operators ${name} sw1\nThe running controller applies it; when it is not running the change is saved for its next start.`)
      .action(async (id: string) => {
        const paused = name === 'pause';
        try {
          await callController(cli.config, cli.env.stateDir, 'POST', `/api/operators/${encodeURIComponent(id)}/${name}`, {});
          cli.print.line(`operator ${id} ${paused ? 'paused' : 'resumed'}`);
        } catch (err) {
          if (!(err instanceof ControllerDownError)) throw err;
          // the cluster mode: the shared roster, which the nodes pull (this one at its start)
          if (cli.env.dbUrl) {
            if (!(await cli.withShared((pool) => new PgOperatorsRepo().setPaused(pool, id, paused, new Date())))) throw new ValidationError(`no operator "${id}"`);
            cli.print.line(`operator ${id} ${paused ? 'paused' : 'resumed'} (this node's controller is not running: in the cluster's roster, every node follows)`);
            return;
          }
          // nobody is taking calls, so there is nothing to race: the database is the whole state
          const p = cli.prepared();
          try {
            p.operators.setPaused(id, paused);
          } finally {
            p.db.close();
          }
          cli.print.line(`operator ${id} ${paused ? 'paused' : 'resumed'} (the controller is not running: applies when it starts)`);
        }
      });
  }
}
