// Where prompts live inside the Asterisk container, and how the flows name them.
import type { PromptRef } from '../inbound/welcome-flow';

/** mount point of the synthesized prompts (sounds/gen) in the container */
export const CONTAINER_SOUNDS = '/opt/ivr/sounds';

/** file name without extension, relative to the sounds dir */
export function promptPath(ref: PromptRef): string {
  return ref.kind === 'dp' ? `dp/${ref.dp}-${ref.name}${ref.lang === 'it' ? '' : `-${ref.lang}`}` : `${ref.lang}/${ref.name}`;
}

export const promptMedia = (ref: PromptRef): string => `sound:${CONTAINER_SOUNDS}/${promptPath(ref)}`;
