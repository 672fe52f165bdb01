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
import { commonPromptPath, dpPromptPath, SYNTHESIZED_NUMBERS } from './media';
import { LANGS, speaksNumbersItself, type Lang } from '../config/languages';
import { ConfigError } from '../errors';

export type { Lang } from '../config/languages';

export interface PromptSpec {
  /** relative to the sounds dir, without extension */
  path: string;
  /** the voice that speaks it */
  lang: Lang;
  text: string;
  /** a recorded WAV used instead of the synthesized text (config recordings) */
  recording?: string;
}

/** How each language says a directorate's hours, its offices' keys and its greetings. */
interface Phrasing {
  days: Record<Weekday, string>;
  time(h: number, m: number): string;
  window(from: string, to: string): string;
  and: string;
  anyTime: string;
  everyDay: string;
  oneDay(day: string): string;
  dayRange(from: string, to: string): string;
  exceptHolidays: string;
  noHours: string;
  press(key: string): string;
  welcome(name: string): string;
  callbackGreeting(name: string): string;
}

const PHRASING: Record<Lang, Phrasing> = {
  it: {
    days: { mon: 'lunedì', tue: 'martedì', wed: 'mercoledì', thu: 'giovedì', fri: 'venerdì', sat: 'sabato', sun: 'domenica' },
    time: (h, m) => (m === 0 ? `${h}` : `${h} e ${m}`),
    window: (a, b) => `dalle ${a} alle ${b}`,
    and: ' e ',
    anyTime: 'a qualsiasi ora',
    everyDay: 'tutti i giorni',
    oneDay: (d) => `il ${d}`,
    dayRange: (a, b) => `dal ${a} al ${b}`,
    exceptHolidays: ', esclusi i giorni festivi',
    noHours: 'al momento non sono previsti orari di apertura',
    press: (k) => `prema ${k}`,
    welcome: (name) => `Agenzia delle Entrate, Direzione Provinciale di ${name}. Benvenuti. I dati di questa chiamata sono trattati nel rispetto della normativa sulla privacy.`,
    callbackGreeting: (name) => `Gentile utente, la chiama l'Agenzia delle Entrate, Direzione Provinciale di ${name}, come da sua richiesta di richiamata.`,
  },
  en: {
    days: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' },
    time: (h, m) => (m === 0 ? `${h}` : `${h}:${String(m).padStart(2, '0')}`),
    window: (a, b) => `from ${a} to ${b}`,
    and: ' and ',
    anyTime: 'at any time',
    everyDay: 'every day',
    oneDay: (d) => `on ${d}`,
    dayRange: (a, b) => `${a} to ${b}`,
    exceptHolidays: ', except public holidays',
    noHours: 'no opening hours are currently set',
    press: (k) => `press ${k}`,
    welcome: (name) => `Italian Revenue Agency, Provincial Directorate of ${name}. Welcome. Call data is processed in accordance with privacy law.`,
    callbackGreeting: (name) => `Hello, this is the Italian Revenue Agency, Provincial Directorate of ${name}, calling you back as you requested.`,
  },
  // the agency's own German names in South Tyrol: Agentur der Einnahmen, Landesdirektion
  de: {
    days: { mon: 'Montag', tue: 'Dienstag', wed: 'Mittwoch', thu: 'Donnerstag', fri: 'Freitag', sat: 'Samstag', sun: 'Sonntag' },
    time: (h, m) => (m === 0 ? `${h} Uhr` : `${h} Uhr ${m}`),
    window: (a, b) => `von ${a} bis ${b}`,
    and: ' und ',
    anyTime: 'rund um die Uhr',
    everyDay: 'täglich',
    oneDay: (d) => `am ${d}`,
    dayRange: (a, b) => `von ${a} bis ${b}`,
    exceptHolidays: ', außer an Feiertagen',
    noHours: 'derzeit sind keine Öffnungszeiten festgelegt',
    press: (k) => `drücken Sie die ${k}`,
    welcome: (name) => `Agentur der Einnahmen, Landesdirektion ${name}. Willkommen. Die Daten dieses Anrufs werden gemäß den Datenschutzbestimmungen verarbeitet.`,
    callbackGreeting: (name) => `Guten Tag, hier ist die Agentur der Einnahmen, Landesdirektion ${name}. Wir rufen Sie wie gewünscht zurück.`,
  },
  fr: {
    days: { mon: 'lundi', tue: 'mardi', wed: 'mercredi', thu: 'jeudi', fri: 'vendredi', sat: 'samedi', sun: 'dimanche' },
    time: (h, m) => `${h} ${h === 1 ? 'heure' : 'heures'}${m === 0 ? '' : ` ${m}`}`,
    window: (a, b) => `de ${a} à ${b}`,
    and: ' et ',
    anyTime: 'à toute heure',
    everyDay: 'tous les jours',
    oneDay: (d) => `le ${d}`,
    dayRange: (a, b) => `du ${a} au ${b}`,
    exceptHolidays: ', sauf les jours fériés',
    noHours: "aucun horaire d'ouverture n'est prévu pour le moment",
    press: (k) => `appuyez sur ${k}`,
    welcome: (name) =>
      `Agenzia delle Entrate, Direction provinciale de ${name}. Bienvenue. Les données de cet appel sont traitées conformément à la réglementation sur la protection de la vie privée.`,
    callbackGreeting: (name) => `Bonjour, ici l'Agenzia delle Entrate, Direction provinciale de ${name}. Nous vous rappelons comme vous l'avez demandé.`,
  },
};

function spokenWindows(windows: string[], p: Phrasing): string {
  if (windows.length === 1 && windows[0] === '00:00-24:00') return p.anyTime;
  const time = (t: string): string => {
    const [h, m] = t.split(':').map(Number) as [number, number];
    return p.time(h, m);
  };
  return windows
    .map((w) => {
      const [a, b] = w.split('-') as [string, string];
      return p.window(time(a), time(b));
    })
    .join(p.and);
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
  const p = PHRASING[lang];
  if (groups.length === 0) return p.noHours;
  const phrases = groups.map((g) => {
    let days: string;
    if (g.from === 'mon' && g.to === 'sun') days = p.everyDay;
    else if (g.from === g.to) days = p.oneDay(p.days[g.from]);
    else days = p.dayRange(p.days[g.from], p.days[g.to]);
    return `${days} ${spokenWindows(g.windows, p)}`;
  });
  return phrases.join('; ') + (hours.nationalHolidays ? p.exceptHolidays : '');
}

export function dpPrompts(dp: Directorate): PromptSpec[] {
  const specs: PromptSpec[] = [
    // Italian only: it is played when the call cannot go on, before any language is chosen
    {
      path: dpPromptPath(dp.id, 'fallback', 'it'),
      lang: 'it',
      text: `Agenzia delle Entrate, Direzione Provinciale di ${dp.name}. Ci scusiamo, in questo momento non è possibile prenotare una richiamata. Gli uffici rispondono ${describeHours(dp.hours, 'it')}. La preghiamo di richiamare più tardi. Grazie.`,
    },
  ];
  for (const lang of LANGS.filter((l) => dp.languages.includes(l))) {
    const p = PHRASING[lang];
    const spoken = (name: string, text: string): PromptSpec => ({ path: dpPromptPath(dp.id, name, lang), lang, text });
    specs.push(
      spoken('welcome', dp.welcome[lang] ?? p.welcome(dp.name)),
      // completes "Il servizio risponde ..." (office-closed)
      spoken('hours', `${describeHours(dp.hours, lang)}.`),
      // the first words a caller hears when we call back
      spoken('callback-greeting', p.callbackGreeting(dp.name)),
    );
    // the main menu's offices, after "to speak with an operator, press 1": "Ufficio rimborsi: prema 2."
    if (dp.menu.length > 0) specs.push(spoken('menu-offices', dp.menu.map((m) => `${dp.units.find((u) => u.id === m.unit)?.name ?? m.unit}: ${p.press(m.key)}.`).join(' ')));
  }
  return specs;
}

/** The prompt name of a closure's message (dp/<dp>-closure-<id>[-<lang>]). */
export const closurePromptName = (closureId: number): string => `closure-${closureId}`;

/** "closed until ...", generated from a closure's end, when the sysadmin gave no message */
const CLOSED: Record<Lang, (name: string, until: string) => string> = {
  it: (name, until) => `La Direzione Provinciale di ${name} è chiusa in via straordinaria ${until}.`,
  en: (name, until) => `The Provincial Directorate of ${name} is closed for exceptional reasons ${until}.`,
  de: (name, until) => `Die Landesdirektion ${name} ist ${until} ausnahmsweise geschlossen.`,
  fr: (name, until) => `La Direction provinciale de ${name} est exceptionnellement fermée ${until}.`,
};

/**
 * A closure's message in each of the directorate's languages: the sysadmin's text (Italian,
 * English), or "closed until ..." generated from its end (always so in German and French).
 */
export function closurePrompts(dp: Directorate, c: Closure): PromptSpec[] {
  const own: Partial<Record<Lang, string | null>> = { it: c.messageIt, en: c.messageEn };
  return LANGS.filter((l) => dp.languages.includes(l)).map((lang) => ({
    path: dpPromptPath(dp.id, closurePromptName(c.id), lang),
    lang,
    text: own[lang] ?? CLOSED[lang](dp.name, spokenUntil(c.until, c.createdAt, dp.hours.timezone, lang)),
  }));
}

type Entry = string | { text: string; voice: Lang };

const readCommon = (root: string): Partial<Record<Lang, Record<string, Entry>>> =>
  parse(readFileSync(path.join(root, 'sounds', 'prompts.yaml'), 'utf8')) as Partial<Record<Lang, Record<string, Entry>>>;

/**
 * The common prompts of these languages; in German and French also the numbers and digits
 * they are read out with (media.ts).
 */
export function commonPrompts(root: string, langs: readonly Lang[] = LANGS): PromptSpec[] {
  const doc = readCommon(root);
  const specs: PromptSpec[] = [];
  for (const lang of LANGS.filter((l) => langs.includes(l))) {
    for (const [name, entry] of Object.entries(doc[lang] ?? {})) {
      const { text, voice } = typeof entry === 'string' ? { text: entry, voice: lang } : entry;
      specs.push({ path: commonPromptPath(name, lang), lang: voice, text: text.trim() });
    }
    if (speaksNumbersItself(lang)) continue;
    for (let d = 0; d <= 9; d++) specs.push({ path: commonPromptPath(`digit-${d}`, lang), lang, text: String(d) });
    for (const n of SYNTHESIZED_NUMBERS) specs.push({ path: commonPromptPath(`number-${n}`, lang), lang, text: String(n) });
  }
  return specs;
}

/** The common prompts missing from a language ("de/goodbye"); the Italian set is the reference. */
export function missingTranslations(root: string): string[] {
  const doc = readCommon(root);
  // the invitations are spoken inside the Italian menu; op-* prompts are for the staff
  const italianOnly = (k: string): boolean => (k.startsWith('menu-') && k !== 'menu-main') || k.startsWith('op-');
  return LANGS.filter((l) => l !== 'it').flatMap((lang) =>
    Object.keys(doc.it ?? {})
      .filter((k) => !italianOnly(k) && !(k in (doc[lang] ?? {})))
      .map((k) => `${lang}/${k}`),
  );
}

/**
 * Every prompt to build: the common ones, each directorate's, and the messages of the
 * closures still to come or live; with the recorded WAV where the config gives one. A
 * recording for a prompt that does not exist is a config error naming it.
 */
export function promptManifest(config: Config, root: string, closures: readonly Closure[] = []): PromptSpec[] {
  const closurePromptsOf = (dp: Directorate): PromptSpec[] => closures.filter((c) => c.dp === dp.id).flatMap((c) => closurePrompts(dp, c));
  const spoken = LANGS.filter((l) => l === 'it' || config.directorates.some((dp) => dp.languages.includes(l)));
  const specs = [...commonPrompts(root, spoken), ...config.directorates.flatMap((dp) => [...dpPrompts(dp), ...closurePromptsOf(dp)])];
  const recordings = config.recordings ?? {};
  for (const key of Object.keys(recordings))
    if (!specs.some((p) => p.path === key)) throw new ConfigError(`recordings.${key}: no such prompt (ivrctl prompts list shows their paths)`);
  return specs.map((p) => (recordings[p.path] ? { ...p, recording: recordings[p.path] } : p));
}
