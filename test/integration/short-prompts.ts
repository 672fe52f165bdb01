// The test stacks' prompt set: the prompts built from the test config (sounds/gen), each cut
// to its first TEST_PROMPT_MS. What a test checks is which prompt plays, when, and what the
// caller does on it; a confirmation that speaks for 14 s, or an apology for 15 s, only makes
// every booking and every fault test wait. The texts (<path>.txt) are copied unchanged, so
// a reload rebuilds only what it changed (at full length, as in a real office); `make run`
// and the install keep the full prompts, and IVR_TEST_FULL_PROMPTS=1 gives them to the tests.
import { mkdirSync, readdirSync, readFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { writePcmWav } from '../wav';

/** how much of each prompt the test stacks play: long enough for a key typed on its start to land in it */
export const TEST_PROMPT_MS = 1500;

/** The samples and format of a PCM WAV file (its "fmt " and "data" chunks), or undefined when it is not one. */
export function readPcmWav(file: string): { samples: Buffer; rate: number; channels: number } | undefined {
  const b = readFileSync(file);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let fmt: { rate: number; channels: number; bits: number; format: number } | undefined;
  for (let off = 12; off + 8 <= b.length;) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = { format: b.readUInt16LE(off + 8), channels: b.readUInt16LE(off + 10), rate: b.readUInt32LE(off + 12), bits: b.readUInt16LE(off + 22) };
    if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.bits !== 16) return undefined;
      return { samples: b.subarray(off + 8, Math.min(b.length, off + 8 + size)), rate: fmt.rate, channels: fmt.channels };
    }
    off += 8 + size + (size % 2);
  }
  return undefined;
}

/**
 * Copies a prompts directory (sounds/gen) into a stack's, each 16-bit PCM WAV cut to its first
 * maxMs (shorter ones and every other file copied as they are; the build's .job left out).
 * Returns how many prompts were cut.
 */
export function copyShortPrompts(from: string, to: string, maxMs = TEST_PROMPT_MS): number {
  let cut = 0;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name === '.job') continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) {
      cut += copyShortPrompts(src, dst, maxMs);
      continue;
    }
    const wav = entry.name.endsWith('.wav') ? readPcmWav(src) : undefined;
    const frameBytes = wav ? wav.channels * 2 : 0;
    const maxBytes = wav ? Math.floor((wav.rate * maxMs) / 1000) * frameBytes : 0;
    if (wav && wav.samples.length > maxBytes) {
      writePcmWav(dst, wav.samples.subarray(0, maxBytes), wav.rate, wav.channels);
      cut++;
    } else copyFileSync(src, dst);
  }
  return cut;
}
