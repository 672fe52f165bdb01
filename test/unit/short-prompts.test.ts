// The test stacks' short prompt set (test/integration/short-prompts.ts): every prompt cut to
// its first 1.5 s, a valid WAV that says so in its header, the shorter ones and the texts
// copied as they are, the prompts build's work dir left out.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { wavDurationMs } from '../../controller/prompts/durations';
import { copyShortPrompts, readPcmWav, TEST_PROMPT_MS } from '../integration/short-prompts';
import { tone, writePcmWav } from '../wav';

t.test('long prompts are cut to their start, short ones and texts copied unchanged', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'short-prompts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gen = path.join(dir, 'gen');
  mkdirSync(path.join(gen, 'it'), { recursive: true });
  mkdirSync(path.join(gen, 'dp'), { recursive: true });
  mkdirSync(path.join(gen, '.job'), { recursive: true });
  const long = tone(8000, 1, 14, 440);
  writePcmWav(path.join(gen, 'it', 'booking-registered.wav'), long, 8000, 1);
  writeFileSync(path.join(gen, 'it', 'booking-registered.txt'), 'La sua richiesta di richiamata è stata registrata.');
  writePcmWav(path.join(gen, 'dp', 'x-welcome.wav'), tone(8000, 1, 0.8, 440), 8000, 1);
  writePcmWav(path.join(gen, 'dp', 'stereo.wav'), tone(16000, 2, 3, 440), 16000, 2);
  writeFileSync(path.join(gen, '.job', 'list'), 'half built');

  const out = path.join(dir, 'stack');
  t.equal(copyShortPrompts(gen, out), 2, 'two prompts were longer than 1.5 s');

  const cut = path.join(out, 'it', 'booking-registered.wav');
  t.equal(wavDurationMs(cut), TEST_PROMPT_MS, 'the 14 s prompt now lasts 1.5 s, as its header says');
  t.same(readPcmWav(cut)?.samples, long.subarray(0, 8000 * 2 * 1.5), 'its first 1.5 s, sample for sample');
  t.equal(wavDurationMs(path.join(out, 'dp', 'stereo.wav')), TEST_PROMPT_MS, 'whatever its rate and channels');
  t.same(readFileSync(path.join(out, 'dp', 'x-welcome.wav')), readFileSync(path.join(gen, 'dp', 'x-welcome.wav')), 'a shorter prompt is copied byte for byte');
  t.equal(readFileSync(path.join(out, 'it', 'booking-registered.txt'), 'utf8'), 'La sua richiesta di richiamata è stata registrata.', 'the text it was built from, unchanged');
  t.notOk(existsSync(path.join(out, '.job')), "the build's work dir is not copied");
});

t.test('a file that is not a 16-bit PCM WAV is copied as it is', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'short-prompts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gen = path.join(dir, 'gen');
  mkdirSync(gen);
  writeFileSync(path.join(gen, 'odd.wav'), 'not a wav at all');
  t.equal(readPcmWav(path.join(gen, 'odd.wav')), undefined, 'not read as a WAV');
  t.equal(copyShortPrompts(gen, path.join(dir, 'out')), 0, 'nothing cut');
  t.equal(readFileSync(path.join(dir, 'out', 'odd.wav'), 'utf8'), 'not a wav at all');
});
