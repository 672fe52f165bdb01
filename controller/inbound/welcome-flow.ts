// The inbound call flow as a pure state machine: (state, event) -> (state, effects).
// This first slice answers, plays the directorate's welcome and hangs up; the menu, ringing
// and the callback offer extend it. Nothing here touches ARI or the database.

export type PromptRef = { kind: 'dp'; dp: string; name: string; lang: 'it' | 'en' } | { kind: 'common'; name: string; lang: 'it' | 'en' };

export type InboundState =
  | { step: 'answering'; dp: string }
  | { step: 'welcome'; dp: string }
  | { step: 'hangingUp'; dp: string }
  | { step: 'done'; reason: 'completed' | 'caller_hangup' | 'error' };

export type InboundEvent =
  | { type: 'answered' }
  | { type: 'playbackEnded'; outcome: 'finished' | 'failed' }
  | { type: 'callerHungUp' }
  | { type: 'hungUp' }
  | { type: 'error'; message: string };

export type InboundEffect =
  | { type: 'answer' }
  | { type: 'play'; prompts: PromptRef[] }
  | { type: 'hangup' }
  /** hand the caller to the dialplan apology: never leave them in silence */
  | { type: 'fallback' };

export interface Transition {
  state: InboundState;
  effects: InboundEffect[];
}

export function startInbound(dp: string): Transition {
  return { state: { step: 'answering', dp }, effects: [{ type: 'answer' }] };
}

export function stepInbound(state: InboundState, event: InboundEvent): Transition {
  if (state.step === 'done') return { state, effects: [] };
  if (event.type === 'callerHungUp') return { state: { step: 'done', reason: 'caller_hangup' }, effects: [] };
  if (event.type === 'error') return { state: { step: 'done', reason: 'error' }, effects: [{ type: 'fallback' }] };
  switch (state.step) {
    case 'answering':
      if (event.type === 'answered')
        return { state: { step: 'welcome', dp: state.dp }, effects: [{ type: 'play', prompts: [{ kind: 'dp', dp: state.dp, name: 'welcome', lang: 'it' }] }] };
      break;
    case 'welcome':
      // a welcome that could not be played is still followed by a clean hang-up: the
      // fallback would only repeat an apology for a prompt problem the caller cannot fix
      if (event.type === 'playbackEnded') return { state: { step: 'hangingUp', dp: state.dp }, effects: [{ type: 'hangup' }] };
      break;
    case 'hangingUp':
      if (event.type === 'hungUp') return { state: { step: 'done', reason: 'completed' }, effects: [] };
      break;
  }
  return { state, effects: [] };
}
