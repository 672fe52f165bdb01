import pino, { type Logger } from 'pino';

/** JSON lines on stdout (the stack script sends them to the state dir's log folder). */
export function createLogger(level: string, name = 'ivr'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
