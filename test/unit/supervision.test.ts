// The supervisor's pure parts: when a dead controller is started again, and the size-capped
// log it writes; plus the cap on Asterisk's logs and the prompt durations that bound a wait.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MediaDurations, wavDurationMs } from '../../controller/prompts/durations';
import { capAsteriskLogs } from '../../controller/supervision/asterisk-logs';
import { RotatingLog } from '../../controller/supervision/log-file';
import { FIRST_DELAY_MS, MAX_DELAY_MS, RestartPolicy, STABLE_MS } from '../../controller/supervision/restart-policy';

t.test('restart policy: a crash is restarted at once, quick crashes back off, a stable run resets, a failed first start gives up', async (t) => {
  const p = new RestartPolicy();
  t.same(p.decide({ run: 1, lastedMs: 500, code: 1, signal: null, stopping: false }), { restart: false, exitCode: 1, reason: 'the controller failed to start (exit 1)' });
  const q = new RestartPolicy();
  t.same(q.decide({ run: 1, lastedMs: 500, code: null, signal: 'SIGKILL', stopping: false }), { restart: true, delayMs: FIRST_DELAY_MS }, 'killed at start: restarted');
  t.same(q.decide({ run: 2, lastedMs: 100, code: 1, signal: null, stopping: false }), { restart: true, delayMs: FIRST_DELAY_MS * 2 });
  t.same(q.decide({ run: 3, lastedMs: 100, code: 1, signal: null, stopping: false }), { restart: true, delayMs: FIRST_DELAY_MS * 4 });
  for (let i = 0; i < 10; i++) q.decide({ run: 4 + i, lastedMs: 100, code: 1, signal: null, stopping: false });
  t.same(q.decide({ run: 20, lastedMs: 100, code: 1, signal: null, stopping: false }), { restart: true, delayMs: MAX_DELAY_MS }, 'capped');
  t.same(q.decide({ run: 21, lastedMs: STABLE_MS, code: null, signal: 'SIGKILL', stopping: false }), { restart: true, delayMs: FIRST_DELAY_MS }, 'a stable run resets the backoff');
  t.match(q.decide({ run: 22, lastedMs: 100, code: 0, signal: null, stopping: true }), { restart: false, exitCode: 0 });
});

t.test('the rotating log: past the cap at a line end the file moves to .1, older ones shift, the oldest beyond keep is deleted', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-log-'));
  const file = path.join(dir, 'controller.log');
  const log = new RotatingLog(file, 100, 2);
  for (let i = 0; i < 20; i++) log.write(`{"n":${i},"msg":"${'x'.repeat(30)}"}\n`);
  log.close();
  t.same(readdirSync(dir).sort(), ['controller.log', 'controller.log.1', 'controller.log.2']);
  for (const f of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    t.ok(text.length <= 150, `${f}: ${text.length} bytes`);
    for (const line of text.split('\n').filter(Boolean)) t.doesNotThrow(() => JSON.parse(line), `${f}: whole lines only`);
  }
  t.match(readFileSync(`${file}.2`, 'utf8'), /"n":1[4-6]/, 'the oldest kept file holds lines written before the newer ones');
});

t.test("Asterisk's logs: rotated when one passes the cap, rotated copies beyond keep deleted", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-astlog-'));
  writeFileSync(path.join(dir, 'full.log'), 'x'.repeat(2000));
  writeFileSync(path.join(dir, 'messages.log'), 'small');
  for (const n of [0, 1, 2, 3]) writeFileSync(path.join(dir, `full.log.${n}`), 'old');
  let rotations = 0;
  const r = await capAsteriskLogs({ dir, maxBytes: 1000, keep: 2, rotate: async () => rotations++ });
  t.equal(rotations, 1, 'one rotation asked');
  t.same(r, { rotated: true, removed: ['full.log.2', 'full.log.3'] });
  t.same(readdirSync(dir).sort(), ['full.log', 'full.log.0', 'full.log.1', 'messages.log']);
  const quiet = await capAsteriskLogs({ dir: path.join(dir, 'missing'), maxBytes: 1000, keep: 2, rotate: async () => rotations++ });
  t.same(quiet, { rotated: false, removed: [] }, 'no log folder yet: nothing to do');
});

t.test('prompt durations: from the WAV header; digits and numbers estimated; unknown media undefined', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-snd-'));
  mkdirSync(path.join(dir, 'it'));
  // 8 kHz, 16-bit mono: 16,000 bytes a second; 2.5 s of silence
  const data = Buffer.alloc(40_000);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path.join(dir, 'it', 'welcome.wav'), Buffer.concat([header, data]));
  writeFileSync(path.join(dir, 'it', 'broken.wav'), 'not a wav');
  t.equal(wavDurationMs(path.join(dir, 'it', 'welcome.wav')), 2500);
  t.equal(wavDurationMs(path.join(dir, 'it', 'broken.wav')), undefined);
  const durations = new MediaDurations(dir);
  const d = durations.of;
  t.equal(d('sound:/opt/ivr/sounds/it/welcome'), 2500);
  t.equal(d('sound:/opt/ivr/sounds/it/missing'), undefined);
  t.equal(d('digits:0612345678'), 9000);
  t.ok((d('number:3') ?? 0) > 0);
  t.equal(d('tone:ring;tonezone=it'), undefined);
  t.notOk(existsSync(path.join(dir, 'it', 'missing.wav')));
  // a prompt built later (a reload, a closure message) is known once the cache is cleared
  writeFileSync(path.join(dir, 'it', 'missing.wav'), Buffer.concat([header, data]));
  t.equal(d('sound:/opt/ivr/sounds/it/missing'), undefined, 'cached until cleared');
  durations.clear();
  t.equal(d('sound:/opt/ivr/sounds/it/missing'), 2500);
});
