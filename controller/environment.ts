// Where things live. The two entry points (main.ts, cli/ivrctl.ts) call this with
// process.env; nothing else in the code reads the environment.
import os from 'node:os';
import path from 'node:path';

export interface Environment {
  /** the repository / package root (shipped config, asterisk-config, db migrations) */
  root: string;
  configFile: string;
  dbFile: string;
  /** generated secrets, Asterisk includes, logs, pid files; mounted into the container */
  stateDir: string;
  logLevel: string;
  /** where the prompts are built (sounds/gen) and Asterisk plays them from */
  soundsDir: string;
  /** builds the prompts whose text changed (make prompts, a reload, a closure message) */
  promptsScript: string;
  /** the person running ivrctl (sudo's caller when through sudo), for the audit log */
  systemUser: string;
}

export function resolveEnvironment(env: NodeJS.ProcessEnv): Environment {
  // dist/controller/environment.js -> the package root, wherever the command is run from
  const root = path.resolve(__dirname, '..', '..');
  const stateDir = path.resolve(env.IVR_STATE_DIR || path.join(root, 'var'));
  return {
    root,
    configFile: path.resolve(env.IVR_CONFIG || path.join(root, 'config', 'demo.yaml')),
    dbFile: path.resolve(env.IVR_DB || path.join(stateDir, 'ivr.db')),
    stateDir,
    logLevel: env.IVR_LOG_LEVEL || 'info',
    soundsDir: path.resolve(env.IVR_SOUNDS_DIR || path.join(root, 'sounds', 'gen')),
    promptsScript: path.resolve(env.IVR_PROMPTS_SCRIPT || path.join(root, 'docker', 'make-prompts.sh')),
    systemUser: env.SUDO_USER && /^[\w.-]{1,64}$/.test(env.SUDO_USER) ? env.SUDO_USER : os.userInfo().username,
  };
}

export const migrationsDir = (root: string): string => path.join(root, 'db');
