import t from 'tap';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../controller/config/load';
import { digestHa1, renderDirectorateExtensions, renderPjsipOperators } from '../../controller/provisioning/asterisk-includes';
import { ensureSecrets } from '../../controller/provisioning/secrets';
import { describeHours, promptManifest } from '../../controller/prompts/catalog';
import { OperatorsService } from '../../controller/operators/operators-service';
import { Provisioner } from '../../controller/provisioning/provisioner';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { MetaRepo } from '../../controller/storage/meta-repo';
import { OperatorsRepo } from '../../controller/storage/operators-repo';
import { ValidationError } from '../../controller/errors';

const root = path.resolve(__dirname, '..', '..', '..');
const demo = loadConfig(path.join(root, 'config', 'demo.yaml'));

t.test('digest HA1 is md5(user:realm:password) (RFC 2617 example)', async (t) => {
  t.equal(digestHa1('Mufasa', 'Circle Of Life', 'testrealm@host.com'), '939e7578ed9e3c518a452acee763bce9');
});

t.test('PJSIP include: endpoint, auth with the HA1 only, AOR per operator', async (t) => {
  const text = renderPjsipOperators([{ id: 'sw1', dp: 'demo-sw', role: 'switchboard', unit: null, ha1: 'abc123', paused: false, pausedAt: null, createdAt: '', updatedAt: '' }]);
  t.match(text, /\[sw1\]\(operator-endpoint\)\nauth = sw1-auth\naors = sw1/);
  t.match(text, /\[sw1-auth\]\(operator-auth\)\nusername = sw1\nmd5_cred = abc123/);
  t.match(text, /\[sw1\]\(operator-aor\)/);
  t.notMatch(text, /password/);
});

t.test('dialplan include: each number enters Stasis for its directorate, then the apology', async (t) => {
  const text = renderDirectorateExtensions(demo);
  t.match(text, /exten => 0600000001,1,Set\(__IVR_DP=demo-sw\)/);
  t.match(text, /Stasis\(ivr,inbound,demo-sw\)\n same => n,Goto\(ivr-fallback,s,1\)/);
  t.match(text, /exten => 0200000002,1,Set\(__IVR_DP=demo-st\)/);
  t.notMatch(text, /Dial\(/, 'no path from a caller to an outbound call');
});

t.test('secrets: generated once, 0600, stable afterwards', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-sec-'));
  const a = ensureSecrets(dir);
  const b = ensureSecrets(dir);
  t.same(a, b);
  t.ok(a.ari.password.length >= 20);
  t.not(a.ari.password, a.ami.secret);
  t.equal(statSync(path.join(dir, 'secrets.json')).mode & 0o777, 0o600);
});

t.test('spoken hours group days and name holidays', async (t) => {
  const sw = demo.directorates.find((d) => d.id === 'demo-sw')!;
  const st = demo.directorates.find((d) => d.id === 'demo-st')!;
  t.equal(describeHours(sw.hours, 'it'), 'dal lunedì al venerdì dalle 9 alle 13, esclusi i giorni festivi');
  t.equal(describeHours(sw.hours, 'en'), 'Monday to Friday from 9 to 13, except public holidays');
  t.equal(describeHours(st.hours, 'it'), 'tutti i giorni a qualsiasi ora');
  const split = { ...sw.hours, nationalHolidays: false, weekly: { mon: ['08:30-12:00', '14:00-16:00'], tue: ['08:30-12:00', '14:00-16:00'], thu: ['09:00-13:00'] } };
  t.equal(describeHours(split, 'it'), 'dal lunedì al martedì dalle 8 e 30 alle 12 e dalle 14 alle 16; il giovedì dalle 9 alle 13');
});

t.test('prompt manifest covers every directorate welcome and fallback', async (t) => {
  const paths = promptManifest(demo, root).map((p) => p.path);
  for (const p of ['dp/demo-sw-welcome', 'dp/demo-sw-fallback', 'dp/demo-st-welcome', 'dp/demo-st-fallback', 'it/fallback-generic']) t.ok(paths.includes(p), p);
  t.match(promptManifest(demo, root).find((p) => p.path === 'dp/demo-sw-fallback')!.text, /dal lunedì al venerdì dalle 9 alle 13/);
});

t.test('operators service validates against the configuration and seeds once', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-ops-'));
  const db = openDatabase(path.join(dir, 'o.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const repo = new OperatorsRepo(db);
  const meta = new MetaRepo(db);
  const svc = new OperatorsService(demo, repo, meta, new Provisioner(dir, demo, repo));
  const seeded = svc.seedOnce();
  t.same(
    seeded.map((s) => s.id),
    demo.operators.map((o) => o.id),
  );
  t.equal(repo.get('sw1')?.ha1, digestHa1('sw1', seeded[0]!.password), 'the stored HA1 matches the generated password');
  svc.remove('st2');
  t.same(svc.seedOnce(), [], 'a second start does not recreate a removed operator');
  t.throws(() => svc.create({ id: 'x', dp: 'nowhere', role: 'staff' }), ValidationError);
  t.throws(() => svc.create({ id: 'x', dp: 'demo-st', role: 'switchboard' }), /has no switchboard/);
  t.throws(() => svc.create({ id: 'x', dp: 'demo-sw', role: 'unit', unit: 'nope' }), /unknown unit "nope"/);
  t.throws(() => svc.create({ id: 'Bad Id', dp: 'demo-sw', role: 'staff' }), /operator id "Bad Id"/);
  t.throws(() => svc.create({ id: 'x', dp: 'demo-sw', role: 'staff', password: 'short' }), /at least 12/);
  t.throws(() => svc.create({ id: 'x', dp: 'demo-sw', role: 'staff', password: 'elevenchars' }), /at least 12 characters/, '11 characters are not enough');
  t.throws(() => svc.create({ id: 'sw1', dp: 'demo-sw', role: 'staff' }), /already exists/);
  const { changed } = new Provisioner(dir, demo, repo).writeAll();
  t.ok(changed.includes('pjsip-operators.conf'));
  const inc = readFileSync(path.join(dir, 'asterisk', 'pjsip-operators.conf'), 'utf8');
  t.match(inc, /\[sw1\]\(operator-endpoint\)/);
  t.notMatch(inc, /\[st2\]/, 'the removed operator is gone from the include');
  t.same(new Provisioner(dir, demo, repo).writeAll().changed, [], 'nothing rewritten when nothing changed');
  t.notMatch(readFileSync(path.join(dir, 'asterisk', 'asterisk-options.conf'), 'utf8'), /systemname/, 'one box: no system name');
  t.same(new Provisioner(dir, demo, repo, 'b').writeAll().changed, ['asterisk-options.conf'], "a cluster's node b: only Asterisk's options change");
  t.match(readFileSync(path.join(dir, 'asterisk', 'asterisk-options.conf'), 'utf8'), /^systemname = b$/m, 'its id prefixes the unique ids of its channels');
});
