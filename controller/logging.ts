import pino, { type Logger } from 'pino';
import { maskNumber } from './numbering/numbering-plan';

/** fields that hold a caller's number in our log lines */
const NUMBER_FIELDS = ['caller', 'number', 'ani', 'digits'];

/**
 * JSON lines on stdout (the stack script sends them to the state dir's log folder). At info
 * and above, caller numbers are masked ("0612******"): the log is kept and shipped widely,
 * and needs the directorate and the call id, not the person. At debug and trace, where a
 * sysadmin is chasing one call, they are shown whole.
 */
export function createLogger(level: string, name = 'ivr'): Logger {
  const mask = !['debug', 'trace'].includes(level);
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(mask ? { formatters: { log: maskNumbers } } : {}),
  });
}

export function maskNumbers(obj: Record<string, unknown>): Record<string, unknown> {
  let out = obj;
  for (const k of NUMBER_FIELDS) {
    const v = obj[k];
    if (typeof v === 'string' && /\d{5}/.test(v)) out = { ...out, [k]: maskNumber(v) };
  }
  return out;
}
