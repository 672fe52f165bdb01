// A PCM WAV file written by the tests (recorded prompts, their conversion): the 44-byte
// RIFF header of 16-bit PCM and the samples.
import { writeFileSync } from 'node:fs';

export function writePcmWav(file: string, samples: Buffer, rate: number, channels: number): void {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + samples.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(samples.length, 40);
  writeFileSync(file, Buffer.concat([h, samples]));
}

/** a sine tone, 16-bit, the same in every channel */
export function tone(rate: number, channels: number, seconds: number, freq: number): Buffer {
  const frames = Math.round(rate * seconds);
  const data = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / rate)), (i * channels + c) * 2);
  return data;
}
