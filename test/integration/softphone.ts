// A real softphone as an operator's phone: baresip in the agents container, registered with
// digest auth like a desk phone, answering Asterisk's OPTIONS by itself, auto-answering and
// sending DTMF as RFC 4733 events (baresip's "sndcode"). Driven over its ctrl_tcp socket
// (netstrings of JSON): commands with a token and their response, and the call events
// (CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, ...) that the tests wait for.
import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AGENTS_CONTAINER, PODMAN, ari, eventually, run } from './harness';
import { SCEN_DIR } from './scenarios';

/** its voice: a tone longer than any test call (an aufile source that ends ends the call) */
const VOICE = '/scen/softphone-voice.wav';

export interface SoftphoneEvent {
  type: string;
  class?: string;
  direction?: string;
  peeruri?: string;
  param?: string;
  id?: string;
  [k: string]: unknown;
}

/** netstrings "<len>:<payload>," as baresip's ctrl_tcp frames them */
function* netstrings(buf: { data: Buffer }): Generator<string> {
  for (;;) {
    const colon = buf.data.indexOf(0x3a);
    if (colon < 0) return;
    const len = Number(buf.data.subarray(0, colon).toString());
    if (buf.data.length < colon + 1 + len + 1) return;
    const payload = buf.data.subarray(colon + 1, colon + 1 + len).toString();
    buf.data = buf.data.subarray(colon + 2 + len);
    yield payload;
  }
}

export class Softphone {
  readonly events: SoftphoneEvent[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly replies = new Map<string, (r: { ok: boolean; data: string }) => void>();
  private seq = 0;

  private constructor(
    readonly id: string,
    private readonly sock: net.Socket,
  ) {
    const buf = { data: Buffer.alloc(0) };
    sock.on('data', (d: Buffer) => {
      buf.data = Buffer.concat([buf.data, d]);
      for (const s of netstrings(buf)) {
        const m = JSON.parse(s) as { event?: boolean; response?: boolean; ok?: boolean; data?: string; token?: string } & SoftphoneEvent;
        if (m.response && m.token) this.replies.get(m.token)?.({ ok: !!m.ok, data: m.data ?? '' });
        else if (m.event) {
          this.events.push(m);
          for (const w of this.waiters.splice(0)) w();
        }
      }
    });
  }

  /**
   * Starts baresip as operator `id` (SIP on 127.0.0.1:sipPort, control on ctrlPort) and
   * resolves once Asterisk sees the phone registered and idle.
   */
  static async start(o: { id: string; password: string; sipPort: number; ctrlPort: number; rtpPorts: [number, number] }): Promise<Softphone> {
    const voice = await run('podman', [...PODMAN, 'exec', AGENTS_CONTAINER, 'sh', '-c', `[ -f ${VOICE} ] || sox -n -r 8000 -c 1 -b 16 ${VOICE} synth 600 sine 523 vol 0.5`], {
      timeoutMs: 30_000,
    });
    if (voice.code !== 0) throw new Error(`the softphone's voice file: ${voice.stderr}`);
    const dir = path.join(SCEN_DIR, `baresip-${o.id}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'config'),
      [
        `sip_listen 127.0.0.1:${o.sipPort}`,
        // its address is the loopback's: without this it takes the default route's interface,
        // and in a test stack's network namespace (loopback only) it would have none to register from
        'net_interface 127.0.0.1',
        'net_af ipv4',
        `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
        `rtp_ports ${o.rtpPorts[0]}-${o.rtpPorts[1]}`,
        'module_path /usr/lib/baresip/modules',
        // no sound card: it plays a tone file as its voice (RTP, and the RFC 4733 events go
        // out with the audio it sends: a silent source sends neither) and hears nothing
        'module g711.so',
        'module aufile.so',
        'module aubridge.so',
        'module_app account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        'audio_player aubridge,nil',
        `audio_source aufile,${VOICE}`,
        'audio_alert aubridge,nil',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'accounts'), `<sip:${o.id}@127.0.0.1:5060;transport=udp>;auth_pass=${o.password};answermode=auto;regint=60;audio_codecs=PCMU\n`);
    // its output and SIP trace are kept next to its config, for a failure's report
    const started = await run('podman', [...PODMAN, 'exec', '-d', AGENTS_CONTAINER, 'sh', '-c', `exec baresip -s -f /scen/baresip-${o.id} > /scen/baresip-${o.id}/out.log 2>&1`], {
      timeoutMs: 30_000,
    });
    if (started.code !== 0) throw new Error(`baresip ${o.id} did not start: ${started.stderr}`);
    const sock = await eventually(
      `baresip ${o.id} control socket`,
      () =>
        new Promise<net.Socket | undefined>((resolve) => {
          const s = net.connect(o.ctrlPort, '127.0.0.1');
          s.once('connect', () => resolve(s));
          s.once('error', () => resolve(undefined));
        }),
      10_000,
    );
    const phone = new Softphone(o.id, sock);
    try {
      await eventually(
        `${o.id} (baresip) registered and idle`,
        async () => {
          const [ep, ds] = await Promise.all([ari<{ state: string }>(`/endpoints/PJSIP/${o.id}`), ari<{ state: string }>(`/deviceStates/PJSIP%2F${o.id}`)]);
          return ep.state === 'online' && ds.state === 'NOT_INUSE';
        },
        15_000,
      );
    } catch (err) {
      // the caller gets no phone to stop: its process and our socket would outlive the test
      await phone.stop();
      throw err;
    }
    return phone;
  }

  /** A ctrl_tcp command ("sndcode", "hangup", "dial", ...); resolves with its response. */
  command(command: string, params = ''): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.seq}`;
    const payload = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`baresip ${this.id}: no response to ${command}`)), 5000);
      this.replies.set(token, (r) => {
        clearTimeout(timer);
        this.replies.delete(token);
        resolve(r);
      });
      this.sock.write(`${Buffer.byteLength(payload)}:${payload},`);
    });
  }

  /** Keys digits as RFC 4733 events, one at a time, like a person on a keypad. */
  async keys(digits: string): Promise<void> {
    for (const d of digits) {
      const r = await this.command('sndcode', d);
      if (!r.ok) throw new Error(`baresip ${this.id}: sndcode ${d} refused: ${r.data}`);
      await new Promise((res) => setTimeout(res, 400));
    }
  }

  /** The first event of `type` after index `from` (matching `match`), waiting up to timeoutMs. */
  async waitFor(type: string, o: { from?: number; timeoutMs?: number; match?: (e: SoftphoneEvent) => boolean } = {}): Promise<SoftphoneEvent> {
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    for (;;) {
      const e = this.events.slice(o.from ?? 0).find((x) => x.type === type && (!o.match || o.match(x)));
      if (e) return e;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`baresip ${this.id}: no ${type} within ${o.timeoutMs ?? 30_000} ms (events: ${this.events.map((x) => x.type).join(', ')})`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** Quits baresip (it unregisters first). */
  async stop(): Promise<void> {
    await this.command('quit').catch(() => undefined);
    this.sock.destroy();
    await run('podman', [...PODMAN, 'exec', AGENTS_CONTAINER, 'sh', '-c', `pkill -f "baresip -s -f /scen/baresip-${this.id}" || true`], { timeoutMs: 15_000 });
  }
}
