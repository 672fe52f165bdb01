// A PostgreSQL server for the storage tests, started by the project's own script
// (docker/postgres.sh: Debian's postgresql, a cluster of ours on a free loopback port,
// passwords generated) and stopped after the file. If it cannot start, the file fails: the
// tests of the PostgreSQL engine never skip.
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { rmSync } from 'node:fs';
import type { Test } from 'tap';
import { openPostgres, type Pg } from '../../controller/storage/postgres/connection';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'docker', 'postgres.sh');

const sh = (args: string[]): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile('bash', [SCRIPT, ...args], { timeout: 180_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`docker/postgres.sh ${args[0]}: ${stderr.trim() || err.message}`)) : resolve(stdout.trim()),
    ),
  );

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

export async function startPostgres(name: string): Promise<PostgresServer> {
  const dir = `/tmp/ivr-test-postgres-${name}-${process.pid}`;
  const url = await sh(['start', dir, String(await freePort())]);
  return {
    url,
    stop: async () => {
      await sh(['stop', dir]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let schemas = 0;
/** A schema of its own on the server for one test (dropped after it), and `nodes` pools in it. */
export async function freshSchema(t: Test, server: PostgresServer, nodes: number): Promise<{ schema: string; pools: Pg[] }> {
  const schema = `t${process.pid}_${++schemas}`;
  const admin = openPostgres(server.url, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pools = Array.from({ length: nodes }, () => openPostgres(server.url, { schema }));
  t.teardown(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });
  return { schema, pools };
}

/** A plain statement on the pool written with SQLite's `?` placeholders (a test's one query for both engines). */
export const questionMarkRows =
  (pool: Pg) =>
  async <T>(sql: string, ...params: unknown[]): Promise<T[]> => {
    let n = 0;
    return (
      await pool.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows as T[];
  };
