// Callback booking through the IVR with real SIP agents: nobody can answer, the offer,
// booking on the calling number, the row committed before the confirmation.
import t from 'tap';
import { agentReport, assertNothingLeft, callEvents, callIvr, query } from './harness';

t.test('nobody registered: the offer comes at once; 1 books the calling number', async (t) => {
  const ani = '0612340001';
  const r = await callIvr({
    number: '0611000002',
    ani,
    rtpPort: 41100,
    steps: [{ heard: 'dp/t-empty-welcome' }, { keys: '1' }, { heard: 'it/no-operator-online' }, { keys: '1' }],
  });
  t.equal(r.code, 0, 'the PBX ended the call after the confirmation', { report: r.code === 0 ? undefined : agentReport(r) });
  const rows = query<{ id: number; dp: string; number: string; status: string; language: string; menu_path: string; ring_count: number | null; call_id: string }>(
    'SELECT * FROM callbacks WHERE number = ?',
    ani,
  );
  t.equal(rows.length, 1, 'one booking');
  t.match(rows[0], { dp: 't-empty', number: ani, status: 'pending', language: 'it', menu_path: '1,offer:1', ring_count: null });
  const types = callEvents(ani).map((e) => e.type);
  t.ok(types.includes('operators') && types.indexOf('offer') > types.indexOf('operators'), 'offered after finding no operator');
  t.notOk(types.includes('ringing_started'), 'no phone rang');
  t.ok(types.includes('booked'), 'booking recorded in the call log');
  t.ok(r.rtp.voicedBytes > 8000, 'the caller heard the prompts');
  await assertNothingLeft(t);
});
