// Benchmark: from an operator becoming free to the INVITE of the next callback reaching
// their phone, measured at the phone (SIPp's message trace: both instants on one clock).
// Needs the test stack (test/bench/run.sh starts it). N requests are queued for the test
// directorate t-cb; one operator phone takes them one after the other: it answers, keys 1
// at the whisper, the callee confirms and hangs up, the operator hangs up (free), and the
// next callback's INVITE arrives. Also: from the phone's registration to its first INVITE.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { openDatabase } from '../../controller/storage/database';
import { STATE_DIR, seededPassword, startCallee, startPhone, waitForRow } from '../integration/harness';
import { writeAnsweringScenario } from '../integration/scenarios';
import { figure, percentile } from './figure';
import { bookingRequest } from '../fixtures/booking-request';

const N = Number(process.argv[2] ?? 30);

function queue(n: number): void {
  const db = openDatabase(path.join(STATE_DIR, 'ivr.db'));
  const repo = new CallbacksRepo(db);
  const now = new Date();
  for (let i = 0; i < n; i++) {
    const r = repo.book(
      bookingRequest(now, {
        dp: 't-cb',
        number: `06123600${String(i).padStart(2, '0')}`,
        menuPath: 'bench',
        dayStart: new Date(now.getTime() - 86_400_000),
        maxPerNumberPerDay: 99,
        dailyCapacity: 100_000,
      }),
    );
    if (!r.ok) throw new Error(`booking ${i}: ${r.reason}`);
  }
  db.close();
}

/** (time, direction, first line) of every SIP message in a SIPp -trace_msg file */
function trace(file: string): Array<{ at: number; sent: boolean; line: string }> {
  const out: Array<{ at: number; sent: boolean; line: string }> = [];
  const blocks = readFileSync(file, 'utf8')
    .split(/^-{20,} /m)
    .slice(1);
  for (const b of blocks) {
    const [stamp, dir, , first] = b.split('\n');
    out.push({ at: Date.parse(stamp!.trim()), sent: /message sent/.test(dir ?? ''), line: (first ?? '').trim() });
  }
  return out;
}

async function main(): Promise<void> {
  queue(N);
  const callee = await startCallee({
    scenario: writeAnsweringScenario('bench-callee', { answerAfterMs: 200, steps: [{ pause: 300 }, { info: '1' }, { pause: 600 }, { bye: true }] }),
    rtpPort: 46000,
    calls: N,
    timeoutMs: N * 6000 + 30_000,
  });
  const phone = await startPhone({
    id: 'cb1',
    password: seededPassword('cb1'),
    port: 5091,
    rtpPort: 46002,
    busyAtOnce: true,
    maxCalls: N + 1,
    rxScenario: writeAnsweringScenario('bench-operator', { answerAfterMs: 0, steps: [{ pause: 200 }, { info: '1' }, { pause: 1500 }, { bye: true }] }),
    holdMs: N * 3500 + 5000,
  });
  await waitForRow(
    'all callbacks done',
    "SELECT 1 AS ok FROM callbacks WHERE dp = 't-cb' AND menu_path = 'bench' GROUP BY dp HAVING SUM(status = 'done') = ?",
    [N],
    N * 6000 + 30_000,
  );
  const [p] = await Promise.all([phone.done, callee.done]);
  const file = readdirSync(p.logDir).find((f) => f.endsWith('_messages.log'));
  if (!file) throw new Error(`no message trace in ${p.logDir}`);
  const msgs = trace(path.join(p.logDir, file));
  const freeToInvite: number[] = [];
  let firstInvite: number | undefined;
  const registered = msgs.find((m) => !m.sent && m.line.startsWith('SIP/2.0 200'))?.at;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    if (!m.sent && m.line.startsWith('INVITE')) firstInvite ??= m.at;
    if (!(m.sent && m.line.startsWith('BYE'))) continue;
    const next = msgs.slice(i + 1).find((x) => !x.sent && x.line.startsWith('INVITE'));
    if (next) freeToInvite.push(next.at - m.at);
  }
  freeToInvite.sort((a, b) => a - b);
  console.log(
    `dispatch: operator free (their BYE) -> next callback INVITE at their phone, ${freeToInvite.length} samples: p50 ${percentile(freeToInvite, 50)} ms, p99 ${percentile(freeToInvite, 99)} ms, max ${freeToInvite[freeToInvite.length - 1]} ms (target p99 < 250 ms: ${(percentile(freeToInvite, 99) / 250).toFixed(2)} of it)`,
  );
  figure('dispatch: operator free -> next callback INVITE at the phone, p50 / p99', `${percentile(freeToInvite, 50)} / ${percentile(freeToInvite, 99)} ms`, 'p99 < 250 ms');
  if (registered && firstInvite) console.log(`dispatch: operator phone registered -> first callback INVITE: ${firstInvite - registered} ms`);
}

main().catch((err: Error) => {
  console.error(`dispatch bench: ${err.message}`);
  process.exit(1);
});
