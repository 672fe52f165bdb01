import t from 'tap';
import { checkCallbackNumber, nationalFromCallerId } from '../../controller/callbacks/numbering-plan';

t.test('geographic and mobile numbers are accepted', async (t) => {
  for (const n of ['0612345678', '021234567', '0412345', '08112345678', '3351234567', '333123456', '0612345'])
    t.same(checkCallbackNumber(n), { ok: true, number: n }, n);
});

t.test('refusals carry the reason the caller is told', async (t) => {
  const cases: Array<[string, string]> = [
    ['+441234567890', 'international'], ['00441234567890', 'international'], ['0039061234567', 'international'],
    ['899123456', 'premium'], ['892892', 'premium'], ['848123456', 'premium'], ['840123456', 'premium'],
    ['199123456', 'premium'], ['178123456', 'premium'], ['144123456', 'premium'], ['166123456', 'premium'],
    ['4123456', 'premium'], ['412', 'premium'],
    ['112', 'short'], ['113', 'short'], ['1500', 'short'], ['12345', 'short'], ['0612', 'short'],
    ['800123456', 'invalid'], ['5123456', 'invalid'], ['06123456789012', 'invalid'], ['3351234', 'invalid'],
    ['33512345678', 'invalid'], ['', 'invalid'], ['06*123', 'invalid'], ['0612345678901', 'invalid'],
  ];
  for (const [n, reason] of cases) t.same(checkCallbackNumber(n), { ok: false, reason }, `${n || '(empty)'} -> ${reason}`);
});

t.test('caller id normalisation', async (t) => {
  t.equal(nationalFromCallerId('+390612345678'), '0612345678');
  t.equal(nationalFromCallerId('00393351234567'), '3351234567');
  t.equal(nationalFromCallerId('0612345678'), '0612345678');
  t.equal(nationalFromCallerId('+33123456789'), '+33123456789', 'foreign kept, refused later as international');
  for (const bad of ['', 'anonymous', 'Anonymous', 'unknown', 'st1', '06-123']) t.equal(nationalFromCallerId(bad), undefined, bad);
});
