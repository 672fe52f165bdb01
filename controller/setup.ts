// Brings the state dir and the database to a runnable state: migrations, generated secrets,
// first-start operators, Asterisk include files. Idempotent; run before Asterisk starts
// (ivrctl setup, from the stack script) and again by the controller at start.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from './config/load';
import type { Config } from './config/schema';
import { clusterNode, controllerSqliteFile, migrationsDir, type Environment } from './environment';
import { OperatorsService } from './operators/operators-service';
import { Provisioner } from './provisioning/provisioner';
import type { Secrets } from './provisioning/secrets';
import { checkIntegrity, migrate, openDatabase, readMigrations, type Db } from './storage/database';
import { MetaRepo } from './storage/meta-repo';
import { lockDownStateDir } from './storage/private-files';
import { OperatorsRepo } from './storage/operators-repo';

export interface Prepared {
  config: Config;
  db: Db;
  operators: OperatorsService;
  provisioner: Provisioner;
  secrets: Secrets;
  migrationsApplied: string[];
  seeded: Array<{ id: string; password: string }>;
}

/** first-start operator passwords, readable by root only; `make run` prints them */
export const seededPasswordsFile = (stateDir: string): string => path.join(stateDir, 'operator-passwords.txt');

export function prepare(env: Environment): Prepared {
  const config = loadConfig(env.configFile);
  mkdirSync(env.stateDir, { recursive: true, mode: 0o700 });
  const file = controllerSqliteFile(env);
  const db = openDatabase(file);
  lockDownStateDir(env.stateDir, file);
  checkIntegrity(db, file);
  const migrationsApplied = migrate(db, readMigrations(migrationsDir(env.root)));
  const repo = new OperatorsRepo(db);
  const provisioner = new Provisioner(env.stateDir, config, repo, clusterNode(env, config.cluster));
  const operators = new OperatorsService(config, repo, new MetaRepo(db), provisioner);
  const seeded = operators.seedOnce();
  if (seeded.length > 0) appendFileSync(seededPasswordsFile(env.stateDir), seeded.map((s) => `${s.id} ${s.password}\n`).join(''), { mode: 0o600 });
  const { secrets } = provisioner.writeAll();
  return { config, db, operators, provisioner, secrets, migrationsApplied, seeded };
}
