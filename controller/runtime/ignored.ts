// For a failure that changes nothing for the call: hanging up a channel that is already
// gone, a prompt to a leg that hung up meanwhile, a bridge Asterisk already destroyed. It is
// not an error to handle, but it is not hidden either: it is logged at debug level with what
// was tried, so that a trace of a strange call shows every request that failed.
import type { Logger } from 'pino';

export function ignored(log: Pick<Logger, 'debug'>, what: string): (err: unknown) => undefined {
  return (err) => {
    log.debug({ err: err instanceof Error ? err.message : String(err) }, `${what}: failed, nothing to do`);
    return undefined;
  };
}
