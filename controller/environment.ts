// Where things live. The two entry points (main.ts, cli/ivrctl.ts) call this with
// process.env; nothing else in the code reads the environment.
import os from 'node:os';
import path from 'node:path';
import { ValidationError } from './errors';

export interface Environment {
  /** the repository / package root (shipped config, asterisk-config, db migrations) */
  root: string;
  configFile: string;
  /** the SQLite file (IVR_DB, or ivr.db in the state dir) */
  dbFile: string;
  /**
   * IVR_DB as a postgres:// URL: the cluster mode's shared database. The controllers keep the
   * records there (calls, callbacks, the roster, closures, the console's accounts and pages,
   * the jobs' shared slots); each node keeps in dbFile, its state dir's ivr.db, its copy of the
   * roster and closures (its Asterisk's) and its own jobs' runs. Every ivrctl command uses it.
   */
  dbUrl?: string;
  /** generated secrets, Asterisk includes, logs, pid files; mounted into the container */
  stateDir: string;
  logLevel: string;
  /** where the prompts are built (sounds/gen) and Asterisk plays them from */
  soundsDir: string;
  /** builds the prompts whose text changed (make prompts, a reload, a closure message) */
  promptsScript: string;
  /** the person running ivrctl (sudo's caller when through sudo), for the audit log */
  systemUser: string;
  /** IVR_NODE: which node of the configuration's cluster this controller is (the cluster mode) */
  node?: string;
}

export function resolveEnvironment(env: NodeJS.ProcessEnv): Environment {
  // dist/controller/environment.js -> the package root, wherever the command is run from
  const root = path.resolve(__dirname, '..', '..');
  const stateDir = path.resolve(env.IVR_STATE_DIR || path.join(root, 'var'));
  const dbUrl = env.IVR_DB && /^postgres(ql)?:\/\//.test(env.IVR_DB) ? env.IVR_DB : undefined;
  return {
    root,
    configFile: path.resolve(env.IVR_CONFIG || path.join(root, 'config', 'demo.yaml')),
    dbFile: path.resolve(!dbUrl && env.IVR_DB ? env.IVR_DB : path.join(stateDir, 'ivr.db')),
    ...(dbUrl ? { dbUrl } : {}),
    stateDir,
    logLevel: env.IVR_LOG_LEVEL || 'info',
    soundsDir: path.resolve(env.IVR_SOUNDS_DIR || path.join(root, 'sounds', 'gen')),
    promptsScript: path.resolve(env.IVR_PROMPTS_SCRIPT || path.join(root, 'docker', 'make-prompts.sh')),
    systemUser: env.SUDO_USER && /^[\w.-]{1,64}$/.test(env.SUDO_USER) ? env.SUDO_USER : os.userInfo().username,
    ...(env.IVR_NODE ? { node: env.IVR_NODE } : {}),
  };
}

/**
 * The controller's SQLite file: IVR_DB's on one box; in the cluster mode (IVR_DB the shared
 * PostgreSQL) the node's own file, for what is not shared yet.
 */
export const controllerSqliteFile = (env: Environment): string => (env.dbUrl ? env.dbFile : sqliteFile(env));

/** The cluster mode and the shared database go together: either without the other is refused in one line. */
export function checkSharedDatabase(env: Environment, cluster: unknown): void {
  if (env.dbUrl && !cluster)
    throw new ValidationError(`IVR_DB is a PostgreSQL database (${redactedUrl(env.dbUrl)}): that is the cluster mode, and the configuration has no cluster section`);
  if (cluster && !env.dbUrl) throw new ValidationError("the configuration's cluster keeps its calls and callbacks in the shared PostgreSQL: set IVR_DB to its postgres:// URL");
}

/** This controller's node in the configuration's cluster (IVR_NODE), checked; none on one box. */
export function clusterNode(env: Environment, cluster: { nodes: ReadonlyArray<{ id: string }> } | undefined): string | undefined {
  if (!cluster) return undefined;
  const ids = cluster.nodes.map((n) => n.id);
  if (!env.node || !ids.includes(env.node))
    throw new ValidationError(`IVR_NODE: ${env.node ? `"${env.node}" is` : 'unset:'} not a node of the configuration's cluster (${ids.join(', ')}); set it to this node's id`);
  return env.node;
}

export const migrationsDir = (root: string): string => path.join(root, 'db');
/** the PostgreSQL twins of the migrations, numbered alike (the cluster mode) */
export const postgresMigrationsDir = (root: string): string => path.join(root, 'db', 'postgres');

/** A postgres:// URL as it may be shown: without its password. */
export const redactedUrl = (url: string): string => url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/, '$1:***@');

/**
 * The SQLite file, for everything that runs on it: with IVR_DB a PostgreSQL URL, refused in one
 * line rather than quietly opening a SQLite file somewhere else.
 */
export function sqliteFile(env: Environment): string {
  if (env.dbUrl) throw new ValidationError(`IVR_DB is a PostgreSQL database (${redactedUrl(env.dbUrl)}): this needs one box's SQLite file`);
  return env.dbFile;
}
