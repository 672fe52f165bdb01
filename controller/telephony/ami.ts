// AMI, used for what ARI cannot do: reloading configuration after a generated include
// changed. One short-lived connection per use (the CLI and the controller both call it
// rarely), always bounded by a timeout because asterisk-manager never reports a refused
// connection to the caller of action().
import AsteriskManager from 'asterisk-manager';
import { AmiError } from '../errors';

export interface AmiCredentials {
  host: string;
  port: number;
  user: string;
  secret: string;
}

/**
 * Runs AMI actions in order on one connection; resolves with each one's response (its
 * fields, lower-cased by asterisk-manager). The controller's AMI user may only do what these
 * need (read and write "system": CoreStatus, Reload, LoggerRotate): no CLI commands, no
 * originate.
 */
export function amiActions(creds: AmiCredentials, actions: Array<Record<string, string>>, timeoutMs = 5000): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const ami = AsteriskManager(creds.port, creds.host, creds.user, creds.secret, false);
    const outputs: Array<Record<string, unknown>> = [];
    let settled = false;
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        ami.disconnect();
      } catch {
        /* already closed */
      }
      if (err) reject(err);
      else resolve(outputs);
    };
    const timer = setTimeout(() => finish(new AmiError(`AMI ${creds.host}:${creds.port}: no answer within ${timeoutMs} ms`)), timeoutMs);
    ami.on('error', (e: Error) => finish(new AmiError(`AMI ${creds.host}:${creds.port}: ${e.message}`)));
    const next = (i: number): void => {
      if (i === actions.length) return finish(null);
      const a = actions[i]!;
      ami.action(a, (err, res) => {
        if (err) return finish(new AmiError(`AMI ${a.action}${a.module ? ` ${a.module}` : ''}: ${String(err.message ?? err.response ?? 'error')}`));
        outputs.push(res as Record<string, unknown>);
        next(i + 1);
      });
    };
    next(0);
  });
}
