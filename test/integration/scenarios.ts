// SIPp scenarios written per test: a caller that follows a script of pauses and keys, and
// operator phones that register and then answer (after a delay), ring forever, or refuse.
// They are written into the state dir, which the agents container sees as /scen.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCEN_DIR } from './harness';

export { SCEN_DIR };
/** duration of one RFC 4733 digit sent by a test caller */
const DTMF_MS = 120;

/**
 * A caller's step. voice: start sending a tone as the caller's voice from here (after the
 * bridge's re-INVITE); talk: speak (the tone) for that long, a conversation's length, which
 * is what the scenario is about, never a guess at when something happens;
 * heard: wait until Asterisk starts playing this prompt (e.g. it/menu-main) to the caller: the
 * test watches Asterisk's log and tells the caller with a NOTIFY in its dialog (callIvr), so
 * the next key is pressed on the event, not after a pause guessed from the prompts' length;
 * cue: wait until the test body says so (harness cue(name)), once what it waits for has
 * happened (a row, a reload, a transfer answered).
 * pause: a deliberate silence of the caller (it says nothing for that long: a time-out is
 * what is under test), never a wait for the PBX.
 */
export type CallerStep = { pause: number } | { keys: string } | { voice: true } | { talk: number } | { hangup: true } | { heard: string } | { cue: string };

/** Where an agent waits for the test: a prompt starting on its leg, or the test body's cue; busyMs: how long its steps before keep it busy. */
export type Direction = { busyMs: number } & ({ prompt: string } | { cue: string });

/**
 * The waits of a script in order, each with how long the agent is busy with the steps before
 * it (since the wait before, or since it answered: startMs): the NOTIFY that ends a wait must
 * not arrive while the agent still sends keys or pauses, which would abort it.
 */
function directionsOf<S extends object>(steps: readonly S[], busyOf: (s: S) => number, startMs = 0): Direction[] {
  const out: Direction[] = [];
  let busy = startMs;
  for (const s of steps) {
    if ('heard' in s) out.push({ prompt: s.heard as string, busyMs: busy });
    else if ('cue' in s) out.push({ cue: s.cue as string, busyMs: busy });
    else {
      busy += busyOf(s);
      continue;
    }
    busy = 0;
  }
  return out;
}

/**
 * How long a step keeps an agent busy: a pause, a talk, its keys being sent (play_dtmf
 * returns at once and sends one digit every 240 ms), its SIP INFO keys (each answered, then a
 * 300 ms gap).
 */
const stepMs = (s: CallerStep | AnswerStep): number =>
  'pause' in s ? s.pause : 'talk' in s ? s.talk : 'keys' in s ? s.keys.length * 2 * DTMF_MS + 200 : 'info' in s ? s.info.length * 400 : 0;
export const callerDirections = (steps: readonly CallerStep[]): Direction[] => directionsOf(steps, stepMs);

/** The SIPp steps of a script's keys (RFC 4733), voice, talk, wait (heard, cue) and pause steps, shared by callers and answering agents. */
function commonStep(
  s: { pause: number } | { keys: string } | { voice: true } | { talk: number } | { heard: string } | { cue: string },
  voicing: { on: boolean },
  waitMs: number,
): string {
  // wait for the last digit, so the next step's keys never interleave with these
  if ('keys' in s) return `\n  <nop><action><exec play_dtmf="${s.keys},${DTMF_MS}"/></action></nop>\n  <pause milliseconds="${stepMs(s)}"/>`;
  if ('pause' in s) return `\n  <pause milliseconds="${s.pause}"/>`;
  if ('heard' in s || 'cue' in s) return notified(waitMs);
  // the tone loops until the call ends: started once
  const voice = voicing.on ? '' : '\n  <nop><action><exec rtp_stream="/scen/voice.wav,-1,0"/></action></nop>';
  voicing.on = true;
  return 'talk' in s ? `${voice}\n  <pause milliseconds="${s.talk}"/>` : voice;
}

/** 200 OK to the request just received (a NOTIFY of the test, a BYE) */
const ok200 = `
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>`;

/** A notification to a SIPp agent inside one of its dialogs, answered 200: the test's event reached it. */
const notified = (timeoutMs: number): string => `
  <recv request="NOTIFY" timeout="${timeoutMs}"/>${ok200}`;

/** dtmfPt: the telephone-event payload type; an answer keeps the offer's (Asterisk offers 101) */
const sdp = (ip: string, port: string, version: number, dtmfPt = 96): string => `v=0
      o=agent 1 ${version} IN IP4 ${ip}
      s=-
      c=IN IP4 ${ip}
      t=0 0
      m=audio ${port} RTP/AVP 0 ${dtmfPt}
      a=rtpmap:0 PCMU/8000
      a=rtpmap:${dtmfPt} telephone-event/8000
      a=fmtp:${dtmfPt} 0-16
      a=sendrecv`;

/** A phone's or callee's 180 Ringing, with the test's media address (and extra headers). */
const ringing180 = (extra = ''): string => `
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag10[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[service]@[local_ip]:[local_port]>
      X-Test-Media: [$rtp_ip]:[$rtp_port]${extra}
      Content-Length: 0
    ]]>
  </send>`;

/** The 200 OK answering an INVITE, media at the test's RTP peer. */
const answer200 = (dtmfPt?: number): string => `<send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag10[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp('[$rtp_ip]', '[$rtp_port]', 1, dtmfPt)}
    ]]>
  </send>`;

/** Answers a re-INVITE at any point (Asterisk sends one when bridging), then goes back. */
const reinviteBlock = (back: string, contact: string): string => `
  <label id="reinvite"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:${contact}@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp('[$rtp_ip]', '[$rtp_port]', 2)}
    ]]>
  </send>
  <recv request="ACK" next="${back}"/>`;

const okToBye = `
  <label id="bye"/>${ok200}`;

/**
 * An outside caller: INVITE, answered, then the steps (pauses, keys as RFC 4733 events, a
 * tone as its voice), then either hangs up itself or waits for the PBX to hang up. Its ACK
 * and BYE go to the answer's Contact along its Record-Route, as a real phone's do (through the
 * cluster's edge).
 * Variables: rtp_ip, rtp_port, ani. With `load`, one scenario serves many calls at once
 * (benchmarks, the INVITE flood): each call its own caller number (0612 + SIPp's call
 * number) and its own RTP port from SIPp's range (run it with -mi and -min_rtp_port).
 */
export function writeCallerScenario(name: string, steps: CallerStep[], opts: { waitByeMs?: number; load?: boolean } = {}): string {
  const ani = opts.load ? '0612[call_number]' : '[$ani]';
  const media = opts.load ? sdp('[media_ip]', '[rtpstream_audio_port]', 1) : sdp('[$rtp_ip]', '[$rtp_port]', 1);
  let body = '';
  let hangsUp = false;
  const voicing = { on: false };
  for (const s of steps) {
    if ('hangup' in s) hangsUp = true;
    else body += commonStep(s, voicing, 60_000);
  }
  const ending = hangsUp
    ? `
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${ani}@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      [routes]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" next="end"/>`
    : `
  <label id="wait"/>
  <recv request="INVITE" optional="true" next="reinvite" timeout="${opts.waitByeMs ?? 90000}"/>
  <recv request="BYE" next="bye"/>${reinviteBlock('wait', ani)}${okToBye}`;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- generated by test/integration/scenarios.ts: ${name} -->
<scenario name="${name}">
${opts.load ? '' : '  <Global variables="rtp_ip,rtp_port,ani"/>'}
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${ani}@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:${ani}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      ${media}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${ani}@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      [routes]
      Contact: <sip:${ani}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>${body}${ending}
  <label id="end"/>
</scenario>
`;
  return write(`${name}.xml`, xml);
}

export type PhoneBehaviour = { answerAfterMs: number } | { ringForever: true } | { reject: 486 | 603 };

/**
 * An operator phone's incoming side (-rxsf): rings, then answers and waits for the BYE; or
 * rings until CANCEL; or refuses. Its media is the test's RTP peer at rtp_ip:rtp_port,
 * which also speaks (operators' endpoints use symmetric RTP: Asterisk sends where the
 * phone's audio comes from, so the phone's audio must come from the advertised port).
 */
export function writePhoneScenario(name: string, b: PhoneBehaviour): string {
  // to refuse a CANCELled INVITE with 487 the phone needs that INVITE's Via and CSeq
  const capture =
    'ringForever' in b
      ? `
    <action>
      <ereg regexp=".*" search_in="hdr" header="Via:" check_it="true" assign_to="via"/>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" check_it="true" assign_to="cseq"/>
    </action>`
      : '';
  const ringing = `
  <recv request="INVITE" crlf="true">${capture}
  </recv>
${ringing180()}`;
  let rest: string;
  if ('reject' in b) {
    rest = `
  <send>
    <![CDATA[
      SIP/2.0 ${b.reject} ${b.reject === 486 ? 'Busy Here' : 'Decline'}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag10[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>`;
  } else if ('ringForever' in b) {
    rest = `
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag10[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      Via: [$via]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag10[call_number]
      [last_Call-ID:]
      CSeq: [$cseq] INVITE
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>`;
  } else {
    rest = `
  <pause milliseconds="${b.answerAfterMs}"/>
${answer200()}
  <recv request="ACK"/>
  <label id="wait"/>
  <recv request="INVITE" optional="true" next="reinvite" timeout="120000"/>
  <recv request="BYE" next="bye"/>${reinviteBlock('wait', '[service]')}${okToBye}`;
  }
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- generated by test/integration/scenarios.ts: ${name} -->
<scenario name="${name}">
  <Global variables="rtp_ip,rtp_port"/>${ringing}${rest}
</scenario>
`;
  return write(`${name}.xml`, xml);
}

/** how a phone's registration Call-IDs start (operator ids are letters, digits and "-") */
const registrationPrefix = (id: string): string => `phone-reg-${id}-`;
/**
 * The Call-IDs SIPp gives a phone's registration calls (-cid_str: %u the call's number, %s its
 * address): the test's NOTIFY to each (Phone.stop) ends the hold. SIPp starts as many
 * registration calls as -m allows (the same binding, refreshed by each).
 */
export const registrationCallIds = (id: string): string => `${registrationPrefix(id)}%u@%s`;
/** those Call-IDs, whatever their numbers: SIPp's call numbers are shared with the calls it received */
export const registrationCallPattern = (id: string): RegExp => new RegExp(`^${registrationPrefix(id)}\\d+@`);

/**
 * Registration side of a phone: REGISTER with digest auth, stay registered until the test
 * says it is done with the phone (a NOTIFY in the registration's dialog: Phone.stop) or at
 * most holdMs, then unregister.
 */
export function writeRegisterScenario(name: string, holdMs: number): string {
  const register = (expires: string, cseq: number, auth: boolean) => `
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag11[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Expires: ${expires}${auth ? '\n      [authentication]' : ''}
      X-Test-Media: [$rtp_ip]:[$rtp_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>`;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- generated by test/integration/scenarios.ts: ${name}, a phone's registration until told or ${holdMs} ms -->
<scenario name="${name}">
  <Global variables="rtp_ip,rtp_port"/>${register('300', 1, false)}
  <recv response="401" auth="true"/>${register('300', 2, true)}
  <recv response="200"/>
  <recv request="NOTIFY" timeout="${holdMs}" ontimeout="unregister"/>${ok200}
  <label id="unregister"/>${register('0', 3, false)}
  <recv response="401" auth="true"/>${register('0', 4, true)}
  <recv response="200"/>
</scenario>
`;
  return write(`${name}.xml`, xml);
}

/**
 * A carrier that challenges (401) the first request of a dialog and accepts the second only
 * with a valid digest for user/password (SIPp's verifyauth), and checks what it receives:
 * each regexp must match the whole message (Request-URI, From, P-Asserted-Identity...).
 */
export interface CarrierChecks {
  user: string;
  password: string;
  realm: string;
  expect: string[];
}

const NONCE = '8a3f0c1e5b7d9f2a4c6e8b0d1f3a5c7e';

/** the carrier's 401 with its digest challenge, to the request just received */
const unauthorized = (c: CarrierChecks): string => `
  <send>
    <![CDATA[
      SIP/2.0 401 Unauthorized
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      WWW-Authenticate: Digest realm="${c.realm}", nonce="${NONCE}", algorithm=MD5
      Content-Length: 0
    ]]>
  </send>`;

/** the first INVITE, without credentials, challenged; its ACK */
const inviteChallenge = (c: CarrierChecks): string => `
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="Authorization:" search_in="msg" check_it_inverse="true" assign_to="no_auth_first"/>
    </action>
  </recv>${unauthorized(c)}
  <recv request="ACK"/>`;

const xmlAttr = (v: string): string => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const authChecks = (c: CarrierChecks): string =>
  `\n      <verifyauth assign_to="auth_ok" username="${xmlAttr(c.user)}" password="${xmlAttr(c.password)}"/>` +
  c.expect.map((re, i) => `\n      <ereg regexp="${xmlAttr(re)}" search_in="msg" check_it="true" assign_to="expect_${i}"/>`).join('');

/** SIPp refuses a variable that is set and never used: the checks are echoed in a reply */
const checksHeader = (c: CarrierChecks): string => `\n      X-Test-Checks: [$no_auth_first] ${c.expect.map((_, i) => `[$expect_${i}]`).join(' ')}`;

/** a wrong digest: a request that never comes, so the call fails on its time-out */
const authBranch = `
  <nop hide="true" test="auth_ok" next="auth_ok"/>
  <recv request="WRONG_DIGEST" timeout="100"/>
  <label id="auth_ok"/>`;

/**
 * A carrier's registrar: each REGISTER without credentials is challenged (401); one with
 * credentials must carry a valid digest for user/password (or the scenario fails) and is
 * answered 200. An unregister (Expires: 0, which Asterisk sends before registering anew)
 * goes round again; the scenario ends with the first registration accepted.
 */
export function writeRegistrarScenario(name: string, c: CarrierChecks): string {
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- generated by test/integration/scenarios.ts: ${name} -->
<scenario name="${name}">
  <Global variables="rtp_ip,rtp_port"/>
  <label id="start"/>
  <recv request="REGISTER" crlf="true">
    <action>
      <!-- set anew on each REGISTER (a regexp variable keeps its last match): the header, or
           Content-Length that always follows it; the Expires value -->
      <ereg regexp="Authorization: Digest|Content-Length" search_in="msg" check_it="true" assign_to="auth_hdr"/>
      <strcmp assign_to="auth_cmp" variable="auth_hdr" value="Authorization: Digest"/>
      <test assign_to="has_auth" variable="auth_cmp" compare="equal" value="0"/>
      <ereg regexp="Expires: [0-9]+" search_in="msg" check_it="true" assign_to="expires_hdr"/>
      <strcmp assign_to="expires_cmp" variable="expires_hdr" value="Expires: 0"/>
      <test assign_to="unregister" variable="expires_cmp" compare="equal" value="0"/>${authChecks(c)}
    </action>
  </recv>
  <nop hide="true" test="has_auth" next="check"/>${unauthorized(c)}
  <nop hide="true" next="start"/>
  <label id="check"/>${authBranch}
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Contact:]
      Expires: 600
      X-Test-Checks: [$auth_hdr] [$expires_hdr] ${c.expect.map((_, i) => `[$expect_${i}]`).join(' ')}
      X-Test-Media: [$rtp_ip]:[$rtp_port]
      Content-Length: 0
    ]]>
  </send>
  <nop hide="true" test="unregister" next="start"/>
</scenario>
`;
  return write(`${name}.xml`, xml);
}

function write(file: string, xml: string): string {
  mkdirSync(SCEN_DIR, { recursive: true });
  writeFileSync(path.join(SCEN_DIR, file), xml);
  return `/scen/${file}`;
}

/**
 * A step of an answering agent: keys as RFC 4733 events, keys as SIP INFO, voice, talk, hang
 * up, and the waits of a caller: heard (a prompt starting on the agent's leg), cue (the test
 * body's word), pause (a deliberate silence).
 */
export type AnswerStep = { pause: number } | { keys: string } | { info: string } | { voice: true } | { talk: number } | { bye: true } | { heard: string } | { cue: string };

/** An answering agent's waits (heard, cue), by scenario path: the test follows each of its legs with them. */
const answerDirections = new Map<string, Direction[]>();
export const directionsOfScenario = (scenario: string): Direction[] => answerDirections.get(scenario) ?? [];

/**
 * An agent that answers: a callback's caller at the trunk address (keys as RFC 4733), or an
 * operator's phone (keys as SIP INFO application/dtmf-relay, as many desk phones send them).
 * It rings, answers after answerAfterMs, follows the steps, then hangs up itself (a final
 * bye step) or waits for the PBX's BYE. Its answer echoes the INVITE's Record-Route and its
 * own requests follow that route, as a real phone's do (through the cluster's edge). With
 * expectFrom, the INVITE's From must contain it (e.g. the directorate's public number as
 * caller id) or the scenario fails.
 */
export function writeAnsweringScenario(name: string, o: { answerAfterMs: number; steps: AnswerStep[]; expectFrom?: string; carrier?: CarrierChecks }): string {
  let cseq = 100;
  const request = (method: string, extra: string, body = ''): string => `
  <send retrans="500">
    <![CDATA[
      ${method} [$contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$to_hdr];tag=[pid]SIPpTag10[call_number]
      To: [$from_hdr]
      Call-ID: [call_id]
      CSeq: ${++cseq} ${method}
      [routes]
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Max-Forwards: 70${extra}
      Content-Length: [len]
${body ? `\n${body}` : ''}
    ]]>
  </send>
  <recv response="200"/>`;
  let body = '';
  let hangsUp = false;
  const voicing = { on: false };
  for (const s of o.steps) {
    if ('info' in s)
      for (const d of s.info) body += request('INFO', '\n      Content-Type: application/dtmf-relay', `      Signal=${d}\n      Duration=160`) + '\n  <pause milliseconds="300"/>';
    else if ('bye' in s) hangsUp = true;
    else body += commonStep(s, voicing, 120_000);
  }
  const plan = directionsOf(o.steps, stepMs, o.answerAfterMs);
  const ending = hangsUp ? request('BYE', '') : `\n  <recv request="BYE" timeout="120000"/>${okToBye}`;
  const fromCheck = o.expectFrom ? `\n      <ereg regexp="${o.expectFrom}" search_in="hdr" header="From:" check_it="true" assign_to="from_check"/>` : '';
  const c = o.carrier;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- generated by test/integration/scenarios.ts: ${name} -->
<scenario name="${name}">
  <Global variables="rtp_ip,rtp_port"/>${c ? inviteChallenge(c) : ''}
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="from_hdr"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="to_hdr"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" check_it="true" assign_to="contact"/>${fromCheck}${c ? authChecks(c) : ''}
    </action>
  </recv>${c ? authBranch : ''}
${ringing180(`${o.expectFrom ? '\n      X-Test-From: [$from_check]' : ''}\n      X-Test-Dialog: [$contact] [$to_hdr] [$from_hdr]${c ? checksHeader(c) : ''}`).trimStart()}
  <pause milliseconds="${o.answerAfterMs}"/>
${answer200(101)}
  <recv request="ACK"/>${body}${ending}
</scenario>
`;
  const file = write(`${name}.xml`, xml);
  if (plan.length > 0) answerDirections.set(file, plan);
  return file;
}
