// Where prompts live inside the Asterisk container, and how the flow's prompts become ARI
// media URIs. Numbers and digits are spoken by Asterisk in the channel's language (the
// Italian digit prompts come from asterisk-prompt-it-menardi).
import type { Lang, Prompt } from '../inbound/ivr-flow';

/** mount point of the synthesized prompts (sounds/gen) in the container */
export const CONTAINER_SOUNDS = '/opt/ivr/sounds';

/** hold music (Debian's asterisk-moh-opsound-gsm, in the image): over a minute long */
export const HOLD_MUSIC = 'sound:/usr/share/asterisk/moh/manolo_camp-morning_coffee';

/** file name without extension, relative to the sounds dir */
export function dpPromptPath(dp: string, name: string, lang: Lang): string {
  return `dp/${dp}-${name}${lang === 'it' ? '' : `-${lang}`}`;
}

export const commonPromptPath = (name: string, lang: Lang): string => `${lang}/${name}`;

/** A prompt of sounds/prompts.yaml in a language, as an ARI media URI. */
export const commonMedia = (name: string, lang: Lang): string => `sound:${CONTAINER_SOUNDS}/${commonPromptPath(name, lang)}`;

export function promptMedia(p: Prompt, lang: Lang, dp: string): string {
  switch (p.kind) {
    case 'common':
      return commonMedia(p.name, lang);
    case 'dp':
      return `sound:${CONTAINER_SOUNDS}/${dpPromptPath(dp, p.name, lang)}`;
    case 'number':
      return `number:${p.value}`;
    case 'digits':
      return `digits:${p.value}`;
    case 'music':
      return HOLD_MUSIC;
  }
}
