// What a flow asks to be played, before it becomes ARI media (media.ts): a common prompt of
// sounds/prompts.yaml, one of the directorate's own, a number or digits read out, or hold
// music. Shared by the inbound flow, the callback policy and the media mapping.

export type Prompt =
  | { kind: 'common'; name: string }
  | { kind: 'dp'; name: string }
  | { kind: 'number'; value: number }
  | { kind: 'digits'; value: string }
  /** hold music, while the caller waits for the booking to be written */
  | { kind: 'music' };
