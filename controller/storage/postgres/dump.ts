// `ivrctl db backup` in the cluster mode: a copy of the shared database with PostgreSQL's own
// tool (pg_dump, custom format: consistent in one snapshot while the nodes keep writing,
// restored with pg_restore), checked by reading its table of contents back before it is
// called a backup. As a node's backup, it is written under a temporary name, its owner's only,
// and renamed once checked. The password travels in the child's environment (PGPASSWORD),
// never on its command line where `ps` would show it. A real deployment adds continuous
// archiving (Patroni with pgBackRest, docs/SCALING.md): this is the sysadmin's copy on demand.
import { execFile } from 'node:child_process';
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { redactedUrl } from '../../environment';

export interface DumpResult {
  file: string;
  bytes: number;
  schemaVersion: number;
  /** the tables whose rows the dump holds */
  tables: number;
  format: 'pg_dump custom';
}

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(cmd, args, { env, maxBuffer: 64 << 20, timeout: 3_600_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return reject(new Error(`${cmd} not found: install Debian's postgresql-client (the shared database is copied with it)`));
      // the tool's own last line says what went wrong (a version older than the server's, a refused login)
      reject(new Error(`${cmd}: ${stderr.trim().split('\n').pop() || err.message}`));
    }),
  );

/** Writes `target` (which must not exist) from the database at `url`, whose schema is at `schemaVersion`. */
export async function dumpShared(url: string, target: string, schemaVersion: number): Promise<DumpResult> {
  if (existsSync(target)) throw new Error(`${target} already exists`);
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  const env = { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' };
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  try {
    // made first, its owner's only: pg_dump writes into it and keeps the mode
    writeFileSync(partial, '', { mode: 0o600, flag: 'wx' });
    await run('pg_dump', ['--format=custom', '--no-owner', `--file=${partial}`, `--dbname=${u.toString()}`], env).catch((err: Error) => {
      throw new Error(`${redactedUrl(url)}: ${err.message}`);
    });
    // the table of contents read back: a truncated or foreign file fails here
    const toc = await run('pg_restore', ['--list', partial], env);
    const tables = toc.split('\n').filter((l) => / TABLE DATA /.test(l));
    if (!tables.some((l) => / schema_version /.test(l))) throw new Error('the copy holds no schema_version: not a dump of the shared database');
    renameSync(partial, target);
    return { file: target, bytes: statSync(target).size, schemaVersion, tables: tables.length, format: 'pg_dump custom' };
  } finally {
    rmSync(partial, { force: true });
  }
}
