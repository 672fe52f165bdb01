// The console's pages, in Italian, rendered on the server with html`` (everything escaped).
// No inline script or style: the Content-Security-Policy allows only the app's own files.
import { CALLBACK_STATUS_IT, type CallbackView, type Profile } from '../monitoring/profile';
import type { DpFigures, Figures } from '../monitoring/figures';
import { reportRows } from '../monitoring/report-format';
import { localStamp } from '../schedule/service-hours';
import type { ConsoleUser } from '../storage/console-users-repo';
import type { AttemptRow } from '../storage/callback-attempts-repo';
import type { AuditRow } from '../storage/audit-repo';
import type { ClosureRow } from '../storage/closures-repo';
import type { FollowupRow } from '../storage/followups-repo';
import type { OutcomeRow } from '../storage/outcomes-repo';
import { INTERVENTION_CODES } from '../conversation/codes';
import { html, type Html } from './html';
import type { LiveSnapshot } from './live-board';

export interface PageContext {
  user?: ConsoleUser;
  csrf?: string;
  active?: string;
}

const when = (iso: string | null | undefined): string => (iso ? localStamp(iso) : '-');

const PHASE_IT: Record<string, string> = {
  welcome: 'benvenuto',
  menu: 'menu',
  ringing: 'squilla',
  talking: 'con operatore',
  offer: 'offerta richiamata',
  typing: 'digita numero',
  confirm: 'conferma',
  booking: 'prenotazione',
  closing: 'saluto',
  hangingUp: 'chiusura',
};

export function layout(ctx: PageContext, title: string, body: Html | Html[]): Html {
  const nav: Array<[string, string, boolean]> = [
    ['live', 'In diretta', true],
    ['callbacks', 'Richiamate', true],
    ['profile', 'Profilo utente', true],
    ['reports', 'Report', true],
    ['operator', 'Postazione operatore', true],
    ['followups', 'Seguiti', true],
    ['closures', 'Chiusure', ctx.user?.role === 'supervisor'],
    ['audit', 'Registro accessi', ctx.user?.role === 'supervisor'],
  ];
  return html`<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · IVR richiamate</title>
<link rel="stylesheet" href="/console/static/console.css">
${ctx.active === 'live' ? html`<script src="/console/static/live.js" defer></script>` : ''}
</head>
<body>
<header>
  <strong>IVR richiamate</strong>
  ${
    ctx.user
      ? html`<nav>${nav.filter(([, , shown]) => shown).map(([path, label]) => html`<a href="/console/${path}"${ctx.active === path ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
  <form method="post" action="/console/logout" class="logout"><input type="hidden" name="csrf" value="${ctx.csrf}"><span>${ctx.user.username} (${ctx.user.role === 'supervisor' ? 'supervisore' : 'operatore'})</span> <button>Esci</button></form>`
      : ''
  }
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

export function loginPage(error?: string): Html {
  return layout(
    {},
    'Accesso',
    html`
<form method="post" action="/console/login" class="login">
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <label>Utente <input name="username" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button>Accedi</button>
</form>`,
  );
}

export function messagePage(ctx: PageContext, title: string, message: string): Html {
  return layout(ctx, title, html`<p class="error" role="alert">${message}</p>`);
}

// ---- live -------------------------------------------------------------------------------

const FIGURES_LIVE: Array<[keyof DpFigures, string]> = [
  ['callsReceived', 'Chiamate ricevute'],
  ['answeredByOperator', 'Risposte da operatore'],
  ['callbackOffers', 'Offerte di richiamata'],
  ['bookings', 'Richiamate prenotate'],
  ['callbacksCompleted', 'Richiamate completate'],
];

export function liveBoard(s: LiveSnapshot): Html {
  const dps = [...new Set([...s.today.map((f) => f.dp), ...Object.keys(s.pending)])];
  return html`
<p class="muted">Aggiornato alle <time data-clock datetime="${s.at}">${when(s.at)}</time>${s.phonesUnknown ? html` · <span class="error">Asterisk non raggiungibile: stato dei telefoni sconosciuto</span>` : ''}</p>
<section>
<h2>Operatori</h2>
<table id="operators"><thead><tr><th>Operatore</th><th>DP</th><th>Ruolo</th><th>Stato</th></tr></thead><tbody>
${s.operators.map((o) => html`<tr data-operator="${o.id}"><td>${o.id}</td><td>${o.dp}</td><td>${ROLE_IT[o.role] ?? o.role}${o.unit ? html` (${o.unit})` : ''}</td><td class="state">${o.state}${o.pausedAt ? html` <span class="muted">(in pausa dalle ${when(o.pausedAt)})</span>` : ''}</td></tr>`)}
</tbody></table>
</section>
<section>
<h2>Chiamanti in linea</h2>
${
  s.calls.length === 0
    ? html`<p id="calls" class="muted">Nessuna chiamata in corso.</p>`
    : html`<table id="calls"><thead><tr><th>Numero</th><th>DP</th><th>Fase</th><th>Telefoni che squillano</th><th>Operatore</th><th>Dalle</th></tr></thead><tbody>
${s.calls.map((c) => html`<tr data-call="${c.channelId}"><td class="number">${c.number ?? 'anonimo'}</td><td>${c.dp}</td><td>${PHASE_IT[c.phase] ?? c.phase}</td><td>${c.ringing.join(', ') || '-'}</td><td>${c.operator ?? '-'}</td><td>${when(c.startedAt)}</td></tr>`)}
</tbody></table>`
}
</section>
<section>
<h2>Richiamate in corso</h2>
${
  s.attempts.length === 0
    ? html`<p id="attempts" class="muted">Nessuna richiamata in corso.</p>`
    : html`<table id="attempts"><thead><tr><th>Richiesta</th><th>Numero</th><th>DP</th><th>Operatore</th><th>Fase</th></tr></thead><tbody>
${s.attempts.map((a) => html`<tr><td>${a.callbackId}</td><td>${a.number}</td><td>${a.dp}</td><td>${a.operator}</td><td>${a.stage === 'operator' ? "squilla l'operatore" : a.stage === 'caller' ? 'squilla il chiamante' : 'in conversazione'}</td></tr>`)}
</tbody></table>`
}
</section>
<section>
<h2>Oggi</h2>
<table id="today"><thead><tr><th></th>${dps.map((d) => html`<th>${d}</th>`)}</tr></thead><tbody>
<tr><td>Richiamate in attesa</td>${dps.map((d) => html`<td class="num" data-pending="${d}">${s.pending[d] ?? 0}</td>`)}</tr>
${FIGURES_LIVE.map(([k, label]) => html`<tr><td>${label}</td>${dps.map((d) => html`<td class="num" data-figure="${k}:${d}">${(s.today.find((f) => f.dp === d)?.[k] as number | undefined) ?? 0}</td>`)}</tr>`)}
</tbody></table>
</section>`;
}

export function livePage(ctx: PageContext, board: Html): Html {
  return layout(ctx, 'In diretta', html`<div id="board" aria-live="polite">${board}</div>`);
}

// ---- callbacks ----------------------------------------------------------------------------

export interface CallbackFilters {
  dp?: string;
  status?: string;
  from?: string;
  to?: string;
}

export function callbacksPage(ctx: PageContext, dps: string[], f: CallbackFilters, rows: CallbackView[], notice?: string): Html {
  const supervisor = ctx.user?.role === 'supervisor';
  return layout(
    ctx,
    'Richiamate',
    html`
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<form method="get" class="filters">
  <label>DP <select name="dp"><option value="">tutte</option>${dps.map((d) => html`<option${d === f.dp ? html` selected` : ''}>${d}</option>`)}</select></label>
  <label>Stato <select name="status"><option value="">tutti</option>${Object.entries(CALLBACK_STATUS_IT).map(([k, v]) => html`<option value="${k}"${k === f.status ? html` selected` : ''}>${v}</option>`)}</select></label>
  <label>Dal <input type="date" name="from" value="${f.from ?? ''}"></label>
  <label>Al <input type="date" name="to" value="${f.to ?? ''}"></label>
  <button>Filtra</button>
</form>
<table id="callbacks"><thead><tr><th>N.</th><th>DP</th><th>Per</th><th>Numero</th><th>Stato</th><th>Tentativi</th><th>Ultimo esito</th><th>Richiesta</th><th>Da chiamare dalle</th>${supervisor ? html`<th>Azioni</th>` : ''}</tr></thead><tbody>
${rows.map(
  (r) =>
    html`<tr data-callback="${r.id}"><td>${r.id}</td><td>${r.dp}</td><td>${r.group === 'operators' ? 'operatori' : `ufficio ${r.group.slice(5)}`}</td><td><a href="/console/profile?number=${encodeURIComponent(r.number)}">${r.number}</a></td><td class="status">${CALLBACK_STATUS_IT[r.status]}</td><td class="num">${r.attempts}</td><td>${r.lastOutcome ?? '-'}</td><td>${when(r.requestedAt)}</td><td>${r.status === 'pending' ? when(r.dueAt) : '-'}</td>${supervisor ? html`<td>${actions(ctx, r)}</td>` : ''}</tr>`,
)}
</tbody></table>
${rows.length === 0 ? html`<p class="muted">Nessuna richiesta.</p>` : ''}`,
  );
}

function actions(ctx: PageContext, r: CallbackView): Html {
  const form = (action: string, label: string, extra: Html | string = '') =>
    html`<form method="post" action="/console/callbacks/${r.id}/${action}" class="inline"><input type="hidden" name="csrf" value="${ctx.csrf}">${extra}<button>${label}</button></form>`;
  const live = r.status === 'pending' || r.status === 'dialing';
  return html`${live ? form('cancel', 'Annulla') : ''}${r.status !== 'dialing' && r.status !== 'done' ? form('retry', 'Richiama ora') : ''}${
    r.status !== 'dialing' && r.status !== 'done' ? form('reschedule', 'Sposta', html`<input type="datetime-local" name="at" required aria-label="nuovo orario">`) : ''
  }`;
}

// ---- profile ------------------------------------------------------------------------------

export function profilePage(ctx: PageContext, number: string | undefined, profile: Profile | undefined, error?: string): Html {
  return layout(
    ctx,
    'Profilo utente',
    html`
<form method="get" class="filters"><label>Numero <input name="number" value="${number ?? ''}" inputmode="tel" required></label><button>Cerca</button></form>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${profile ? profileBody(profile) : ''}`,
  );
}

const KIND_IT: Record<Profile['timeline'][number]['kind'], string> = {
  call: 'chiamata',
  callback: 'richiesta',
  attempt: 'tentativo',
  outcome: 'esito',
  transfer: 'trasferimento',
  intervention: 'intervento',
  note: 'nota',
  followup: 'seguito',
};
const ROLE_IT: Record<string, string> = { switchboard: 'centralino', staff: 'personale', unit: 'ufficio' };

export function profileBody(p: Profile): Html {
  if (p.timeline.length === 0) return html`<p class="muted">Nessuna chiamata o richiamata per ${p.number}.</p>`;
  const others = p.numbers.filter((n) => n !== p.number);
  return html`<p>${p.number}: ${p.calls.length} chiamate, ${p.callbacks.length} richieste di richiamata, ${p.outcomes.filter((o) => o.kind === 'operator').length} esiti registrati.</p>
${others.length > 0 ? html`<p>Altri numeri della stessa persona (collegati da una richiesta di richiamata): ${others.join(', ')}.</p>` : ''}
<table id="timeline"><thead><tr><th>Quando</th><th>Numero</th><th>Cosa</th><th>Dettagli</th></tr></thead><tbody>
${p.timeline.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.number}</td><td>${KIND_IT[e.kind]}</td><td>${e.summaryIt}</td></tr>`)}
</tbody></table>`;
}

// ---- reports ------------------------------------------------------------------------------

export function reportsPage(ctx: PageContext, dps: string[], q: { dp?: string; from: string; to: string }, figs: DpFigures[], error?: string): Html {
  const csv = `/console/reports.csv?${new URLSearchParams({ ...(q.dp ? { dp: q.dp } : {}), from: q.from, to: q.to }).toString()}`;
  // ";" and a decimal comma: what a spreadsheet with Italian settings opens with a double click
  const csvIt = `${csv}&locale=it`;
  const rows = reportRows(figs);
  const metrics = [...new Map(rows.map((r) => [r.metric, r.labelIt])).entries()];
  return layout(
    ctx,
    'Report',
    html`
<form method="get" class="filters">
  <label>DP <select name="dp"><option value="">tutte</option>${dps.map((d) => html`<option${d === q.dp ? html` selected` : ''}>${d}</option>`)}</select></label>
  <label>Dal <input type="date" name="from" value="${q.from}" required></label>
  <label>Al <input type="date" name="to" value="${q.to}" required></label>
  <button>Mostra</button> <a href="${csv}" download>Scarica CSV</a> <a href="${csvIt}" download title="separatore ; e virgola decimale">CSV per Excel italiano</a>
</form>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${figs.map((f) => html`<section class="chart"><h2>${f.dp}: chiamate e richiamate per giorno</h2>${barChart(f)}</section>`)}
<table id="report"><thead><tr><th>Dal ${q.from} al ${q.to}</th>${figs.map((f) => html`<th>${f.dp}</th>`)}</tr></thead><tbody>
${metrics.map(([m, label]) => html`<tr><td>${label}</td>${figs.map((f) => html`<td class="num">${rows.find((r) => r.dp === f.dp && r.metric === m)?.value ?? '-'}</td>`)}</tr>`)}
</tbody></table>`,
  );
}

const SERIES: Array<[keyof Figures, string, string]> = [
  ['callsReceived', 'Chiamate ricevute', 's1'],
  ['answeredByOperator', 'Risposte da operatore', 's2'],
  ['bookings', 'Richiamate prenotate', 's3'],
  ['callbacksCompleted', 'Richiamate completate', 's4'],
];

/** Grouped bars per day, as inline SVG: drawn on the server, nothing loaded from elsewhere. */
export function barChart(f: DpFigures): Html {
  const days = f.days ?? [];
  const W = 720;
  const H = 220;
  const pad = { l: 36, b: 40, t: 10 };
  const max = Math.max(1, ...days.flatMap((d) => SERIES.map(([k]) => d[k] as number)));
  const groupW = (W - pad.l) / Math.max(1, days.length);
  const barW = Math.max(2, (groupW - 6) / SERIES.length);
  const y = (v: number): number => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Chiamate e richiamate per giorno, ${f.dp}" class="bars">
<line x1="${pad.l}" y1="${y(0)}" x2="${W}" y2="${y(0)}" class="axis"/>
<text x="${pad.l - 4}" y="${y(max) + 4}" class="tick" text-anchor="end">${max}</text>
<text x="${pad.l - 4}" y="${y(0)}" class="tick" text-anchor="end">0</text>
${days.map(
  (d, i) =>
    html`<g>${SERIES.map(([k, label, cls], j) => {
      const v = d[k] as number;
      const x = pad.l + i * groupW + 3 + j * barW;
      return html`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" class="${cls}"><title>${d.date} · ${label}: ${v}</title></rect>`;
    })}<text x="${(pad.l + i * groupW + groupW / 2).toFixed(1)}" y="${H - pad.b + 14}" class="tick" text-anchor="middle">${d.date.slice(5)}</text></g>`,
)}
${SERIES.map(([, label, cls], j) => html`<rect x="${pad.l + j * 170}" y="${H - 16}" width="10" height="10" class="${cls}"/><text x="${pad.l + j * 170 + 14}" y="${H - 7}" class="legend">${label}</text>`)}
</svg>`;
}

// ---- operator view ------------------------------------------------------------------------

export interface OperatorCall {
  kind: 'chiamata' | 'richiamata';
  live: boolean;
  number: string | null;
  dp: string;
  callId: string | null;
  callbackId: number | null;
  since: string;
  attempts?: AttemptRow[];
}

const INTERVENTION_IT: Record<string, string> = { handled: 'risolto', needs_follow_up: 'da seguire', not_competent: 'non di competenza', not_recorded: 'non registrato' };

/** An internal unit's official's latest interventions, each with the form to record it (code and text). */
function interventionsSection(ctx: PageContext, operator: string, rows: OutcomeRow[]): Html {
  return html`<section id="interventions"><h2>Interventi dell'articolazione</h2>
${
  rows.length === 0
    ? html`<p class="muted">Nessun intervento di ${operator}.</p>`
    : html`<table><thead><tr><th>Quando</th><th>Chiamante</th><th>Ufficio</th><th>Esito</th><th>Registra</th></tr></thead><tbody>
${rows.map(
  (
    r,
  ) => html`<tr data-outcome="${r.id}"><td>${when(r.at)}</td><td>${r.number ?? 'anonimo'}</td><td>${r.unit ?? '-'}</td><td>${r.byDefault ? html`<strong>${INTERVENTION_IT.not_recorded}</strong>` : (INTERVENTION_IT[r.label] ?? r.label)}${r.detail ? html`<br>${r.detail}` : ''}${r.recordedVia === 'console' ? html` <span class="muted">(dalla console, ${when(r.recordedAt)})</span>` : ''}</td><td>
<form method="post" action="/console/intervention" class="intervention"><input type="hidden" name="csrf" value="${ctx.csrf}"><input type="hidden" name="outcome" value="${String(r.id)}">
<select name="code">${Object.entries(INTERVENTION_CODES).map(([code, label]) => html`<option value="${code}"${!r.byDefault && r.code === code ? html` selected` : ''}>${code} ${INTERVENTION_IT[label] ?? label}</option>`)}</select>
<input name="text" maxlength="2000" placeholder="Che cosa è stato fatto" value="${r.detail ?? ''}"><button>Registra</button></form></td></tr>`,
)}
</tbody></table>`
}</section>`;
}

export function operatorPage(
  ctx: PageContext,
  operator: string | null,
  call: OperatorCall | undefined,
  profile: Profile | undefined,
  notice?: string,
  station?: { paused: boolean; pausedAt: string | null; topics: string[] },
  interventions?: OutcomeRow[],
): Html {
  if (!operator)
    return layout(ctx, 'Postazione operatore', html`<p class="muted">Questo account non è associato a un operatore: scegline uno con <code>?operator=&lt;id&gt;</code>.</p>`);
  return layout(
    ctx,
    `Postazione operatore ${operator}`,
    html`
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${
  station
    ? html`<form method="post" action="/console/station" class="station">
  <input type="hidden" name="csrf" value="${ctx.csrf}">
  <input type="hidden" name="operator" value="${operator}">
  <span id="station-state">${station.paused ? html`In pausa dalle ${when(station.pausedAt)}` : 'Disponibile'}</span>
  <button name="action" value="${station.paused ? 'resume' : 'pause'}">${station.paused ? 'Riprendi' : 'Metti in pausa'}</button>
</form>`
    : ''
}
${
  call
    ? html`<section id="current">
<h2>${call.live ? 'In corso' : 'Ultima'}: ${call.kind} ${call.number ?? 'anonimo'} (${call.dp}) dalle ${when(call.since)}</h2>
<form method="post" action="/console/notes" class="note">
  <input type="hidden" name="csrf" value="${ctx.csrf}">
  <input type="hidden" name="number" value="${call.number ?? ''}">
  <input type="hidden" name="dp" value="${call.dp}">
  <input type="hidden" name="callId" value="${call.callId ?? ''}">
  <input type="hidden" name="callbackId" value="${call.callbackId ?? ''}">
  <input type="hidden" name="operator" value="${operator}">
  <label>Informazione fornita <select name="info"><option value="">(nessuna)</option>${(station?.topics ?? []).map((t) => html`<option>${t}</option>`)}</select></label>
  <label>Note <textarea name="text" rows="3" maxlength="2000"></textarea></label>
  <button>Registra</button>
</form>
</section>
<section><h2>Profilo del chiamante</h2>${profile ? profileBody(profile) : html`<p class="muted">Numero anonimo: nessun profilo.</p>`}</section>`
    : html`<p class="muted">Nessuna chiamata o richiamata per ${operator}.</p>`
}
${interventions ? interventionsSection(ctx, operator, interventions) : ''}`,
  );
}

// ---- audit ------------------------------------------------------------------------------

const AUDIT_IT: Record<string, string> = { profile_view: 'profilo consultato', profile_refused: 'profilo negato', note_added: 'nota scritta' };

/** Who looked at whose data, newest first (supervisors only). */
export function auditPage(ctx: PageContext, f: { username: string | undefined; subject: string | undefined }, rows: AuditRow[]): Html {
  return layout(
    ctx,
    'Registro accessi',
    html`
<form method="get" action="/console/audit" class="filters">
  <label>Utente <input name="user" value="${f.username ?? ''}"></label>
  <label>Numero <input name="number" value="${f.subject ?? ''}"></label>
  <button>Filtra</button>
</form>
<table id="audit">
  <thead><tr><th>Quando</th><th>Utente</th><th>Ruolo</th><th>Azione</th><th>Numero</th><th>Dettaglio</th></tr></thead>
  <tbody>${rows.map((r) => html`<tr><td>${when(r.at)}</td><td>${r.username}</td><td>${r.role === 'supervisor' ? 'supervisore' : 'operatore'}</td><td>${AUDIT_IT[r.action] ?? r.action}</td><td>${r.subject ?? '-'}</td><td>${r.detail ?? ''}</td></tr>`)}</tbody>
</table>
<p>Le ultime ${rows.length} voci. I numeri sono mascherati dalla conservazione dei dati come nel resto del sistema.</p>`,
  );
}

// ---- follow-up items ----------------------------------------------------------------------

/** The worklist: cases marked "needs follow-up", each closed with what was done. */
export function followupsPage(ctx: PageContext, f: { dp: string | undefined; all: boolean }, rows: FollowupRow[], notice?: string): Html {
  return layout(
    ctx,
    'Seguiti',
    html`
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p><a href="/console/followups${f.all ? '' : '?all=1'}">${f.all ? 'Solo quelli aperti' : 'Anche quelli chiusi'}</a></p>
${
  rows.length === 0
    ? html`<p class="muted">Nessun seguito ${f.all ? '' : 'aperto'}.</p>`
    : html`<table id="followups"><thead><tr><th>N.</th><th>DP</th><th>Per</th><th>Numero</th><th>Aperto da</th><th>Dalle</th><th>Esito</th></tr></thead><tbody>
${rows.map(
  (r) =>
    html`<tr data-followup="${r.id}"><td>${r.id}</td><td>${r.dp}</td><td>${r.unit ? `ufficio ${r.unit}` : 'operatori'}</td><td>${r.number ? html`<a href="/console/profile?number=${encodeURIComponent(r.number)}">${r.number}</a>` : 'anonimo'}</td><td>${r.openedBy}</td><td>${when(r.openedAt)}</td><td>${
      r.status === 'closed'
        ? html`${r.outcome} <span class="muted">(${r.closedBy}, ${when(r.closedAt)})</span>`
        : html`<form method="post" action="/console/followups/${r.id}/close" class="close"><input type="hidden" name="csrf" value="${ctx.csrf}"><input name="outcome" maxlength="2000" required placeholder="Che cosa è stato fatto"><button>Chiudi</button></form>`
    }</td></tr>`,
)}
</tbody></table>`
}`,
  );
}

/** Supervisors: each directorate open or closed; closing one (until, message, callback offer) and reopening it. */
export function closuresPage(
  ctx: PageContext,
  states: Array<{ dp: string; name: string; closure: ClosureRow | undefined; spoken: boolean; offerWhenClosed: boolean }>,
  notice?: string,
): Html {
  return layout(
    ctx,
    'Chiusure straordinarie',
    html`
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p class="muted">Durante una chiusura i chiamanti ascoltano il messaggio di chiusura (quello generato dall'orario di fine, o il vostro) e, se indicato, l'offerta di richiamata per il primo orario utile; nessuna richiamata viene fatta fino alla riapertura.</p>
<table id="closures"><thead><tr><th>DP</th><th>Stato</th><th>Azione</th></tr></thead><tbody>
${states.map(
  (x) =>
    html`<tr data-dp="${x.dp}"><td>${x.dp}<br><span class="muted">${x.name}</span></td><td>${
      x.closure
        ? html`<strong>chiusa</strong> fino a ${when(x.closure.endsAt)}<br><span class="muted">da ${x.closure.createdBy}; ${x.closure.offerCallback ? 'con offerta di richiamata' : 'senza richiamata'}; ${x.closure.messageIt ? html`messaggio: «${x.closure.messageIt}»` : 'messaggio generato'}${x.spoken ? '' : " (in preparazione: ora si ascolta l'avviso generico)"}</span>`
        : 'aperta'
    }</td><td>${
      x.closure
        ? html`<form method="post" action="/console/dps/${x.dp}/open"><input type="hidden" name="csrf" value="${ctx.csrf}"><button>Riapri ora</button></form>`
        : html`<form method="post" action="/console/dps/${x.dp}/close" class="closure"><input type="hidden" name="csrf" value="${ctx.csrf}">
<label>Fino a <input type="datetime-local" name="until" required></label>
<label>Messaggio (facoltativo) <input name="message" maxlength="400" placeholder="Gli uffici sono chiusi per ..."></label>
<label><input type="checkbox" name="callback" value="1"${x.offerWhenClosed ? html` checked` : ''}> offrire la richiamata</label>
<button>Chiudi</button></form>`
    }</td></tr>`,
)}
</tbody></table>`,
  );
}
