// PostgreSQL's errors as the controller sorts them: worth another try later, or not.
import { StorageUnavailable } from '../../errors';

/** PostgreSQL's answers that a later try may not get: a bound passed, a lock not had, the server going or gone */
const BUSY_CODES = new Set(['57014', '55P03', '40001', '40P01']);
const FAILING_CODES = /^(08|57P|53)/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** busy: a bound passed or a lock held; failing: the server cannot be reached or refuses work */
export function pgTransientKind(err: unknown): 'busy' | 'failing' | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && BUSY_CODES.has(code)) return 'busy';
  if (typeof code === 'string' && (FAILING_CODES.test(code) || NETWORK.has(code))) return 'failing';
  if (err instanceof Error && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(err.message)) return 'failing';
  return undefined;
}

/** Runs op; a transient failure of the database comes out as StorageUnavailable (the caller may say "try again"), anything else as it is. */
export async function unavailableWhenTransient<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    const kind = pgTransientKind(err);
    if (kind) throw new StorageUnavailable(`${what}: ${(err as Error).message}`, kind);
    throw err;
  }
}
