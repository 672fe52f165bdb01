// The IVR's timers come from the configuration: t-fast (test profile) has a 1 s ring and a
// 1.5 s menu time-out of its own, and a real call through Asterisk follows them. The real
// scale: the default 6 s menu time-out is measured here on t-open, the N x 5 s before the
// offer by ivr-ringing.test.ts.
import t from 'tap';
import path from 'node:path';
import { wavDurationMs } from '../../controller/prompts/durations';
import { agentReport, asteriskLog, asteriskPlays, assertNothingLeft, callEvents, callIvr, ivrctl, query, SOUNDS_DIR, startPhone } from './harness';
import { writePhoneScenario } from './scenarios';

const PASSWORD = 'Passw0rd-fast1';
const NUMBER = '0611000012';

t.before(async () => {
  const r = await ivrctl('operators', 'add', 'fast1', '--dp', 't-fast', '--role', 'staff', '--password', PASSWORD);
  if (r.code !== 0) throw new Error(`operators add fast1: ${r.stderr}`);
});

t.test('a 1 s ring: the phone rings 3 x 1 s, then the offer; the rings counted in the records', async (t) => {
  const phone = await startPhone({
    id: 'fast1',
    password: PASSWORD,
    port: 5091,
    rtpPort: 42100,
    rxScenario: writePhoneScenario(`phone-fast1-${Date.now()}`, { ringForever: true }),
  });
  const ani = '0612340091';
  const r = await callIvr({ number: NUMBER, ani, rtpPort: 42110, steps: [{ heard: 'dp/t-fast-welcome' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }] });
  t.equal(r.code, 0, 'caller: offered, booked, goodbye from the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  const p = await phone.stop();
  t.equal(p.code, 0, 'the phone rang and was cancelled', { report: p.code === 0 ? undefined : agentReport(p) });
  const ev = callEvents(ani);
  const started = Date.parse(ev.find((e) => e.type === 'ringing_started')!.at);
  const offer = Date.parse(ev.find((e) => e.type === 'offer')!.at);
  t.ok(offer - started >= 2900 && offer - started <= 3900, `offer ${offer - started} ms after the ringing started (3 rings of 1 s; 15 s at the real scale)`);
  t.match(ev.find((e) => e.type === 'ringing_ended')?.data, { answered: false, rings: 3 }, 'the flow counted 3 rings');
  t.match(query('SELECT status, ring_count FROM callbacks WHERE number = ?', ani), [{ status: 'pending', ring_count: 3 }], 'booked, with the rings heard');
  await assertNothingLeft(t);
});

t.test('a 1.5 s menu time-out: a silent caller hears the menu three times, 1.5 s of silence after each, then the goodbye', async (t) => {
  const from = asteriskLog().length;
  const ani = '0612340092';
  const r = await callIvr({ number: NUMBER, ani, rtpPort: 42112, steps: [{ pause: 500 }] });
  t.equal(r.code, 0, 'caller: the goodbye and the hang-up came from the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  const plays = asteriskPlays(from).filter((p) => /^PJSIP\/trunk-/.test(p.channel));
  const menus = plays.flatMap((p, i) => (p.file === 'it/menu-main' ? [i] : []));
  t.equal(menus.length, 3, `the menu three times (${plays.map((p) => p.file).join(', ')})`);
  const goodbye = plays.findIndex((p) => p.file === 'it/no-input-goodbye');
  t.ok(goodbye > menus.at(-1)!, 'then the goodbye');
  // each wait: from a menu's start to the next prompt's start, less what the menu played
  for (const [n, start] of menus.entries()) {
    const next = n + 1 < menus.length ? menus[n + 1]! : goodbye;
    const played = plays.slice(start, next).reduce((ms, p) => ms + (wavDurationMs(path.join(SOUNDS_DIR, `${p.file}.wav`)) ?? NaN), 0);
    const silence = plays[next]!.at - plays[start]!.at - played;
    t.ok(silence >= 1300 && silence <= 2600, `silence after menu ${n + 1}: ${silence} ms (1.5 s configured; 6 s at the real scale)`);
  }
  t.match(callEvents(ani).find((e) => e.type === 'no_input')?.data, { menu: 'main' }, 'recorded as no input at the main menu');
  await assertNothingLeft(t);
});

t.test('the real scale on t-open (production timers): 6 s of silence after the menu before it is repeated', async (t) => {
  const from = asteriskLog().length;
  const ani = '0612340093';
  const wav = (file: string): number => wavDurationMs(path.join(SOUNDS_DIR, `${file}.wav`)) ?? NaN;
  // silent through the welcome, the menu and its 6 s wait, then gone as the menu starts again
  const r = await callIvr({ number: '0611000001', ani, rtpPort: 42114, steps: [{ heard: 'it/menu-main' }, { heard: 'it/menu-main' }, { hangup: true }] });
  t.equal(r.code, 0, 'caller: silent, then hung up', { report: r.code === 0 ? undefined : agentReport(r) });
  const plays = asteriskPlays(from).filter((p) => /^PJSIP\/trunk-/.test(p.channel));
  const menus = plays.flatMap((p, i) => (p.file === 'it/menu-main' ? [i] : []));
  t.ok(menus.length >= 2, `the menu, then the menu again (${plays.map((p) => p.file).join(', ')})`);
  const played = plays.slice(menus[0], menus[1]).reduce((ms, p) => ms + wav(p.file), 0);
  const silence = plays[menus[1]!]!.at - plays[menus[0]!]!.at - played;
  t.ok(silence >= 5800 && silence <= 7100, `silence after the menu: ${silence} ms (menuTimeoutSeconds 6 by default)`);
  await assertNothingLeft(t);
});
