// The shared part of the controller-kill fault files (controller-kill*.test.ts): the SIGKILL
// and restart a sysadmin's service would do, the proof that a caller in flight heard the
// apology, and the database checks after all the kills of a file.
import type { Test } from 'tap';
import { callbackAgents } from '../integration/callback-agents';
import { agentReport, assertApologyHeard, asteriskLog, callIvr, ivrctl, openDb, query, stack, waitForRow } from '../integration/harness';
import type { CallerStep } from '../integration/scenarios';

export const OPEN = '0611000001'; // t-open: staff ring, 2 rings (10 s) before the offer
export const NOBODY = '0611000002'; // t-empty: nobody registered, the offer at once
export const PASS = 'Fault-pass-01';

export const callOf = (ani: string): { id: string; end_reason: string | null } | undefined =>
  query<{ id: string; end_reason: string | null }>('SELECT id, end_reason FROM calls WHERE caller = ? ORDER BY started_at DESC LIMIT 1', ani)[0];

export const eventSeen = (ani: string, type: string, extra = ''): Promise<unknown> =>
  waitForRow(`${type} recorded for ${ani}`, `SELECT 1 AS ok FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.caller = ? AND e.type = ? ${extra}`, [ani, type], 20_000);

/**
 * One file's kit: its SIP agents (on its own RTP ports), an operator of t-open of its own
 * (added before its tests), the kill-and-restart, and the apology check against the last kill.
 */
export function killKit(tap: { before(fn: () => Promise<void>): void; teardown(fn: () => void): void }, o: { rtpBase: number; operator: string }) {
  const agents = callbackAgents(o.rtpBase);
  const restarts: number[] = [];
  /** where Asterisk's log stood at the last kill, and when: what it played since */
  let logAtKill = 0;
  let killedAt = 0;

  tap.before(async () => {
    const r = await ivrctl('operators', 'add', o.operator, '--dp', 't-open', '--role', 'staff', '--password', PASS);
    if (r.code !== 0) throw new Error(`operators add ${o.operator}: ${r.stderr}`);
  });
  tap.teardown(() => {
    if (restarts.length) console.log(`# controller kill -> ready again: ${restarts.map((ms) => `${ms} ms`).join(', ')}`);
  });

  /** SIGKILL, then the same start the sysadmin's service would do; resolves when it is ready. */
  async function killAndRestart(t: Test): Promise<number> {
    logAtKill = asteriskLog().length;
    killedAt = Date.now();
    t.equal((await stack('controller-stop', { KILL: '1' })).code, 0, 'controller killed (SIGKILL)');
    const t0 = Date.now();
    const start = await stack('controller-start');
    t.equal(start.code, 0, 'controller restarted and ready', { out: start.code === 0 ? undefined : start.stdout + start.stderr });
    restarts.push(Date.now() - t0);
    return Date.now();
  }

  /** A caller follows the steps, then waits for the PBX to hang up; the kill comes while it waits. */
  function caller(number: string, ani: string, steps: CallerStep[]) {
    return callIvr({ number, ani, rtpPort: agents.nextRtp(), steps, timeoutMs: 90_000 });
  }

  /** The caller heard the apology after the kill: that prompt played, its sound reached the caller, then the PBX's BYE at its end. */
  async function heardApology(t: Test, pending: ReturnType<typeof caller>, restartedAt: number): Promise<void> {
    const r = await pending;
    const hungUpAt = Date.now();
    t.equal(r.code, 0, 'the caller was not stranded: the PBX ended the call', { report: r.code === 0 ? undefined : agentReport(r) });
    // once the prompt that was playing has ended (Asterisk continues in the dialplan after the
    // channel's current playback: the longest prompt is ~17 s)
    assertApologyHeard(t, r.rtp, hungUpAt, logAtKill, killedAt, restartedAt - killedAt + 20_000);
  }

  return { ...agents, killAndRestart, caller, heardApology };
}

/** After all the kills of a file: the database intact, consistent, nothing left open. */
export function assertDatabaseIntact(t: Test): void {
  const db = openDb();
  try {
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'PRAGMA integrity_check');
    t.same(db.pragma('foreign_key_check'), [], 'PRAGMA foreign_key_check');
    const dup = db.prepare('SELECT callback_id, COUNT(*) AS n FROM callback_attempts WHERE ended_at IS NULL GROUP BY callback_id HAVING n > 1').all();
    t.same(dup, [], 'never two live attempts for one request');
    t.same(db.prepare('SELECT id FROM calls WHERE ended_at IS NULL').all(), [], 'no call left open');
  } finally {
    db.close();
  }
}
