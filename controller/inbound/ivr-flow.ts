// The inbound IVR as a pure state machine: (state, event) -> (state, effects).
//
// It decides everything a caller experiences: welcome, pending-request check, closed-hours
// announcement, main menu, ringing the group until the ring threshold, the callback offer,
// number entry with read-back, booking and goodbye. It imports nothing from ARI or SQLite:
// the runner (inbound-call.ts) executes the effects and feeds their results back as
// events. Long operations (playing, ringing, timers) carry a token so that a late result of
// something already cancelled is recognised and ignored.
import { checkCallbackNumber, type NumberRefusal } from '../numbering/numbering-plan';
import { LANGUAGE_INVITATIONS, type Lang, type LanguageChoice } from '../config/languages';
import type { CallTiming } from '../config/schema';

import type { Prompt } from '../prompts/prompt';
import type { CallEventType } from '../vocabulary/call-events';

export type { Lang } from '../config/languages';
export type { Prompt } from '../prompts/prompt';

/** Facts the service looks up before the flow starts. */
export interface CallContext {
  dp: string;
  /** the caller's number when it is a valid Italian callback number */
  callerNumber: string | undefined;
  open: boolean;
  offerWhenClosed: boolean;
  /** the languages the Italian main menu invites, each with its key (none: Italian only) */
  languages: LanguageChoice[];
  /** a request of this number at this directorate still waiting */
  pending: { id: number; position: number } | undefined;
  /** rings before the callback offer (one Italian ring = 5 s) */
  rings: number;
  /** the directorate's timers (the flow uses the ring unit and the menu and digit time-outs) */
  timing: CallTiming;
  /** main-menu keys leading to an office (internal unit) instead of the operators */
  offices?: Array<{ key: string; unit: string }>;
  /** an extraordinary closure live now: its message instead of the menu, then the offer per its flag */
  closure?: { id: number; prompt: Prompt; offerCallback: boolean };
}

/** attempts (silence or invalid key) before a polite goodbye */
export const MAX_TRIES = 3;
/** longer than any Italian number: stop collecting and refuse */
export const MAX_TYPED = 15;

export type Menu = 'main' | 'offer' | 'confirm' | 'pending';

/** unavailable: the database could not take the booking in time (busy past the bound, full, read-only) */
export type BookRefusal = 'duplicate' | 'number_cap' | 'caller_cap' | 'dp_capacity' | 'no_window' | 'unavailable';

export type Phase =
  | { step: 'answering' }
  | { step: 'welcome' }
  | { step: 'closedNotice' }
  | { step: 'menu'; menu: Menu; tries: number; waiting: boolean }
  | { step: 'checkingOperators' }
  | { step: 'ringing'; ring: number }
  | { step: 'connected'; operator: string }
  | { step: 'typing'; tries: number; digits: string; refusals: number; waiting: boolean }
  /** holding: the booking is slow to be written, the caller was asked to hold */
  | { step: 'booking'; number: string; holding?: boolean }
  | { step: 'cancelling' }
  | { step: 'goodbye' }
  | { step: 'hangingUp' }
  | { step: 'done'; reason: EndReason };

export type EndReason = 'completed' | 'caller_hangup' | 'error';

export interface IvrState {
  ctx: CallContext;
  lang: Lang;
  phase: Phase;
  /** the playback or timer whose end the flow waits for */
  token: number;
  /** keys pressed while nothing was collecting them (type-ahead during the welcome) */
  typeahead: string;
  /** the number typed, once checked, awaiting confirmation */
  typed: string | undefined;
  /** the menu path, e.g. "1" or "9,1,2" */
  path: string[];
  /** rings the caller heard before the offer, when the group was rung */
  rings: number | null;
  /** whom the caller asked for: 'operators', or an office ('unit:<id>'); a booking is for them */
  group: string;
}

export type IvrEvent =
  | { type: 'answered' }
  | { type: 'playDone'; token: number }
  | { type: 'timeout'; token: number }
  | { type: 'dtmf'; digit: string }
  /** the phones free to ring now (none: why) */
  | { type: 'operators'; phones: string[]; reason?: 'none_registered' | 'all_busy' }
  /** elapsedMs: since the ringing started (the rings heard are counted from it) */
  | { type: 'ringAnswered'; token: number; operator: string; elapsedMs: number }
  | { type: 'ringUnanswered'; token: number; elapsedMs: number; rung: string[] }
  | { type: 'booked'; id: number; position: number; today: boolean }
  | { type: 'bookRefused'; reason: BookRefusal; position?: number }
  /** the booking has not been written yet after a short while (the database is busy) */
  | { type: 'bookingSlow' }
  | { type: 'cancelled' }
  | { type: 'operatorHungUp' }
  | { type: 'callerHungUp' }
  | { type: 'hungUp' }
  | { type: 'error'; message: string };

export type IvrEffect =
  | { type: 'answer' }
  | { type: 'play'; token: number; prompts: Prompt[]; bargeIn: boolean }
  | { type: 'stopPlay'; token: number }
  | { type: 'startTimer'; token: number; ms: number }
  | { type: 'setLanguage'; lang: Lang }
  | { type: 'checkOperators'; group: string }
  | { type: 'ring'; token: number; phones: string[]; ms: number }
  | { type: 'stopRinging' }
  | { type: 'book'; number: string; path: string; rings: number | null; group: string }
  | { type: 'cancelPending'; id: number }
  | { type: 'record'; event: CallEventType; data?: Record<string, unknown> }
  | { type: 'hangup' }
  | { type: 'fallback' };

export interface Transition {
  state: IvrState;
  effects: IvrEffect[];
}

const common = (name: string): Prompt => ({ kind: 'common', name });

export function startIvr(ctx: CallContext): Transition {
  return {
    state: { ctx, lang: 'it', phase: { step: 'answering' }, token: 0, typeahead: '', typed: undefined, path: [], rings: null, group: 'operators' },
    effects: [{ type: 'answer' }],
  };
}

// ---- building blocks ------------------------------------------------------------------

class Builder {
  readonly effects: IvrEffect[] = [];
  constructor(public state: IvrState) {}

  set(phase: Phase): this {
    this.state = { ...this.state, phase };
    return this;
  }

  patch(p: Partial<IvrState>): this {
    this.state = { ...this.state, ...p };
    return this;
  }

  emit(...e: IvrEffect[]): this {
    this.effects.push(...e);
    return this;
  }

  play(prompts: Prompt[], bargeIn = true): this {
    const token = this.state.token + 1;
    this.state = { ...this.state, token };
    return this.emit({ type: 'play', token, prompts, bargeIn });
  }

  timer(ms: number): this {
    const token = this.state.token + 1;
    this.state = { ...this.state, token };
    return this.emit({ type: 'startTimer', token, ms });
  }

  done(): Transition {
    return { state: this.state, effects: this.effects };
  }
}

function menuPrompts(menu: Menu, s: IvrState): Prompt[] {
  switch (menu) {
    case 'main': {
      // "1 operator", then the directorate's offices (a prompt built from its config), then,
      // in Italian only, each other language invited in its own words
      const offices: Prompt[] = (s.ctx.offices ?? []).length > 0 ? [{ kind: 'dp', name: 'menu-offices' }] : [];
      const invitations = s.lang === 'it' ? s.ctx.languages.map((c) => common(LANGUAGE_INVITATIONS[c.lang])) : [];
      return [common('menu-main'), ...offices, ...invitations];
    }
    case 'offer':
      return [common('offer-callback')];
    case 'confirm':
      return [common('you-typed'), { kind: 'digits', value: s.typed ?? '' }, common('confirm-or-reenter')];
    case 'pending':
      return [common('pending-request'), { kind: 'number', value: s.ctx.pending?.position ?? 1 }, common('pending-keep-or-cancel')];
  }
}

function enterMenu(b: Builder, menu: Menu, tries = 0, lead: Prompt[] = []): Builder {
  b.set({ step: 'menu', menu, tries, waiting: false });
  // keys pressed during the welcome answer this menu at once: no need to play it
  if (b.state.typeahead) return consumeTypeahead(b);
  return b.play([...lead, ...menuPrompts(menu, b.state)]);
}

function enterTyping(b: Builder, tries = 0, refusals = 0, lead: Prompt[] = []): Builder {
  return b
    .patch({ typed: undefined })
    .set({ step: 'typing', tries, digits: '', refusals, waiting: false })
    .play([...lead, common('type-number')]);
}

/** A key pressed during the welcome counts for the first menu. */
function consumeTypeahead(b: Builder): Builder {
  const keys = b.state.typeahead;
  let t: Transition = { state: { ...b.state, typeahead: '' }, effects: [] };
  const effects = [...b.effects];
  for (const digit of keys) {
    t = step(t.state, { type: 'dtmf', digit });
    effects.push(...t.effects);
  }
  return new Builder(t.state).emit(...effects);
}

function goodbye(b: Builder, lead: Prompt[] = []): Builder {
  // the goodbye is not interruptible: the call ends after it whatever is pressed
  return b.set({ step: 'goodbye' }).play([...lead, common('goodbye')], false);
}

/** Where the caller goes after the welcome (or after cancelling a pending request). */
function afterWelcome(b: Builder): Builder {
  const { ctx } = b.state;
  if (ctx.pending) return enterMenu(b, 'pending');
  if (ctx.closure) {
    b.emit({ type: 'record', event: 'closure', data: { closure: ctx.closure.id } });
    return b.set({ step: 'closedNotice' }).play([ctx.closure.prompt]);
  }
  if (!ctx.open) {
    b.set({ step: 'closedNotice' }).play([common('office-closed'), { kind: 'dp', name: 'hours' }]);
    return b;
  }
  return enterMenu(b, 'main');
}

/** The rings a caller heard in elapsedMs of ringing: a ring begun counts (the first from the start), never more than the threshold. */
export const ringsHeard = (ctx: Pick<CallContext, 'rings' | 'timing'>, elapsedMs: number): number => Math.min(Math.max(1, Math.ceil(elapsedMs / ctx.timing.ringMs)), ctx.rings);

function offer(b: Builder, lead: Prompt[]): Builder {
  b.emit({ type: 'record', event: 'offer' });
  if (b.state.ctx.callerNumber) return enterMenu(b, 'offer', 0, lead);
  // withheld, anonymous or not a valid Italian number: straight to typing
  return enterTyping(b, 0, 0, [...lead, common('offer-type-number')]);
}

const REFUSAL_PROMPT: Record<NumberRefusal, string> = {
  international: 'number-international',
  premium: 'number-premium',
  short: 'number-short',
  invalid: 'number-invalid',
};

const BOOK_REFUSAL_PROMPT: Record<BookRefusal, string> = {
  duplicate: 'already-pending',
  number_cap: 'number-daily-cap',
  caller_cap: 'caller-daily-cap',
  dp_capacity: 'capacity-full',
  no_window: 'capacity-full',
  unavailable: 'booking-unavailable',
};

function menuKey(b: Builder, menu: Menu, digit: string): Builder | undefined {
  const s = b.state;
  switch (menu) {
    case 'main': {
      const office = s.ctx.offices?.find((o) => o.key === digit);
      if (digit === '1' || office) {
        const group = office ? `unit:${office.unit}` : 'operators';
        b.patch({ path: [...s.path, digit], group }).emit({ type: 'record', event: 'menu', data: { menu, digit, ...(office ? { unit: office.unit } : {}) } });
        return b.set({ step: 'checkingOperators' }).emit({ type: 'checkOperators', group });
      }
      const choice = s.lang === 'it' ? s.ctx.languages.find((c) => c.key === digit) : undefined;
      if (choice) {
        b.patch({ lang: choice.lang, path: [...s.path, digit] }).emit(
          { type: 'setLanguage', lang: choice.lang },
          { type: 'record', event: 'language', data: { lang: choice.lang } },
        );
        return enterMenu(b, 'main');
      }
      return undefined;
    }
    case 'offer':
      if (digit === '1') {
        b.patch({ path: [...s.path, 'offer:1'] });
        return b
          .set({ step: 'booking', number: s.ctx.callerNumber! })
          .emit({ type: 'book', number: s.ctx.callerNumber!, path: b.state.path.join(','), rings: s.rings, group: s.group });
      }
      if (digit === '2') {
        b.patch({ path: [...s.path, 'offer:2'] });
        return enterTyping(b);
      }
      return undefined;
    case 'confirm':
      if (digit === '1') return b.set({ step: 'booking', number: s.typed! }).emit({ type: 'book', number: s.typed!, path: s.path.join(','), rings: s.rings, group: s.group });
      if (digit === '2') return enterTyping(b);
      return undefined;
    case 'pending':
      if (digit === '1') {
        b.emit({ type: 'record', event: 'pending_kept', data: { id: s.ctx.pending!.id } });
        return goodbye(b, [common('pending-kept')]);
      }
      if (digit === '2') return b.set({ step: 'cancelling' }).emit({ type: 'cancelPending', id: s.ctx.pending!.id });
      return undefined;
  }
}

// ---- the transition function ---------------------------------------------------------------

export function step(state: IvrState, event: IvrEvent): Transition {
  const b = new Builder(state);
  const phase = state.phase;
  if (phase.step === 'done') return b.done();

  if (event.type === 'callerHungUp') {
    if (phase.step === 'ringing') b.emit({ type: 'stopRinging' });
    return b.set({ step: 'done', reason: phase.step === 'hangingUp' ? 'completed' : 'caller_hangup' }).done();
  }
  if (event.type === 'hungUp') return b.set({ step: 'done', reason: phase.step === 'hangingUp' ? 'completed' : 'caller_hangup' }).done();
  if (event.type === 'error') return b.set({ step: 'done', reason: 'error' }).emit({ type: 'stopRinging' }, { type: 'fallback' }).done();

  switch (phase.step) {
    case 'answering':
      if (event.type === 'answered') b.set({ step: 'welcome' }).play([{ kind: 'dp', name: 'welcome' }]);
      return b.done();

    case 'welcome':
      if (event.type === 'dtmf') {
        // barge-in: the key is kept for the first menu
        return b
          .patch({ typeahead: state.typeahead + event.digit })
          .emit({ type: 'stopPlay', token: state.token })
          .done();
      }
      if (event.type === 'playDone' && event.token === state.token) return afterWelcome(b).done();
      return b.done();

    case 'closedNotice':
      if (event.type === 'dtmf') return b.emit({ type: 'stopPlay', token: state.token }).done();
      if (event.type === 'playDone' && event.token === state.token) {
        if (state.ctx.closure ? state.ctx.closure.offerCallback : state.ctx.offerWhenClosed) return offer(b, [common('offer-next-window')]).done();
        return goodbye(b).done();
      }
      return b.done();

    case 'menu': {
      if (event.type === 'dtmf') {
        if (!phase.waiting) b.emit({ type: 'stopPlay', token: state.token });
        const next = menuKey(b, phase.menu, event.digit);
        if (next) return next.done();
        b.emit({ type: 'record', event: 'invalid_key', data: { menu: phase.menu, digit: event.digit } });
        if (phase.tries + 1 >= MAX_TRIES) return noInput(b, phase.menu).done();
        return enterMenu(b, phase.menu, phase.tries + 1, [common('invalid-choice')]).done();
      }
      if (event.type === 'playDone' && event.token === state.token && !phase.waiting)
        return b
          .set({ ...phase, waiting: true })
          .timer(state.ctx.timing.menuTimeoutMs)
          .done();
      if (event.type === 'timeout' && event.token === state.token) {
        if (phase.tries + 1 >= MAX_TRIES) return noInput(b, phase.menu).done();
        return enterMenu(b, phase.menu, phase.tries + 1).done();
      }
      return b.done();
    }

    case 'checkingOperators':
      if (event.type === 'operators') {
        if (event.phones.length === 0) {
          b.emit({ type: 'record', event: 'no_operator', data: { reason: event.reason } });
          return offer(b, [common(event.reason === 'none_registered' ? 'no-operator-online' : 'operators-busy')]).done();
        }
        const token = state.token + 1;
        return b
          .patch({ token })
          .set({ step: 'ringing', ring: token })
          .emit({ type: 'ring', token, phones: event.phones, ms: state.ctx.rings * state.ctx.timing.ringMs })
          .done();
      }
      return b.done();

    case 'ringing':
      if (event.type === 'ringAnswered' && event.token === phase.ring) {
        const rings = ringsHeard(state.ctx, event.elapsedMs);
        return b
          .set({ step: 'connected', operator: event.operator })
          .emit({ type: 'record', event: 'ringing_ended', data: { answered: true, operator: event.operator, rings } })
          .done();
      }
      if (event.type === 'ringUnanswered' && event.token === phase.ring) {
        const rings = ringsHeard(state.ctx, event.elapsedMs);
        b.patch({ rings })
          .emit({ type: 'record', event: 'ringing_ended', data: { answered: false, rings, rung: event.rung } })
          .emit({ type: 'record', event: 'unanswered', data: { rings } });
        return offer(b, [common('no-answer')]).done();
      }
      return b.done(); // keys while ringing are ignored

    case 'connected':
      if (event.type === 'operatorHungUp') return b.set({ step: 'hangingUp' }).emit({ type: 'hangup' }).done();
      return b.done();

    case 'typing': {
      if (event.type === 'dtmf') {
        if (!phase.waiting && phase.digits === '') b.emit({ type: 'stopPlay', token: state.token });
        if (event.digit === '#') return finishTyping(b, phase).done();
        if (event.digit === '*') return enterTyping(b, phase.tries, phase.refusals).done(); // start again
        const digits = phase.digits + event.digit;
        if (digits.length > MAX_TYPED) return finishTyping(b, { ...phase, digits }).done();
        return b
          .set({ ...phase, digits, waiting: true })
          .timer(state.ctx.timing.digitTimeoutMs)
          .done();
      }
      if (event.type === 'playDone' && event.token === state.token && !phase.waiting)
        return b
          .set({ ...phase, waiting: true })
          .timer(state.ctx.timing.digitTimeoutMs)
          .done();
      if (event.type === 'timeout' && event.token === state.token) {
        if (phase.digits) return finishTyping(b, phase).done(); // "#" forgotten: take what was typed
        if (phase.tries + 1 >= MAX_TRIES) return noInput(b, 'offer').done();
        return enterTyping(b, phase.tries + 1, phase.refusals).done();
      }
      return b.done();
    }

    case 'booking':
      if (event.type === 'bookingSlow' && !phase.holding) {
        // never silence: the caller is told to hold and hears music until the answer
        b.emit({ type: 'record', event: 'booking_slow' });
        return b
          .set({ ...phase, holding: true })
          .play([common('please-hold'), { kind: 'music' }], false)
          .done();
      }
      if ((event.type === 'booked' || event.type === 'bookRefused') && phase.holding) b.emit({ type: 'stopPlay', token: state.token });
      if (event.type === 'booked') {
        b.emit({ type: 'record', event: 'booked', data: { id: event.id, number: phase.number, position: event.position } });
        return goodbye(b, [
          common('booking-registered'),
          common('queue-position'),
          { kind: 'number', value: event.position },
          common(event.today ? 'expect-today' : 'expect-next-day'),
        ]).done();
      }
      if (event.type === 'bookRefused') {
        b.emit({ type: 'record', event: 'booking_refused', data: { reason: event.reason, number: phase.number } });
        const lead: Prompt[] = [common(BOOK_REFUSAL_PROMPT[event.reason])];
        if (event.reason === 'duplicate' && event.position) lead.push(common('queue-position'), { kind: 'number', value: event.position });
        return goodbye(b, lead).done();
      }
      return b.done();

    case 'cancelling':
      if (event.type === 'cancelled') {
        b.emit({ type: 'record', event: 'pending_cancelled', data: { id: state.ctx.pending!.id } });
        b.patch({ ctx: { ...state.ctx, pending: undefined } });
        const after = afterWelcome(b);
        // the confirmation leads into what comes next
        const play = after.effects.find((e): e is Extract<IvrEffect, { type: 'play' }> => e.type === 'play' && e.token === after.state.token);
        if (play) play.prompts.unshift(common('pending-cancelled'));
        return after.done();
      }
      return b.done();

    case 'goodbye':
      if (event.type === 'playDone' && event.token === state.token) return b.set({ step: 'hangingUp' }).emit({ type: 'hangup' }).done();
      return b.done();

    case 'hangingUp':
      return b.done();
  }
}

function finishTyping(b: Builder, phase: Extract<Phase, { step: 'typing' }>): Builder {
  const check = checkCallbackNumber(phase.digits);
  b.emit({ type: 'record', event: 'number_typed', data: { digits: phase.digits, ok: check.ok, reason: check.ok ? undefined : check.reason } });
  if (!check.ok) {
    if (phase.refusals + 1 >= MAX_TRIES) return goodbye(b, [common(REFUSAL_PROMPT[check.reason])]);
    return enterTyping(b, 0, phase.refusals + 1, [common(REFUSAL_PROMPT[check.reason])]);
  }
  b.patch({ typed: check.number });
  return enterMenu(b, 'confirm');
}

function noInput(b: Builder, menu: Menu): Builder {
  b.emit({ type: 'record', event: 'no_input', data: { menu } });
  if (menu === 'pending') {
    // keeping the request is the safe default for a caller who says nothing
    b.emit({ type: 'record', event: 'pending_kept', data: { id: b.state.ctx.pending!.id } });
    return goodbye(b, [common('pending-kept')]);
  }
  return goodbye(b, [common('no-input-goodbye')]);
}
