// A directorate's recorded prompt, built by the real prompt script in the project image: a
// 44.1 kHz stereo WAV given in the config comes out 8 kHz mono 16-bit, only it is rebuilt,
// and `ivrctl prompts list|check` say what is recorded and what is out of date. Works on a
// copy of the built prompts (IVR_SOUNDS_DIR), so the shared stack's prompts are untouched.
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { writePcmWav, tone } from '../wav';
import { ROOT, run } from './harness';

const toneWav = (file: string, rate: number, channels: number, seconds: number, freq: number): void => writePcmWav(file, tone(rate, channels, seconds, freq), rate, channels);

/** sample rate, channels, bits and data bytes of a WAV, walking its chunks */
function wavFormat(file: string): { rate: number; channels: number; bits: number; dataBytes: number } {
  const b = readFileSync(file);
  let off = 12;
  let fmt: { rate: number; channels: number; bits: number } | undefined;
  let dataBytes = 0;
  while (off + 8 <= b.length) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = { channels: b.readUInt16LE(off + 10), rate: b.readUInt32LE(off + 12), bits: b.readUInt16LE(off + 22) };
    if (id === 'data') dataBytes = Math.min(size, b.length - off - 8);
    off += 8 + size + (size % 2);
  }
  return { ...fmt!, dataBytes };
}

t.test('a recorded prompt: any rate in, 8 kHz mono out, rebuilt when the recording changes; prompts list and check', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-recorded-'));
  const sounds = path.join(dir, 'gen');
  // the prompts already built: only the recorded one is to build
  cpSync(path.join(ROOT, 'sounds', 'gen'), sounds, { recursive: true });
  const recording = path.join(dir, 'benvenuto-roma.wav');
  toneWav(recording, 44100, 2, 1.5, 440);
  const config = path.join(dir, 'ivr.yaml');
  writeFileSync(config, `recordings:\n  dp/demo-st-welcome: benvenuto-roma.wav\n${readFileSync(path.join(ROOT, 'config', 'demo.yaml'), 'utf8')}`);
  const env = { ...process.env, IVR_CONFIG: config, IVR_SOUNDS_DIR: sounds, IVR_STATE_DIR: path.join(dir, 'state'), IVR_DB: path.join(dir, 'none.db') };
  const ivrctl = (...args: string[]) => run(path.join(ROOT, 'ivrctl'), args, { env });

  const before = await ivrctl('prompts', 'check');
  t.equal(before.code, 1, 'check: not built yet');
  t.match(before.stdout, /^dp\/demo-st-welcome: outdated \(recorded source changed: make prompts\)$/m);
  t.equal(before.stdout.trim().split('\n').length, 1, 'only that one');

  const build = await run('bash', [path.join(ROOT, 'docker', 'make-prompts.sh')], { env, timeoutMs: 120_000 });
  t.equal(build.code, 0, build.stderr);
  t.match(build.stdout, /^building 1 prompts$/m, 'only the recorded prompt is built');
  const out = path.join(sounds, 'dp', 'demo-st-welcome.wav');
  const f = wavFormat(out);
  t.same({ rate: f.rate, channels: f.channels, bits: f.bits }, { rate: 8000, channels: 1, bits: 16 }, 'converted to 8 kHz mono 16-bit');
  t.ok(Math.abs(f.dataBytes / 16000 - 1.5) < 0.05, `as long as the recording (${(f.dataBytes / 16000).toFixed(2)} s of 1.5 s)`);
  t.equal(
    readFileSync(path.join(sounds, 'dp', 'demo-st-welcome.txt'), 'utf8'),
    `recorded:${createHash('sha256').update(readFileSync(recording)).digest('hex')}`,
    'its source noted by the hash of the recording',
  );

  const list = await ivrctl('prompts', 'list', '--json');
  t.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as Array<{ path: string; source: string; state: string; recording?: string }>;
  t.match(
    rows.find((r) => r.path === 'dp/demo-st-welcome'),
    { source: 'recorded', state: 'ok', recording },
  );
  t.match(
    rows.find((r) => r.path === 'dp/demo-st-welcome-en'),
    { source: 'synthesized', state: 'ok' },
    'the English welcome is still synthesized',
  );
  t.equal(rows.filter((r) => r.state !== 'ok').length, 0, 'everything built');
  t.equal((await ivrctl('prompts', 'check')).code, 0);
  t.equal((await run('bash', [path.join(ROOT, 'docker', 'make-prompts.sh')], { env, timeoutMs: 60_000 })).stdout.trim(), 'prompts up to date', 'nothing to do a second time');

  // a new take in the same file: outdated, then built again, now 0.5 s long
  toneWav(recording, 22050, 1, 0.5, 880);
  const stale = await ivrctl('prompts', 'check');
  t.equal(stale.code, 1);
  t.match(stale.stdout, /^dp\/demo-st-welcome: outdated/m);
  t.equal((await run('bash', [path.join(ROOT, 'docker', 'make-prompts.sh')], { env, timeoutMs: 120_000 })).code, 0);
  t.ok(Math.abs(wavFormat(out).dataBytes / 16000 - 0.5) < 0.05, 'the new take is the prompt');

  // a recording that is not audio: the script refuses it, naming the prompt and nothing is replaced
  writeFileSync(recording, 'not a wav');
  const bad = await ivrctl('prompts', 'check');
  t.match(bad.stdout, /^dp\/demo-st-welcome: missing: .*benvenuto-roma\.wav is not a WAV file$/m);
  const refused = await run('bash', [path.join(ROOT, 'docker', 'make-prompts.sh')], { env, timeoutMs: 120_000 });
  t.not(refused.code, 0, 'make prompts fails');
  t.match(refused.stderr, /dp\/demo-st-welcome: sox cannot convert its source/);
  t.ok(Math.abs(wavFormat(out).dataBytes / 16000 - 0.5) < 0.05, 'the last good take is still the prompt');
  rmSync(dir, { recursive: true, force: true });
});
