// The Italian numbering plan as the office calls back: every range of geographic, mobile and
// nomadic numbers accepted; premium, shared-cost, personal, free-phone, short, international
// and unallocated ranges refused with the reason the caller is told.
import t from 'tap';
import { callerIdNumber, checkCallbackNumber, nationalFromCallerId } from '../../controller/numbering/numbering-plan';
import { printable } from '../../controller/cli/format';

t.test('every geographic area (0 + the area code) and every mobile range (3xx, 43x) is accepted', async (t) => {
  // one subscriber-length number in each first-digit area of the geographic plan (01..09)
  for (const n of [
    '0112345678',
    '021234567',
    '0312345678',
    '0412345',
    '0512345678',
    '0612345678',
    '0712345678',
    '08112345678',
    '0912345678',
    '0556781234',
    '0881123456',
    '0612345',
    '06123456789',
  ])
    t.same(checkCallbackNumber(n), { ok: true, number: n }, `geographic ${n}`);
  // mobile: TIM, Vodafone, WindTre, Iliad, MVNOs... 31x to 39x, and the newer 43x ranges
  for (const prefix of [
    '310',
    '313',
    '320',
    '324',
    '328',
    '330',
    '333',
    '335',
    '339',
    '340',
    '342',
    '345',
    '347',
    '349',
    '350',
    '351',
    '366',
    '370',
    '373',
    '375',
    '377',
    '379',
    '380',
    '388',
    '389',
    '391',
    '392',
    '393',
    '399',
    '431',
    '433',
    '435',
  ])
    t.same(checkCallbackNumber(`${prefix}1234567`), { ok: true, number: `${prefix}1234567` }, `mobile ${prefix}`);
  t.same(checkCallbackNumber('333123456'), { ok: true, number: '333123456' }, 'a 9-digit mobile number');
});

t.test('refusals carry the reason the caller is told', async (t) => {
  const cases: Array<[string, string]> = [
    ['+441234567890', 'international'],
    ['00441234567890', 'international'],
    ['0039061234567', 'international'],
    ['899123456', 'premium'],
    ['892892', 'premium'],
    ['848123456', 'premium'],
    ['840123456', 'premium'],
    ['199123456', 'premium'],
    ['178123456', 'premium'],
    ['144123456', 'premium'],
    ['166123456', 'premium'],
    // televoting (0878) costs like premium: it used to pass as a geographic number
    ['087812345', 'premium'],
    ['0878123456', 'premium'],
    ['112', 'short'],
    ['113', 'short'],
    ['1500', 'short'],
    ['12345', 'short'],
    ['0612', 'short'],
    ['412', 'short'],
    // free-phone numbers reach a service, not a person; 30x and 4x (but 43x) are not subscribers' ranges
    ['800123456', 'invalid'],
    ['803123', 'invalid'],
    ['3001234567', 'invalid'],
    ['3091234567', 'invalid'],
    ['4123456', 'invalid'],
    ['5123456', 'invalid'],
    ['06123456789012', 'invalid'],
    ['3351234', 'invalid'],
    ['33512345678', 'invalid'],
    ['', 'invalid'],
    ['06*123', 'invalid'],
    ['0612345678901', 'invalid'],
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

t.test("caller-controlled strings lose their control characters: caller ids shown on phones, cells of ivrctl's tables", async (t) => {
  t.equal(callerIdNumber('+390612345678'), '+390612345678');
  t.equal(callerIdNumber('0612"345678'), '0612345678', 'a quote would end the display name on the phone');
  t.equal(callerIdNumber('\u001b[31m0612345678\u001b[0m'), '31m06123456780m', 'no escape character is left');
  t.equal(callerIdNumber('st1'), 'st1', "an operator's id when an operator dials a directorate");
  t.equal(callerIdNumber('anonymous'), undefined);
  t.equal(callerIdNumber('\r\n'), undefined);
  t.equal(callerIdNumber('9'.repeat(100))?.length, 32);
  t.equal(printable('nota \u001b[2J\u001b[Hcancellata\r\nriga falsa\u009b'), 'nota ?[2J?[Hcancellata??riga falsa?');
});
