// Prompt texts: the common ones from sounds/prompts.yaml, the per-directorate ones built
// from the configuration (welcome with the privacy sentence, the fallback apology with the
// directorate's hours), the closures' messages. The audio is synthesized from these by `make
// prompts` (and by the controller for a reload or a closure).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Config, Directorate, ServiceHours, Weekday } from '../config/schema';
import { spokenUntil, type Closure } from '../schedule/closures';
import { WEEKDAYS } from '../config/schema';
import { commonPromptPath, dpPromptPath } from './media';
import { ConfigError } from '../config/load';

export type Lang = 'it' | 'en';

export interface PromptSpec {
  /** relative to the sounds dir, without extension */
  path: string;
  /** the voice that speaks it */
  lang: Lang;
  text: string;
  /** a recorded WAV used instead of the synthesized text (config recordings) */
  recording?: string;
}

const DAY_NAMES: Record<Lang, Record<Weekday, string>> = {
  it: { mon: 'lunedì', tue: 'martedì', wed: 'mercoledì', thu: 'giovedì', fri: 'venerdì', sat: 'sabato', sun: 'domenica' },
  en: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' },
};

function spokenTime(t: string, lang: Lang): string {
  const [h, m] = t.split(':').map(Number) as [number, number];
  if (lang === 'it') return m === 0 ? `${h}` : `${h} e ${m}`;
  return m === 0 ? `${h}` : `${h}:${String(m).padStart(2, '0')}`;
}

function spokenWindows(windows: string[], lang: Lang): string {
  if (windows.length === 1 && windows[0] === '00:00-24:00') return lang === 'it' ? 'a qualsiasi ora' : 'at any time';
  const parts = windows.map((w) => {
    const [a, b] = w.split('-') as [string, string];
    return lang === 'it' ? `dalle ${spokenTime(a, lang)} alle ${spokenTime(b, lang)}` : `from ${spokenTime(a, lang)} to ${spokenTime(b, lang)}`;
  });
  return parts.join(lang === 'it' ? ' e ' : ' and ');
}

/** "dal lunedì al venerdì dalle 9 alle 13": consecutive days with the same hours grouped. */
export function describeHours(hours: ServiceHours, lang: Lang): string {
  const groups: Array<{ from: Weekday; to: Weekday; windows: string[] }> = [];
  for (const day of WEEKDAYS) {
    const w = hours.weekly[day];
    if (!w || w.length === 0) continue;
    const last = groups[groups.length - 1];
    if (last && last.windows.join() === w.join() && WEEKDAYS.indexOf(last.to) === WEEKDAYS.indexOf(day) - 1) last.to = day;
    else groups.push({ from: day, to: day, windows: w });
  }
  if (groups.length === 0) return lang === 'it' ? 'al momento non sono previsti orari di apertura' : 'no opening hours are currently set';
  const d = DAY_NAMES[lang];
  const phrases = groups.map((g) => {
    let days: string;
    if (g.from === 'mon' && g.to === 'sun') days = lang === 'it' ? 'tutti i giorni' : 'every day';
    else if (g.from === g.to) days = lang === 'it' ? `il ${d[g.from]}` : `on ${d[g.from]}`;
    else days = lang === 'it' ? `dal ${d[g.from]} al ${d[g.to]}` : `${d[g.from]} to ${d[g.to]}`;
    return `${days} ${spokenWindows(g.windows, lang)}`;
  });
  const holidays = hours.nationalHolidays ? (lang === 'it' ? ', esclusi i giorni festivi' : ', except public holidays') : '';
  return phrases.join('; ') + holidays;
}

export function dpPrompts(dp: Directorate): PromptSpec[] {
  const en = dp.languages.includes('en');
  const specs: PromptSpec[] = [
    {
      path: dpPromptPath(dp.id, 'welcome', 'it'),
      lang: 'it',
      text:
        dp.welcome.it ??
        `Agenzia delle Entrate, Direzione Provinciale di ${dp.name}. Benvenuti. I dati di questa chiamata sono trattati nel rispetto della normativa sulla privacy.`,
    },
    // completes "Il servizio risponde ..." (office-closed)
    { path: dpPromptPath(dp.id, 'hours', 'it'), lang: 'it', text: `${describeHours(dp.hours, 'it')}.` },
    {
      path: dpPromptPath(dp.id, 'fallback', 'it'),
      lang: 'it',
      text: `Agenzia delle Entrate, Direzione Provinciale di ${dp.name}. Ci scusiamo, in questo momento non è possibile prenotare una richiamata. Gli uffici rispondono ${describeHours(dp.hours, 'it')}. La preghiamo di richiamare più tardi. Grazie.`,
    },
    // the first words a caller hears when we call back
    {
      path: dpPromptPath(dp.id, 'callback-greeting', 'it'),
      lang: 'it',
      text: `Gentile utente, la chiama l'Agenzia delle Entrate, Direzione Provinciale di ${dp.name}, come da sua richiesta di richiamata.`,
    },
  ];
  // the main menu's offices, after "to speak with an operator, press 1": "Ufficio rimborsi: prema 2."
  const offices = (lang: Lang): string =>
    dp.menu.map((m) => `${dp.units.find((u) => u.id === m.unit)?.name ?? m.unit}: ${lang === 'it' ? 'prema' : 'press'} ${m.key}.`).join(' ');
  if (dp.menu.length > 0) specs.push({ path: dpPromptPath(dp.id, 'menu-offices', 'it'), lang: 'it', text: offices('it') });
  if (en && dp.menu.length > 0) specs.push({ path: dpPromptPath(dp.id, 'menu-offices', 'en'), lang: 'en', text: offices('en') });
  if (en)
    specs.push(
      {
        path: dpPromptPath(dp.id, 'welcome', 'en'),
        lang: 'en',
        text: dp.welcome.en ?? `Italian Revenue Agency, Provincial Directorate of ${dp.name}. Welcome. Call data is processed in accordance with privacy law.`,
      },
      { path: dpPromptPath(dp.id, 'hours', 'en'), lang: 'en', text: `${describeHours(dp.hours, 'en')}.` },
      { path: dpPromptPath(dp.id, 'callback-greeting', 'en'), lang: 'en', text: `Hello, this is the Italian Revenue Agency, Provincial Directorate of ${dp.name}, calling you back as you requested.` },
    );
  return specs;
}

/** The prompt name of a closure's message (dp/<dp>-closure-<id>[-en]). */
export const closurePromptName = (closureId: number): string => `closure-${closureId}`;

/** A closure's message: the sysadmin's text, or "closed until ..." generated from its end. */
export function closurePrompts(dp: Directorate, c: Closure): PromptSpec[] {
  const tz = dp.hours.timezone;
  const name = closurePromptName(c.id);
  const specs: PromptSpec[] = [
    { path: dpPromptPath(dp.id, name, 'it'), lang: 'it', text: c.messageIt ?? `La Direzione Provinciale di ${dp.name} è chiusa in via straordinaria ${spokenUntil(c.until, c.createdAt, tz, 'it')}.` },
  ];
  if (dp.languages.includes('en'))
    specs.push({ path: dpPromptPath(dp.id, name, 'en'), lang: 'en', text: c.messageEn ?? `The Provincial Directorate of ${dp.name} is closed for exceptional reasons ${spokenUntil(c.until, c.createdAt, tz, 'en')}.` });
  return specs;
}

type Entry = string | { text: string; voice: Lang };

export function commonPrompts(root: string): PromptSpec[] {
  const doc = parse(readFileSync(path.join(root, 'sounds', 'prompts.yaml'), 'utf8')) as Record<Lang, Record<string, Entry>>;
  const specs: PromptSpec[] = [];
  for (const lang of ['it', 'en'] as const)
    for (const [name, entry] of Object.entries(doc[lang] ?? {})) {
      const { text, voice } = typeof entry === 'string' ? { text: entry, voice: lang } : entry;
      specs.push({ path: commonPromptPath(name, lang), lang: voice, text: text.trim() });
    }
  return specs;
}

/** The common prompt names a language must have (the Italian set is the reference). */
export function missingTranslations(root: string): string[] {
  const doc = parse(readFileSync(path.join(root, 'sounds', 'prompts.yaml'), 'utf8')) as Record<Lang, Record<string, Entry>>;
  // the English invitation is spoken inside the Italian menu; op-* prompts are for the staff
  const italianOnly = (k: string): boolean => k === 'menu-english' || k.startsWith('op-');
  return Object.keys(doc.it).filter((k) => !italianOnly(k) && !(k in (doc.en ?? {})));
}

/**
 * Every prompt to build: the common ones, each directorate's, and the messages of the
 * closures still to come or live; with the recorded WAV where the config gives one. A
 * recording for a prompt that does not exist is a config error naming it.
 */
export function promptManifest(config: Config, root: string, closures: readonly Closure[] = []): PromptSpec[] {
  const closurePromptsOf = (dp: Directorate): PromptSpec[] => closures.filter((c) => c.dp === dp.id).flatMap((c) => closurePrompts(dp, c));
  const specs = [...commonPrompts(root), ...config.directorates.flatMap((dp) => [...dpPrompts(dp), ...closurePromptsOf(dp)])];
  const recordings = config.recordings ?? {};
  for (const key of Object.keys(recordings))
    if (!specs.some((p) => p.path === key)) throw new ConfigError(`recordings.${key}: no such prompt (ivrctl prompts list shows their paths)`);
  return specs.map((p) => (recordings[p.path] ? { ...p, recording: recordings[p.path] } : p));
}
