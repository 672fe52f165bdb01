// The controller's supervisor under `make run` / `make up` (docker/stack.sh starts it): runs
// the controller, collects its output into a size-capped log (log-file.ts), and starts it
// again when it dies (restart-policy.ts), so that a crash at night is over in about a
// second instead of waiting for somebody: the new process recovers the calls in progress
// (controller/recovery/), the one path for every restart. Asterisk has its container
// engine's restart policy. A production install runs the controller under systemd with
// Restart=always instead, and journald takes the output; the controller is the same.
//
// Writes the controller's pid to <state dir>/controller.pid at each start (the stack script
// and the fault tests use it). SIGTERM/SIGINT: stops the controller (SIGTERM, SIGKILL after
// 5 s), then exits. SIGHUP is passed on (the controller reloads its configuration).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load';
import { resolveEnvironment } from '../environment';
import { privateUmask } from '../storage/private-files';
import { RotatingLog } from './log-file';
import { RestartPolicy } from './restart-policy';

privateUmask();
const env = resolveEnvironment(process.env);
const logDir = path.join(env.stateDir, 'log');
mkdirSync(logDir, { recursive: true, mode: 0o700 });
// the log's limits come from the config; a config the controller will refuse still gets a
// log, with the defaults, where the controller's one-line reason is read
let logs = { maxMiB: 20, keep: 5 };
try {
  logs = loadConfig(env.configFile).logs;
} catch {
  /* the controller reports it */
}
const log = new RotatingLog(path.join(logDir, 'controller.log'), logs.maxMiB * 1048576, logs.keep);
const pidFile = path.join(env.stateDir, 'controller.pid');
const main = path.join(__dirname, '..', 'main.js');
const policy = new RestartPolicy();

const say = (level: number, msg: string, extra: Record<string, unknown> = {}): void =>
  log.write(`${JSON.stringify({ level, time: new Date().toISOString(), name: 'supervisor', pid: process.pid, ...extra, msg })}\n`);

let child: ChildProcess | undefined;
let run = 0;
let stopping = false;

function start(): void {
  run++;
  const startedAt = Date.now();
  const c = spawn(process.execPath, [main], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  child = c;
  if (c.pid !== undefined) writeFileSync(pidFile, `${c.pid}\n`);
  say(30, run === 1 ? 'controller started' : 'controller restarted', { controllerPid: c.pid, run });
  c.stdout!.on('data', (d: Buffer) => log.write(d));
  c.stderr!.on('data', (d: Buffer) => log.write(d));
  c.on('exit', (code, signal) => {
    child = undefined;
    const d = policy.decide({ run, lastedMs: Date.now() - startedAt, code, signal, stopping });
    if (!d.restart) {
      say(d.exitCode === 0 ? 30 : 60, `supervisor ending: ${d.reason}`, { code, signal });
      log.close();
      process.exit(d.exitCode);
    }
    say(50, `controller ended (${signal ?? `exit ${code}`}); starting it again in ${d.delayMs} ms`, { code, signal, delayMs: d.delayMs });
    setTimeout(start, d.delayMs);
  });
}

function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  say(30, `supervisor stopping (${signal})`);
  if (!child) {
    log.close();
    process.exit(0);
  }
  child.kill('SIGTERM');
  setTimeout(() => child?.kill('SIGKILL'), 5000).unref();
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
// a configuration reload: the controller's own (it keeps its calls)
process.on('SIGHUP', () => child?.kill('SIGHUP'));
start();
