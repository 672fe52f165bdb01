// Builds the prompts whose text changed (a reloaded configuration, a closure message) by
// running the same script as `make prompts` (docker/make-prompts.sh: the manifest from
// `ivrctl prompts manifest`, pico2wave in the project image, only what changed). One run at
// a time: the script keeps its work list in one place. The process is a child of ours with
// a bound, so a stuck container engine is an error and never a stuck controller.
import { spawn } from 'node:child_process';

export interface SynthesisResult {
  /** prompts (re)built by this run */
  built: number;
}

export class PromptSynthesizer {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly timeoutMs = 300_000,
  ) {}

  /** Runs the script after any run in progress; rejects with its last line of output. */
  run(): Promise<SynthesisResult> {
    const next = this.chain.then(() => this.once());
    // the next run waits for this one, whatever its end: its failure goes to its caller
    this.chain = next.catch(() => undefined);
    return next;
  }

  private once(): Promise<SynthesisResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [this.script], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const keep = (d: Buffer): void => {
        // the tail is what explains a failure; a runaway output is not kept whole
        out = (out + d.toString()).slice(-8192);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`prompt synthesis could not start: ${err.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve({ built: Number(/building (\d+) prompts/.exec(out)?.[1] ?? 0) });
        const last = out.trim().split('\n').pop() ?? '';
        reject(new Error(`prompt synthesis failed (${signal ? `killed after ${this.timeoutMs / 1000} s` : `exit ${code}`})${last ? `: ${last}` : ''}`));
      });
    });
  }
}
