// Which prompts are built and from what: synthesized from their text or converted from a
// recorded WAV (config recordings). The prompt script (docker/make-prompts.sh) keeps next to
// each <path>.wav a <path>.txt with what it was built from: the text, or "recorded:<sha256 of
// the WAV>". A prompt whose source changed since is outdated; one with no audio is missing.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import type { PromptSpec } from './catalog';

export type PromptState = 'ok' | 'outdated' | 'missing';

export interface PromptStatus {
  path: string;
  lang: string;
  source: 'recorded' | 'synthesized';
  state: PromptState;
  /** the recorded WAV, for a recorded prompt */
  recording?: string;
  /** why a recording cannot be used (unreadable, not a WAV) */
  problem?: string;
  text: string;
}

/** What the prompt script writes into <path>.txt for this prompt (its cache key). */
export function buildKey(p: PromptSpec): string {
  if (!p.recording) return p.text;
  return `recorded:${createHash('sha256').update(readFileSync(p.recording)).digest('hex')}`;
}

/** "RIFF....WAVE" at the start: what sox (and any editor) calls a WAV file */
function isWav(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    return readSync(fd, head, 0, 12, 0) === 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE';
  } finally {
    closeSync(fd);
  }
}

export function promptStatuses(specs: readonly PromptSpec[], soundsDir: string): PromptStatus[] {
  return specs.map((p) => {
    const base = {
      path: p.path,
      lang: p.lang,
      source: p.recording ? ('recorded' as const) : ('synthesized' as const),
      text: p.text,
      ...(p.recording ? { recording: p.recording } : {}),
    };
    let key: string;
    try {
      if (p.recording && !isWav(p.recording)) return { ...base, state: 'missing' as const, problem: `${p.recording} is not a WAV file` };
      key = buildKey(p);
    } catch (err) {
      return { ...base, state: 'missing' as const, problem: `cannot read ${p.recording}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
    }
    const wav = path.join(soundsDir, `${p.path}.wav`);
    if (!existsSync(wav)) return { ...base, state: 'missing' as const };
    let built = '';
    try {
      built = readFileSync(path.join(soundsDir, `${p.path}.txt`), 'utf8');
    } catch {
      /* audio without its source note: built by hand or by an older script */
    }
    return { ...base, state: built === key ? ('ok' as const) : ('outdated' as const) };
  });
}
