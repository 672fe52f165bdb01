// The languages a directorate can speak to its callers. Italian is always there and comes
// first: the welcome and the main menu start in Italian, and invite the directorate's other
// languages each on its own key. The keys are the same in every directorate (9 English,
// 8 German, 7 French), so that the agency can print them once for the whole country; a
// directorate offering German or French cannot use that key for an office.

export const LANGS = ['it', 'en', 'de', 'fr'] as const;
export type Lang = (typeof LANGS)[number];

/** the main-menu key that switches to a language (Italian is where the menu starts) */
export const LANGUAGE_KEYS: Readonly<Record<Exclude<Lang, 'it'>, string>> = { en: '9', de: '8', fr: '7' };

/** the common prompt inviting to a language, spoken in that language inside the Italian menu */
export const LANGUAGE_INVITATIONS: Readonly<Record<Exclude<Lang, 'it'>, string>> = { en: 'menu-english', de: 'menu-german', fr: 'menu-french' };

export const LANGUAGE_NAMES: Readonly<Record<Lang, string>> = { it: 'Italian', en: 'English', de: 'German', fr: 'French' };

/** a language and its key, in the order the Italian menu invites them */
export interface LanguageChoice {
  lang: Exclude<Lang, 'it'>;
  key: string;
}

/** The choices a directorate's Italian menu offers (its languages other than Italian). */
export function languageChoices(languages: readonly Lang[]): LanguageChoice[] {
  return LANGS.filter((l): l is Exclude<Lang, 'it'> => l !== 'it' && languages.includes(l)).map((lang) => ({ lang, key: LANGUAGE_KEYS[lang] }));
}

/** A channel's language as Asterisk reports it, as one of ours (Italian when it is none of them). */
export const asLang = (s: string | undefined): Lang => ((LANGS as readonly string[]).includes(s ?? '') ? (s as Lang) : 'it');

/**
 * Asterisk speaks numbers and digits itself in Italian (asterisk-prompt-it-menardi) and
 * English (its core sounds); Debian ships no German sounds and only Canadian French, so
 * for those the numbers and digits are synthesized like the other prompts.
 */
export const speaksNumbersItself = (lang: Lang): boolean => lang === 'it' || lang === 'en';
