// Where prompts live inside the Asterisk container, and how the flow's prompts become ARI
// media URIs. Numbers and digits are spoken by Asterisk in the channel's language (the
// Italian digit prompts come from asterisk-prompt-it-menardi) in Italian and English, and
// from synthesized prompts in German and French (config/languages.ts says why).
import type { Prompt } from './prompt';
import { speaksNumbersItself, type Lang } from '../config/languages';

/** mount point of the synthesized prompts (sounds/gen) in the container */
export const CONTAINER_SOUNDS = '/opt/ivr/sounds';

/** Italian ringback heard by the caller while phones ring (tonezone it: 1 s on, 4 s off) */
export const RINGBACK = 'tone:ring;tonezone=it';

/** hold music (Debian's asterisk-moh-opsound-gsm, in the image): over a minute long */
export const HOLD_MUSIC = 'sound:/usr/share/asterisk/moh/manolo_camp-morning_coffee';

/** file name without extension, relative to the sounds dir */
export function dpPromptPath(dp: string, name: string, lang: Lang): string {
  return `dp/${dp}-${name}${lang === 'it' ? '' : `-${lang}`}`;
}

export const commonPromptPath = (name: string, lang: Lang): string => `${lang}/${name}`;

/** A prompt of sounds/prompts.yaml in a language, as an ARI media URI. */
export const commonMedia = (name: string, lang: Lang): string => `sound:${CONTAINER_SOUNDS}/${commonPromptPath(name, lang)}`;

/**
 * A prompt as ARI media URIs. Digits are one sound file each ("digits/0" in the channel's
 * language), not one "digits:" say: Asterisk cannot stop a say in the middle, so an operator
 * who keys 1 while the whisper reads the caller's number out would hear the rest of it, and
 * the call could not be bridged until it ended.
 */
export function promptMedia(p: Prompt, lang: Lang, dp: string): string[] {
  switch (p.kind) {
    case 'common':
      return [commonMedia(p.name, lang)];
    case 'dp':
      return [`sound:${CONTAINER_SOUNDS}/${dpPromptPath(dp, p.name, lang)}`];
    case 'number':
      if (speaksNumbersItself(lang)) return [`number:${p.value}`];
      return numberPromptNames(p.value).map((name) => commonMedia(name, lang));
    case 'digits': {
      const digits = [...p.value].filter((d) => /[0-9]/.test(d));
      if (speaksNumbersItself(lang)) return digits.map((d) => `${DIGIT_SOUND}${d}`);
      return digits.map((d) => commonMedia(`digit-${d}`, lang));
    }
    case 'music':
      return [HOLD_MUSIC];
  }
}

/** Asterisk's digit files, in the channel's language (asterisk-prompt-it-menardi for Italian) */
export const DIGIT_SOUND = 'sound:digits/';

/** the numbers synthesized in the languages Asterisk has no sounds for: 0–99 and the hundreds */
export const SYNTHESIZED_NUMBERS: readonly number[] = [...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 9 }, (_, i) => (i + 1) * 100)];

/**
 * The synthesized prompts that say a number: "number-57"; "number-100", "number-57" for
 * 157 (hundert siebenundfünfzig, cent cinquante-sept); a queue position past 999 is read
 * digit by digit.
 */
export function numberPromptNames(n: number): string[] {
  const v = Math.max(0, Math.trunc(n));
  if (v < 100) return [`number-${v}`];
  if (v < 1000) return v % 100 === 0 ? [`number-${v}`] : [`number-${v - (v % 100)}`, `number-${v % 100}`];
  return [...String(v)].map((d) => `digit-${d}`);
}
