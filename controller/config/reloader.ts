// The reload itself, in the order that keeps callers safe: read and validate the file (an
// invalid one is refused, naming the field, and nothing changes); build the prompts whose
// text changed (a menu that offers a new office must be heard with it: when the prompts
// cannot be built the reload fails and nothing changes); then put the new directorates in
// place and let the rest follow (Asterisk's includes for changed numbers, the jobs' slots,
// a dispatch pass for hours that opened). One reload at a time.
import type { Logger } from 'pino';
import { applyReload, planReload, type DirectorateChange } from './reload';
import type { Config } from './schema';
import { ConfigError } from '../errors';

export interface ReloadResult {
  file: string;
  changed: DirectorateChange[];
  /** sections that differ from the running ones but apply at the next start */
  restartRequired: string[];
  promptsBuilt: number;
  /** Asterisk include files rewritten (and reloaded) */
  asteriskFiles: string[];
  /** something that did not follow (e.g. Asterisk unreachable: its includes apply at its next start) */
  warnings: string[];
}

export interface ReloaderDeps {
  file: string;
  running: Config;
  load(file: string): Config;
  synthesize(): Promise<{ built: number }>;
  /** after the new configuration is in place: Asterisk's includes, jobs, a dispatch pass */
  follow(): Promise<{ asteriskFiles: string[]; warnings: string[] }>;
  observe?(result: 'applied' | 'refused' | 'failed'): void;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export class ConfigReloader {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: ReloaderDeps) {}

  /** Rejects with ConfigError for an invalid file (nothing changed), Error when prompts could not be built (nothing changed). */
  reload(source: string): Promise<ReloadResult> {
    const next = this.chain.then(() => this.once(source));
    // the next reload waits for this one, whatever its end: its failure goes to its caller
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async once(source: string): Promise<ReloadResult> {
    const { file, running, log } = this.d;
    let plan: ReturnType<typeof planReload>;
    let next: Config;
    try {
      next = this.d.load(file);
      plan = planReload(running, next, file);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.d.observe?.('refused');
      log.error({ source, error: err.message }, 'configuration reload refused: the running configuration is kept');
      throw err;
    }
    let promptsBuilt: number;
    try {
      promptsBuilt = (await this.d.synthesize()).built;
    } catch (err) {
      this.d.observe?.('failed');
      const message = `the prompts of the new configuration could not be built, so it was not applied (${(err as Error).message})`;
      log.error({ source }, message);
      throw new Error(message);
    }
    applyReload(running, next);
    const { asteriskFiles, warnings } = await this.d.follow();
    this.d.observe?.('applied');
    const result: ReloadResult = { file, changed: plan.changed, restartRequired: plan.restartRequired, promptsBuilt, asteriskFiles, warnings };
    log.info({ source, ...result }, 'configuration reloaded');
    return result;
  }
}
