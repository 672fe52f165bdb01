// The deployment configuration (YAML), validated with zod so that every error names the
// field that is wrong. Types are inferred from the schema: there is one source of truth.
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { LANGS, LANGUAGE_NAMES, languageChoices } from './languages';

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
/** "09:00-13:00": one service window of a day, in the directorate's time zone. */
const window = z
  .string()
  .regex(/^\d\d:\d\d-\d\d:\d\d$/, 'expected "HH:MM-HH:MM"')
  .refine((s) => s.split('-').every((t) => hhmm.test(t)), 'hours must be 00:00..24:00')
  .refine((s) => {
    const [a, b] = s.split('-');
    return a! < b!;
  }, 'a window must end after it starts');

const dayWindows = z.union([window, z.array(window)]).transform((v) => (Array.isArray(v) ? v : [v]));

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];
export const WEEKDAYS = weekdays;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
const timeZone = z.string().refine(isTimeZone, 'unknown time zone');

const hoursSchema = z
  .object({
    timezone: timeZone.default('Europe/Rome'),
    weekly: z.partialRecord(z.enum(weekdays), dayWindows).default({}),
    nationalHolidays: z.boolean().default(true),
    /** local holidays such as the patron saint's day, "MM-DD" every year or "YYYY-MM-DD" */
    localHolidays: z.array(z.string().regex(/^(\d{4}-)?\d\d-\d\d$/, 'expected "MM-DD" or "YYYY-MM-DD"')).default([]),
  })
  .strict();

/**
 * Text that is spoken (a prompt) and written into Asterisk's files or the prompt manifest:
 * no control characters (a newline would start a dialplan line or a manifest record of the
 * writer's choosing) and none of the characters Asterisk's configuration or the prompt
 * builder give a meaning to.
 */
export const spokenText = z
  .string()
  .min(1)
  .max(400)
  .regex(/^[^\p{Cc}\p{Cf};[\]{}$"\\`<>|=]*$/u, 'no control characters (newlines, tabs...) and none of ; [ ] { } $ " \\ ` < > | =');

/** the console's topics for a directorate that lists none */
export const DEFAULT_TOPICS = [
  'Dichiarazione dei redditi',
  'Rimborsi',
  'Cartelle e pagamenti',
  'Successioni',
  'Registrazione atti',
  'Codice fiscale e tessera sanitaria',
  'Partita IVA',
  'Altro',
];

const id = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected lower-case letters, digits and "-" (max 32)');
/** A directorate's public number as it arrives in the Request-URI (national format). */
const publicNumber = z.string().regex(/^0\d{5,10}$/, 'expected an Italian geographic number such as 0600000001');

const unitSchema = z
  .object({
    id,
    name: spokenText,
    /** the digits an operator keys after "*" to transfer a caller to this unit */
    code: z.string().regex(/^[0-9]{1,3}$/, 'expected 1-3 digits'),
  })
  .strict();

const ringSchema = z
  .object({
    /** all: every available phone of the group rings at once; longest-idle: one phone at a
     *  time, the one idle longest first, perPhoneSeconds each, until the ring threshold */
    strategy: z.enum(['all', 'longest-idle']).default('all'),
    perPhoneSeconds: z.number().int().min(5).max(120).default(15),
  })
  .strict();

const retryDelay = z.number().int().min(0).max(86400);
export const RETRY_DEFAULTS = {
  no_answer: 600,
  busy: 600,
  rejected: 1800,
  unreachable: 1800,
  failed: 1800,
  no_confirmation: 600,
  operator_hangup: 60,
  interrupted: 120,
};
const retryDelaysSchema = z
  .object({
    no_answer: retryDelay.default(RETRY_DEFAULTS.no_answer),
    busy: retryDelay.default(RETRY_DEFAULTS.busy),
    rejected: retryDelay.default(RETRY_DEFAULTS.rejected),
    unreachable: retryDelay.default(RETRY_DEFAULTS.unreachable),
    failed: retryDelay.default(RETRY_DEFAULTS.failed),
    no_confirmation: retryDelay.default(RETRY_DEFAULTS.no_confirmation),
    operator_hangup: retryDelay.default(RETRY_DEFAULTS.operator_hangup),
    interrupted: retryDelay.default(RETRY_DEFAULTS.interrupted),
  })
  .strict();

const callbackPolicySchema = z
  .object({
    /** outside service hours, offer a callback for the next service window */
    offerWhenClosed: z.boolean().default(true),
    /** requests one number may make to this directorate per day (Europe/Rome) */
    maxPerNumberPerDay: z.number().int().min(1).max(50).default(3),
    /** requests one calling number may make to this directorate per day, whatever number each is for */
    maxPerCallerPerDay: z.number().int().min(1).max(50).default(3),
    /** requests this directorate accepts per day */
    dailyCapacity: z.number().int().min(1).max(100000).default(200),
    /** a request not completed within this many days expires */
    validityDays: z.number().int().min(1).max(30).default(3),
    /** auto: the dispatcher calls back through the operators; paused: bookings are taken
     *  and kept, nobody is called back (e.g. a directorate that calls back by hand) */
    dispatch: z.enum(['auto', 'paused']).default('auto'),
    /** dials of the caller before the request is given up as failed */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** the pause before the next attempt, per outcome of the last one */
    retryAfterSeconds: retryDelaysSchema.default(RETRY_DEFAULTS),
    /** how long the caller's phone rings before the attempt counts as unanswered */
    callerRingSeconds: z.number().int().min(10).max(120).default(30),
    /** how long an operator's phone rings with a callback before another is tried */
    operatorRingSeconds: z.number().int().min(5).max(120).default(20),
    /** operators of the group always left free for live callers */
    keepFreeForInbound: z.number().int().min(0).max(50).default(0),
    /** who places the operators' callbacks: default the group that answers (case 1 the
     *  switchboard, case 2 the staff); a case-1 directorate may add its staff */
    placedBy: z
      .array(z.enum(['switchboard', 'staff']))
      .min(1)
      .optional(),
    /** an operator who passed a request back is not offered the same one for this long;
     *  one who let a callback ring out gets no callback for this long */
    passBackSeconds: z.number().int().min(0).max(3600).default(120),
    /** what happens at the end of a service window to requests not reached in it:
     *  carry-over: they wait for the next window (while still valid); expire: they end */
    atClose: z.enum(['carry-over', 'expire']).default('carry-over'),
  })
  .strict();

const transferSchema = z
  .object({
    /** how long the internal unit's phones ring before the caller goes back to the operator */
    ringSeconds: z.number().int().min(5).max(120).default(30),
    /** how long an official has to key the outcome or intervention code after the call */
    codeTimeoutSeconds: z.number().int().min(1).max(120).default(15),
  })
  .strict();

/**
 * The IVR's own timers. Today's values are the defaults; a real office cannot go under the
 * production floors (a caller needs time to hear a prompt and find a key), and only
 * `timing.profile: test` lets a configuration go under them, so that the test suite can
 * run its calls with a short ring. Each directorate may override the call timers.
 */
const callTimingFields = {
  /** one ring of the ringback the caller hears: an Italian ring is 5 s (1 s on, 4 s off) */
  ringSeconds: z.number().positive().max(60),
  /** no key after a menu prompt: wait this long, then count a silent attempt */
  menuTimeoutSeconds: z.number().positive().max(60),
  /** while typing a number: pause allowed between two digits */
  digitTimeoutSeconds: z.number().positive().max(60),
  /** an operator's unit code after "*": pause allowed between its digits */
  codeGapSeconds: z.number().positive().max(60),
  /** after outcome 1 (basic information), how long the operator has to key the topic */
  topicTimeoutSeconds: z.number().positive().max(60),
};
export type CallTimingKey = keyof typeof callTimingFields;
export const CALL_TIMING_DEFAULTS: Record<CallTimingKey, number> = { ringSeconds: 5, menuTimeoutSeconds: 6, digitTimeoutSeconds: 7, codeGapSeconds: 3, topicTimeoutSeconds: 6 };
const timingSchema = z
  .object({
    profile: z.enum(['production', 'test']).default('production'),
    ringSeconds: callTimingFields.ringSeconds.default(CALL_TIMING_DEFAULTS.ringSeconds),
    menuTimeoutSeconds: callTimingFields.menuTimeoutSeconds.default(CALL_TIMING_DEFAULTS.menuTimeoutSeconds),
    digitTimeoutSeconds: callTimingFields.digitTimeoutSeconds.default(CALL_TIMING_DEFAULTS.digitTimeoutSeconds),
    codeGapSeconds: callTimingFields.codeGapSeconds.default(CALL_TIMING_DEFAULTS.codeGapSeconds),
    topicTimeoutSeconds: callTimingFields.topicTimeoutSeconds.default(CALL_TIMING_DEFAULTS.topicTimeoutSeconds),
    /** the dispatcher looks for due callbacks at least this often (it is also woken by events) */
    dispatcherPollSeconds: z.number().positive().max(60).default(5),
  })
  .strict();
/** the floors of a real office; the test profile only keeps timers positive */
export const PRODUCTION_FLOORS: Record<CallTimingKey | 'dispatcherPollSeconds' | 'codeTimeoutSeconds', number> = {
  ringSeconds: 3,
  menuTimeoutSeconds: 3,
  digitTimeoutSeconds: 3,
  codeGapSeconds: 1,
  topicTimeoutSeconds: 3,
  dispatcherPollSeconds: 1,
  codeTimeoutSeconds: 3,
};

/** a host name or an IPv4 address: written into pjsip.conf, so nothing else */
const host = z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'expected a host name or an IPv4 address');
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ipv4Address = z.string().regex(ipv4, 'expected an IPv4 address such as 203.0.113.10');
/** an IPv4 network: 203.0.113.0/24, or one address */
const network = z.string().refine((v) => {
  const [a, bits, ...rest] = v.split('/');
  return rest.length === 0 && ipv4.test(a ?? '') && (bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32));
}, 'expected an IPv4 network such as 203.0.113.0/24');
const port = z.number().int().min(1).max(65535);
/** a file path or an environment variable name: a secret is read from there, never from this file */
const secretRef = z
  .object({
    passwordFile: z.string().min(1).optional(),
    passwordEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
      .optional(),
  })
  .strict();

/**
 * The carrier's trunk: how callers' calls arrive and callbacks leave. `ip`: calls from the
 * carrier's source networks (`match`), callbacks to host:port. `registration`: the product
 * registers at the carrier's registrar (host:port) with digest credentials; calls arrive from
 * there. The demo's is the loopback trunk that outside tools call it through (127.0.0.2).
 */
const trunkSchema = z
  .object({
    /** the PJSIP endpoint's name */
    id,
    type: z.enum(['ip', 'registration']),
    host,
    port: port.default(5060),
    transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
    /** the carrier's source networks; default: host (when it is an address) */
    match: z.array(network).default([]),
    codecs: z
      .array(z.enum(['alaw', 'ulaw', 'g722', 'gsm']))
      .min(1)
      .default(['alaw', 'ulaw']),
    dtmf: z.enum(['rfc4733', 'info', 'inband', 'auto']).default('rfc4733'),
    /** how callbacks are dialled and the directorate's number presented: 0612345678 or +390612345678 */
    numberFormat: z.enum(['national', 'e164']).default('national'),
    /** the directorate's number also in P-Asserted-Identity */
    pai: z.boolean().default(false),
    /** outbound authentication: REGISTER for a registration trunk, and INVITEs the carrier challenges */
    auth: z
      .object({
        username: z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/, 'letters, digits and . _ + -'),
        realm: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/)
          .optional(),
      })
      .merge(secretRef)
      .strict()
      .optional(),
    registration: z
      .object({ expirationSeconds: z.number().int().min(60).max(86400).default(3600), retrySeconds: z.number().int().min(10).max(3600).default(60) })
      .strict()
      .default({ expirationSeconds: 3600, retrySeconds: 60 }),
  })
  .strict();
export type Trunk = z.infer<typeof trunkSchema>;

/** the demo's trunk, fixed for the tools that test it from outside: every INVITE from 127.0.0.2 is an outside caller */
export const LOOPBACK_TRUNK = {
  id: 'trunk',
  type: 'ip',
  host: '127.0.0.2',
  port: 5060,
  transport: 'udp',
  match: ['127.0.0.2'],
  codecs: ['ulaw', 'alaw'],
  dtmf: 'rfc4733',
  numberFormat: 'national',
  pai: false,
  registration: { expirationSeconds: 3600, retrySeconds: 60 },
} as const satisfies Trunk;

/**
 * The cluster mode: Kamailio in front (the edge: carriers and operators' phones reach it only),
 * the nodes behind it (each an Asterisk + controller), each directorate served by its primary
 * node while that answers Kamailio's OPTIONS, by the next one otherwise (docs/SCALING.md).
 */
const clusterSchema = z
  .object({
    edge: z
      .object({
        /** Kamailio's address: the carriers send to it, and the nodes see every call come from it */
        address: ipv4Address,
        port: port.default(5060),
        /** the carriers' source addresses: the only outside callers Kamailio takes calls from */
        carriers: z.array(ipv4Address).min(1),
      })
      .strict(),
    nodes: z
      .array(z.object({ id, /** where Kamailio reaches the node's Asterisk */ address: ipv4Address, port: port.default(5060) }).strict())
      .min(2, 'a cluster has at least two nodes'),
    /** Kamailio's OPTIONS to each node, in seconds: a node that stops answering is passed over after one missed reply */
    keepaliveSeconds: z.number().int().min(1).max(60).default(2),
    /** how long Kamailio waits for a node's first reply to an INVITE before it tries the next node, in ms */
    failoverMs: z.number().int().min(500).max(30_000).default(2000),
    /**
     * A node's controller renews its lease in the shared database at every dispatch pass (at
     * least every dispatcherPollSeconds); one whose lease is this many seconds old is taken for
     * dead: the next node dispatches its directorates' callbacks and recovers its live attempts
     */
    leaseSeconds: z.number().int().min(3).max(600).default(15),
  })
  .strict();
export type Cluster = z.infer<typeof clusterSchema>;

/** Asterisk's SIP side: where it listens and, behind NAT, the addresses the carrier must see */
const sipSchema = z
  .object({
    bind: ipv4Address.default('127.0.0.1'),
    port: port.default(5060),
    /** behind NAT: the public address put in SDP and Contact towards the carrier */
    externalAddress: ipv4Address.optional(),
    /** networks reached without NAT (the operators' LAN): no external address towards them */
    localNets: z.array(network).default([]),
    rtpPorts: z
      .object({ start: port, end: port })
      .strict()
      .refine((r) => r.end > r.start, 'end must be above start')
      .default({ start: 10000, end: 20000 }),
    tls: z
      .object({ certFile: z.string().min(1), keyFile: z.string().min(1), caFile: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();

const directorateSchema = z
  .object({
    id,
    /** the province or city, as spoken after "Direzione Provinciale di" */
    name: spokenText,
    numbers: z.array(publicNumber).min(1),
    /** the trunk its numbers arrive on and its callbacks leave by (default: the first) */
    trunk: id.optional(),
    /** the cluster mode: the node that serves it while it is alive (default: the first node); the others take it over */
    primary: id.optional(),
    case: z.enum(['switchboard', 'staff']),
    ringsBeforeCallback: z.number().int().min(1).max(20),
    /** Italian, always, and the languages the Italian menu invites (keys: 9 en, 8 de, 7 fr) */
    languages: z
      .array(z.enum(LANGS))
      .min(1)
      .refine((l) => l.includes('it'), 'must include "it": every call starts in Italian')
      .refine((l) => new Set(l).size === l.length, 'a language is listed twice')
      .default(['it', 'en']),
    hours: hoursSchema,
    units: z.array(unitSchema).default([]),
    /** the basic information an operator gives, by code: keyed by phone after outcome 1 (asked
     *  only when the directorate lists its topics), or picked in the console (a default list
     *  when it lists none); the reports count calls per topic */
    topics: z.array(z.object({ code: z.string().regex(/^[1-9]$/, 'one digit from 1 to 9'), name: spokenText }).strict()).default([]),
    /** main-menu keys leading to an office (internal unit): its phones ring like the operators'
     *  do; "1" is always the operators, "9" English, and 8 German, 7 French where offered */
    menu: z.array(z.object({ key: z.string().regex(/^[2-8]$/, 'a key from 2 to 8 (1 is the operators, 9 English)'), unit: id }).strict()).default([]),
    ring: ringSchema.default({ strategy: 'all', perPhoneSeconds: 15 }),
    callback: callbackPolicySchema.default(() => callbackPolicySchema.parse({})),
    transfer: transferSchema.default(() => transferSchema.parse({})),
    /** this directorate's call timers where they differ from the top-level `timing` */
    timing: z.object(callTimingFields).partial().strict().default({}),
    /** optional replacement for the generated spoken welcome */
    welcome: z.object({ it: spokenText.optional(), en: spokenText.optional(), de: spokenText.optional(), fr: spokenText.optional() }).strict().default({}),
  })
  .strict();

/** A five-field cron expression (minute hour day-of-month month day-of-week). */
const cronExpression = z.string().refine((s) => s.trim().split(/\s+/).length === 5 && validCron(s), 'expected a 5-field cron expression such as "30 2 * * *"');

const jobsSchema = z
  .object({
    /** the time zone of the slots below (the close-window jobs follow each directorate's hours) */
    timezone: timeZone.default('Europe/Rome'),
    /** writes the previous day's report of every directorate under <state dir>/reports */
    dailyReport: z
      .object({ at: cronExpression.default('15 0 * * *'), catchUpDays: z.number().int().min(1).max(31).default(7) })
      .strict()
      .default({ at: '15 0 * * *', catchUpDays: 7 }),
    /** online copy of the database under <state dir>/backups, keeping the newest `keep` */
    backup: z
      .object({ at: cronExpression.default('30 2 * * *'), keep: z.number().int().min(1).max(365).default(7) })
      .strict()
      .default({ at: '30 2 * * *', keep: 7 }),
    /** caller numbers in records older than `days` are masked */
    retention: z
      .object({ at: cronExpression.default('0 3 * * *'), days: z.number().int().min(1).max(3650).default(90) })
      .strict()
      .default({ at: '0 3 * * *', days: 90 }),
  })
  .strict();

const operatorSeedSchema = z
  .object({
    id,
    dp: id,
    role: z.enum(['switchboard', 'staff', 'unit']),
    unit: id.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(1).max(65535).default(8080),
        /** where users reach the console through an HTTPS reverse proxy, e.g. https://ivr.example.it */
        publicOrigin: z
          .url()
          .refine((u) => new URL(u).origin === u.replace(/\/$/, ''), 'an origin only: scheme, host and port, no path')
          .refine((u) => /^https?:/.test(u), 'http or https')
          .optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080 }),
    asterisk: z
      .object({
        ariUrl: z.url().default('http://127.0.0.1:8088'),
        amiHost: z.string().default('127.0.0.1'),
        amiPort: z.number().int().min(1).max(65535).default(5038),
        app: z
          .string()
          .regex(/^[a-z][a-z0-9-]*$/)
          .default('ivr'),
      })
      .strict()
      .default({ ariUrl: 'http://127.0.0.1:8088', amiHost: '127.0.0.1', amiPort: 5038, app: 'ivr' }),
    /** below this much free space where the database lives, no booking is taken (the rest is kept for call records, the WAL and logs) */
    storage: z
      .object({ reserveMiB: z.number().min(0).max(1_000_000).default(32) })
      .strict()
      .default({ reserveMiB: 32 }),
    /** the controller's log file, rotated by size by its supervisor (make run / make up) */
    logs: z
      .object({ maxMiB: z.number().int().min(1).max(10_000).default(20), keep: z.number().int().min(1).max(100).default(5) })
      .strict()
      .default({ maxMiB: 20, keep: 5 }),
    /**
     * recorded WAVs (any rate, converted to 8 kHz mono when the prompts are built) replacing
     * synthesized prompts: key = the prompt's path as `ivrctl prompts list` shows it
     * (it/menu-main, dp/demo-st-welcome, dp/demo-st-welcome-en), value = the file, relative
     * to this config file
     */
    recordings: z.record(z.string(), z.string().min(1)).default({}),
    sip: sipSchema.default(() => sipSchema.parse({})),
    cluster: clusterSchema.optional(),
    trunks: z
      .array(trunkSchema)
      .min(1)
      .default(() => [structuredClone(LOOPBACK_TRUNK) as Trunk]),
    directorates: z.array(directorateSchema).min(1),
    timing: timingSchema.default(() => timingSchema.parse({})),
    jobs: jobsSchema.default(() => jobsSchema.parse({})),
    /** operators created at the first start of an empty database; ivrctl manages them after */
    operators: z.array(operatorSeedSchema).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const key of Object.keys(cfg.recordings))
      if (!/^(it|en|de|fr)\/[a-z0-9-]+$|^dp\/[a-z0-9-]+$/.test(key))
        ctx.addIssue({ code: 'custom', path: ['recordings', key], message: 'expected a prompt path such as it/menu-main or dp/<dp>-welcome (ivrctl prompts list)' });
    cfg.trunks.forEach((tr, i) => {
      if (cfg.trunks.findIndex((x) => x.id === tr.id) !== i) ctx.addIssue({ code: 'custom', path: ['trunks', i, 'id'], message: `duplicate trunk id "${tr.id}"` });
      if (tr.match.length === 0 && !ipv4.test(tr.host))
        ctx.addIssue({ code: 'custom', path: ['trunks', i, 'match'], message: "required when host is a name: the carrier's source addresses" });
      if (tr.type === 'registration' && !tr.auth) ctx.addIssue({ code: 'custom', path: ['trunks', i, 'auth'], message: 'required for a registration trunk' });
      if (tr.auth && !!tr.auth.passwordFile === !!tr.auth.passwordEnv)
        ctx.addIssue({ code: 'custom', path: ['trunks', i, 'auth'], message: 'exactly one of passwordFile or passwordEnv (the password itself never goes in this file)' });
      if (tr.transport === 'tls' && !cfg.sip.tls) ctx.addIssue({ code: 'custom', path: ['trunks', i, 'transport'], message: 'tls needs sip.tls (certFile, keyFile)' });
    });
    const seen = new Map<string, string>();
    cfg.cluster?.nodes.forEach((n, i) => {
      if (cfg.cluster!.nodes.findIndex((x) => x.id === n.id) !== i) ctx.addIssue({ code: 'custom', path: ['cluster', 'nodes', i, 'id'], message: `duplicate node id "${n.id}"` });
    });
    // a live node renews its lease at every pass: two passes must fit in one lease
    if (cfg.cluster && cfg.cluster.leaseSeconds < 2 * cfg.timing.dispatcherPollSeconds)
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'leaseSeconds'],
        message: `at least twice timing.dispatcherPollSeconds (${cfg.timing.dispatcherPollSeconds} s), or a live node's lease runs out between two passes`,
      });
    cfg.directorates.forEach((dp, i) => {
      if (dp.primary && !cfg.cluster) ctx.addIssue({ code: 'custom', path: ['directorates', i, 'primary'], message: 'only with a cluster section' });
      if (dp.primary && cfg.cluster && !cfg.cluster.nodes.some((n) => n.id === dp.primary))
        ctx.addIssue({ code: 'custom', path: ['directorates', i, 'primary'], message: `unknown node "${dp.primary}"` });
      if (dp.trunk && !cfg.trunks.some((x) => x.id === dp.trunk)) ctx.addIssue({ code: 'custom', path: ['directorates', i, 'trunk'], message: `unknown trunk "${dp.trunk}"` });
      if (cfg.directorates.findIndex((d) => d.id === dp.id) !== i)
        ctx.addIssue({ code: 'custom', path: ['directorates', i, 'id'], message: `duplicate directorate id "${dp.id}"` });
      dp.numbers.forEach((n, j) => {
        const other = seen.get(n);
        if (other) ctx.addIssue({ code: 'custom', path: ['directorates', i, 'numbers', j], message: `number ${n} already belongs to ${other}` });
        seen.set(n, dp.id);
      });
      dp.units.forEach((u, j) => {
        if (dp.units.findIndex((x) => x.code === u.code) !== j)
          ctx.addIssue({ code: 'custom', path: ['directorates', i, 'units', j, 'code'], message: `duplicate unit code "${u.code}"` });
      });
      dp.topics.forEach((x, j) => {
        if (dp.topics.findIndex((y) => y.code === x.code) !== j)
          ctx.addIssue({ code: 'custom', path: ['directorates', i, 'topics', j, 'code'], message: `code ${x.code} is already used` });
      });
      dp.menu.forEach((m, j) => {
        if (!dp.units.some((u) => u.id === m.unit)) ctx.addIssue({ code: 'custom', path: ['directorates', i, 'menu', j, 'unit'], message: `unknown unit "${m.unit}" of ${dp.id}` });
        if (dp.menu.findIndex((x) => x.key === m.key) !== j) ctx.addIssue({ code: 'custom', path: ['directorates', i, 'menu', j, 'key'], message: `key ${m.key} is already used` });
        const language = languageChoices(dp.languages).find((c) => c.key === m.key);
        if (language)
          ctx.addIssue({
            code: 'custom',
            path: ['directorates', i, 'menu', j, 'key'],
            message: `key ${m.key} chooses ${LANGUAGE_NAMES[language.lang]}, one of ${dp.id}'s languages`,
          });
      });
      if (dp.case === 'staff' && dp.callback.placedBy?.includes('switchboard'))
        ctx.addIssue({ code: 'custom', path: ['directorates', i, 'callback', 'placedBy'], message: `${dp.id} has no switchboard (case "staff")` });
    });
    if (cfg.timing.profile === 'production') {
      const floor = (path: Array<string | number>, key: keyof typeof PRODUCTION_FLOORS, value: number | undefined): void => {
        if (value !== undefined && value < PRODUCTION_FLOORS[key])
          ctx.addIssue({ code: 'custom', path, message: `at least ${PRODUCTION_FLOORS[key]} s in a real office (only timing.profile: test allows less)` });
      };
      for (const key of ['dispatcherPollSeconds', ...Object.keys(callTimingFields)] as Array<CallTimingKey | 'dispatcherPollSeconds'>) floor(['timing', key], key, cfg.timing[key]);
      cfg.directorates.forEach((dp, i) => {
        for (const key of Object.keys(callTimingFields) as CallTimingKey[]) floor(['directorates', i, 'timing', key], key, dp.timing[key]);
        floor(['directorates', i, 'transfer', 'codeTimeoutSeconds'], 'codeTimeoutSeconds', dp.transfer.codeTimeoutSeconds);
      });
    }
    cfg.operators.forEach((op, i) => {
      const dp = cfg.directorates.find((d) => d.id === op.dp);
      if (!dp) ctx.addIssue({ code: 'custom', path: ['operators', i, 'dp'], message: `unknown directorate "${op.dp}"` });
      if (op.role === 'unit' && !op.unit) ctx.addIssue({ code: 'custom', path: ['operators', i, 'unit'], message: 'required for role "unit"' });
      if (op.unit && dp && !dp.units.some((u) => u.id === op.unit))
        ctx.addIssue({ code: 'custom', path: ['operators', i, 'unit'], message: `unknown unit "${op.unit}" of ${op.dp}` });
      const trunk = trunkNamed(cfg.trunks, op.id);
      if (trunk) ctx.addIssue({ code: 'custom', path: ['operators', i, 'id'], message: `"${op.id}" is taken by the trunk "${trunk.id}"` });
      if (cfg.operators.findIndex((o) => o.id === op.id) !== i) ctx.addIssue({ code: 'custom', path: ['operators', i, 'id'], message: `duplicate operator id "${op.id}"` });
    });
  });

export type Config = z.infer<typeof configSchema>;
export type Directorate = Config['directorates'][number];

/** A directorate's call timers in milliseconds: its own overrides over the top-level `timing`. */
export interface CallTiming {
  ringMs: number;
  menuTimeoutMs: number;
  digitTimeoutMs: number;
  codeGapMs: number;
  topicTimeoutMs: number;
}
export function callTiming(timing: Partial<Record<CallTimingKey, number>>, dp: Pick<Directorate, 'timing'>): CallTiming {
  const v = (k: CallTimingKey): number => Math.round((dp.timing[k] ?? timing[k] ?? CALL_TIMING_DEFAULTS[k]) * 1000);
  return {
    ringMs: v('ringSeconds'),
    menuTimeoutMs: v('menuTimeoutSeconds'),
    digitTimeoutMs: v('digitTimeoutSeconds'),
    codeGapMs: v('codeGapSeconds'),
    topicTimeoutMs: v('topicTimeoutSeconds'),
  };
}
/**
 * The trunk whose PJSIP objects (endpoint/aor/identify, -auth, -reg) an id would clash with:
 * operators and trunks share Asterisk's PJSIP namespace.
 */
export const trunkNamed = (trunks: readonly Pick<Trunk, 'id'>[], id: string): Pick<Trunk, 'id'> | undefined =>
  trunks.find((x) => id === x.id || id === `${x.id}-auth` || id === `${x.id}-reg`);
/** the trunk a directorate's numbers arrive on and its callbacks leave by */
export const trunkOf = (config: Pick<Config, 'trunks'>, dp: Pick<Directorate, 'trunk'>): Trunk => config.trunks.find((x) => x.id === dp.trunk) ?? config.trunks[0]!;
/** The cluster mode: the node that serves a directorate while it is alive, its own or the first node. */
export const primaryOf = (cluster: Cluster, dp: Pick<Directorate, 'primary'>): string => dp.primary ?? cluster.nodes[0]!.id;
export type ServiceHours = Directorate['hours'];
export type OperatorRole = z.infer<typeof operatorSeedSchema>['role'];
export const OPERATOR_ROLES: readonly OperatorRole[] = ['switchboard', 'staff', 'unit'];
export const operatorIdSchema = id;

/** The roles whose officials place a directorate's operator callbacks. */
export const callbackRoles = (dp: Directorate): Array<'switchboard' | 'staff'> => dp.callback.placedBy ?? [dp.case === 'switchboard' ? 'switchboard' : 'staff'];

/** A request's group: the operators, or an office ("unit:<id>"). */
export type CallbackGroup = 'operators' | `unit:${string}`;

export const unitOfGroup = (g: string): string | undefined => (g.startsWith('unit:') ? g.slice(5) : undefined);
