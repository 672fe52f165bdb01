// How long a medium plays, so that the wait for its end can be bounded (telephony/ari-gateway:
// a PlaybackFinished lost in a reconnection must not leave a caller in silence). Synthesized
// prompts are WAV files under sounds/gen on the host, mounted into the container at
// CONTAINER_SOUNDS: their length is read from the header, once per file.
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { CONTAINER_SOUNDS, DIGIT_SOUND } from './media';

/** Asterisk's say-digits: generous per character (Italian digit files are ~0.5 s each) */
const PER_DIGIT_MS = 900;
/** say-number: a number is a few words */
const PER_NUMBER_MS = 2500;

/** Duration of a WAV file from its header; undefined when it is missing or not a WAV. */
export function wavDurationMs(file: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 44 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') return undefined;
    let byteRate = 0;
    // walk the chunks: "fmt " carries the byte rate, "data" the size of the samples
    for (let off = 12; off + 8 <= n;) {
      const id = head.toString('ascii', off, off + 4);
      const size = head.readUInt32LE(off + 4);
      if (id === 'fmt ' && off + 16 <= n) byteRate = head.readUInt32LE(off + 16);
      if (id === 'data') return byteRate > 0 ? Math.ceil((size / byteRate) * 1000) : undefined;
      off += 8 + size + (size % 2);
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** media URI -> expected duration in ms (undefined: unknown), reading sounds from `soundsDir` on the host */
export class MediaDurations {
  private readonly cache = new Map<string, number | undefined>();

  constructor(private readonly soundsDir: string) {}

  readonly of = (media: string): number | undefined => {
    if (media.startsWith('digits:')) return Math.max(1, media.length - 7) * PER_DIGIT_MS;
    if (media.startsWith('number:')) return PER_NUMBER_MS;
    if (media.startsWith(DIGIT_SOUND)) return PER_DIGIT_MS;
    const prefix = `sound:${CONTAINER_SOUNDS}/`;
    if (!media.startsWith(prefix)) return undefined;
    if (!this.cache.has(media)) this.cache.set(media, wavDurationMs(path.join(this.soundsDir, `${media.slice(prefix.length)}.wav`)));
    return this.cache.get(media);
  };

  /** prompts were rebuilt (a reload, a closure message): read their lengths again */
  clear(): void {
    this.cache.clear();
  }
}
