// A caller in conversation with an official, as a pure state machine over plain data, like
// the inbound flow: (state, event) -> (state, effects). The runner (conversation.ts) owns
// the legs, the bridge, the ringing and the timers, executes the effects in order and feeds
// back what happened. Everything decided here is unit-tested without a PBX:
//   talking      the caller and the first official (an operator, or an office's official)
//                are bridged; the official may key "*" + a unit's code to transfer
//   transferring the caller is on hold music while the unit's phones ring
//   withUnit     the unit's official is bridged with the caller; the operator is freed
//   ended        the caller is gone, or nobody is with them any more
// When the caller hangs up, each official still on the line is asked for a code (wrapUp);
// what they key, or NOT_RECORDED, goes into the caller's profile.
import type { Directorate } from '../config/schema';
import { FOLLOW_UP, INTERVENTION_CODES, matchUnitCode, NOT_RECORDED, OUTCOME_CODES } from './codes';

/** the first official's leg, or the unit's official's after a transfer */
export type Who = 'operator' | 'unit';
export type Stage = 'talking' | 'transferring' | 'withUnit' | 'ended';
type Unit = Directorate['units'][number];

export interface ConversationContext {
  /** the first official */
  operator: string;
  /** set when the first official is an office's (they key an intervention code, not an outcome) */
  officialUnit?: string;
  units: readonly Unit[];
}

export interface ConversationState {
  ctx: ConversationContext;
  stage: Stage;
  /** the unit code keyed after "*" so far; null when the official is not keying one */
  typed: string | null;
  /** the code-gap timer now armed */
  token: number;
  /** the first official's leg is still with us (neither gone nor wrapped up) */
  operatorOn: boolean;
  operatorRecorded: boolean;
  /** the office whose phones ring during a transfer */
  ringing?: string;
  /** the unit's official bridged with the caller */
  unit?: { official: string; unitId: string };
  /** after the caller left: the wrap-ups the bridge waits for before it goes */
  closing?: Who[];
}

export type ConversationEvent =
  | { type: 'operatorKey'; digit: string }
  | { type: 'codeGap'; token: number }
  /** the unit's phones free now (the presence's answer to checkUnit) */
  | { type: 'unitPhones'; unitId: string; phones: string[] }
  | { type: 'unitAnswered'; official: string }
  | { type: 'unitNoAnswer' }
  | { type: 'operatorGone' }
  | { type: 'unitGone' }
  | { type: 'callerGone' }
  /** an official's wrap-up ended: the code they keyed (null: none), the topic of outcome 1 */
  | { type: 'wrappedUp'; who: Who; key: string | null; topic: string | null };

export interface OutcomeRecord {
  kind: 'operator' | 'unit' | 'transfer';
  official: string;
  code: string;
  label: string;
  byDefault: boolean;
  unit?: string;
  /** "needs follow-up": an item opens on the worklist of the directorate's operators or of that unit */
  followUp: boolean;
}

export type ConversationEffect =
  | { type: 'armCodeGap'; token: number }
  | { type: 'cancelCodeGap' }
  /** a short prompt to the first official (why: for the log) */
  | { type: 'toOperator'; prompt: 'op-transfer-unknown' | 'op-transfer-failed'; why: string }
  | { type: 'checkUnit'; unitId: string }
  /** the caller out of the bridge onto hold music, the operator told, the unit's phones rung */
  | { type: 'ringUnit'; unitId: string; phones: string[] }
  | { type: 'cancelRinging' }
  /** a unit's official answered after the caller left: their leg is hung up, they are free */
  | { type: 'dropUnitLeg'; official: string }
  | { type: 'stopMoh' }
  /** the unit did not answer: the caller back with the operator, each told */
  | { type: 'callerBack' }
  /** the unit's official with the caller (the operator taken out of the bridge first) */
  | { type: 'joinUnit'; operatorOut: boolean }
  /** ask an official for their code: an operator's outcome, or an office's intervention */
  | { type: 'wrapUp'; who: Who; codes: 'outcome' | 'intervention' }
  | { type: 'record'; record: OutcomeRecord }
  | { type: 'topic'; official: string; topic: string }
  /** an official is free for the next call (hangUp: their leg is still up, after a wrap-up) */
  | { type: 'free'; who: Who; official: string; hangUp: boolean }
  /** nobody is with the caller any more: the bridge goes, the owner ends the caller's call */
  | { type: 'alone' }
  | { type: 'destroyBridge' };

export interface ConversationTransition {
  state: ConversationState;
  effects: ConversationEffect[];
}

export function startConversation(ctx: ConversationContext): ConversationState {
  return { ctx, stage: 'talking', typed: null, token: 0, operatorOn: true, operatorRecorded: false };
}

/** Whether a key of the first official is the conversation's (a unit code) rather than theirs to keep. */
export const keyConsumed = (s: ConversationState, digit: string): boolean => s.stage === 'talking' && (digit === '*' || s.typed !== null);

/** The unit's official now with the caller, for their console station. */
export const unitOfficial = (s: ConversationState): string | undefined => s.unit?.official;

const firstKind = (ctx: ConversationContext): 'operator' | 'unit' => (ctx.officialUnit ? 'unit' : 'operator');

function record(kind: OutcomeRecord['kind'], official: string, code: string, label: string, byDefault: boolean, unit?: string): ConversationEffect {
  const followUp = (kind === 'operator' && code === FOLLOW_UP.operator) || (kind === 'unit' && code === FOLLOW_UP.unit);
  return { type: 'record', record: { kind, official, code, label, byDefault, ...(unit !== undefined ? { unit } : {}), followUp } };
}

/** The first official's code, once: an outcome, or an intervention when they are an office's. */
function operatorOutcome(s: ConversationState, fx: ConversationEffect[], key: string | null): void {
  if (s.operatorRecorded) return;
  s.operatorRecorded = true;
  const { operator, officialUnit } = s.ctx;
  if (officialUnit) fx.push(record('unit', operator, key ?? NOT_RECORDED.code, key === null ? NOT_RECORDED.label : INTERVENTION_CODES[key]!, key === null, officialUnit));
  else fx.push(record('operator', operator, key ?? NOT_RECORDED.code, key === null ? NOT_RECORDED.label : OUTCOME_CODES[key]!, key === null));
}

function endTyping(s: ConversationState, fx: ConversationEffect[], m: Unit | 'unknown'): void {
  const typed = s.typed;
  s.typed = null;
  fx.push({ type: 'cancelCodeGap' });
  if (m === 'unknown') fx.push({ type: 'toOperator', prompt: 'op-transfer-unknown', why: `unknown unit code "${typed}"` });
  else fx.push({ type: 'checkUnit', unitId: m.id });
}

function alone(s: ConversationState, fx: ConversationEffect[]): void {
  if (s.stage === 'ended') return;
  s.stage = 'ended';
  fx.push({ type: 'alone' });
}

export function step(state: ConversationState, event: ConversationEvent): ConversationTransition {
  const s: ConversationState = { ...state, ...(state.closing ? { closing: [...state.closing] } : {}) };
  const fx: ConversationEffect[] = [];
  switch (event.type) {
    case 'operatorKey': {
      if (!keyConsumed(s, event.digit)) break;
      if (event.digit === '*') {
        s.typed = '';
        s.token += 1;
        fx.push({ type: 'armCodeGap', token: s.token });
        break;
      }
      s.typed += event.digit;
      const m = matchUnitCode(s.ctx.units, s.typed!);
      if (m !== 'more') endTyping(s, fx, m);
      else {
        s.token += 1;
        fx.push({ type: 'armCodeGap', token: s.token });
      }
      break;
    }
    case 'codeGap':
      if (event.token !== s.token || s.typed === null || s.stage !== 'talking') break;
      endTyping(s, fx, s.ctx.units.find((u) => u.code === s.typed) ?? 'unknown');
      break;
    case 'unitPhones':
      if (s.stage !== 'talking') break; // the caller or the operator left meanwhile
      if (event.phones.length === 0) {
        fx.push(record('transfer', s.ctx.operator, 'no_answer', `no phone of ${event.unitId} free`, false, event.unitId));
        fx.push({ type: 'toOperator', prompt: 'op-transfer-failed', why: `no phone of ${event.unitId} free` });
        break;
      }
      s.stage = 'transferring';
      s.ringing = event.unitId;
      fx.push({ type: 'ringUnit', unitId: event.unitId, phones: event.phones });
      break;
    case 'unitAnswered': {
      if (s.stage !== 'transferring') {
        fx.push({ type: 'dropUnitLeg', official: event.official });
        break;
      }
      const unitId = s.ringing!;
      s.ringing = undefined;
      s.stage = 'withUnit';
      s.unit = { official: event.official, unitId };
      fx.push({ type: 'stopMoh' });
      fx.push(record('transfer', event.official, 'answered', `answered by ${event.official}`, false, unitId));
      fx.push({ type: 'joinUnit', operatorOut: s.operatorOn });
      if (s.operatorOn) fx.push({ type: 'wrapUp', who: 'operator', codes: firstKind(s.ctx) === 'unit' ? 'intervention' : 'outcome' });
      break;
    }
    case 'unitNoAnswer': {
      if (s.stage !== 'transferring') break;
      const unitId = s.ringing!;
      s.ringing = undefined;
      fx.push({ type: 'stopMoh' });
      fx.push(record('transfer', s.ctx.operator, 'no_answer', `${unitId} did not answer`, false, unitId));
      if (!s.operatorOn) {
        alone(s, fx);
        break;
      }
      s.stage = 'talking';
      fx.push({ type: 'callerBack' });
      break;
    }
    case 'operatorGone':
      // once the caller left, or after a transfer, the operator's wrap-up sees its own end
      if (!s.operatorOn || s.stage === 'ended' || s.stage === 'withUnit') break;
      s.operatorOn = false;
      operatorOutcome(s, fx, null);
      fx.push({ type: 'free', who: 'operator', official: s.ctx.operator, hangUp: false });
      if (s.stage === 'talking') alone(s, fx); // during a transfer the unit may still answer
      break;
    case 'unitGone': {
      if (s.stage !== 'withUnit' || !s.unit) break;
      const { official, unitId } = s.unit;
      s.unit = undefined;
      fx.push(record('unit', official, NOT_RECORDED.code, NOT_RECORDED.label, true, unitId));
      fx.push({ type: 'free', who: 'unit', official, hangUp: false });
      alone(s, fx);
      break;
    }
    case 'callerGone': {
      if (s.stage === 'ended') break;
      const was = s.stage;
      s.stage = 'ended';
      s.typed = null;
      fx.push({ type: 'cancelCodeGap' });
      if (was === 'transferring') fx.push({ type: 'cancelRinging' });
      s.closing = [];
      if (s.operatorOn && was !== 'withUnit') {
        s.closing.push('operator');
        fx.push({ type: 'wrapUp', who: 'operator', codes: firstKind(s.ctx) === 'unit' ? 'intervention' : 'outcome' });
      }
      if (s.unit) {
        s.closing.push('unit');
        fx.push({ type: 'wrapUp', who: 'unit', codes: 'intervention' });
      }
      if (s.closing.length === 0) fx.push({ type: 'destroyBridge' });
      break;
    }
    case 'wrappedUp': {
      const { who, key, topic } = event;
      if (who === 'operator') {
        if (!s.operatorOn) break;
        s.operatorOn = false;
        operatorOutcome(s, fx, key);
        if (topic !== null && key === '1' && !s.ctx.officialUnit) fx.push({ type: 'topic', official: s.ctx.operator, topic });
        fx.push({ type: 'free', who, official: s.ctx.operator, hangUp: true });
      } else {
        if (!s.unit) break;
        const { official, unitId } = s.unit;
        s.unit = undefined;
        fx.push(record('unit', official, key ?? NOT_RECORDED.code, key === null ? NOT_RECORDED.label : INTERVENTION_CODES[key]!, key === null, unitId));
        fx.push({ type: 'free', who, official, hangUp: true });
      }
      if (s.closing?.includes(who)) {
        s.closing = s.closing.filter((w) => w !== who);
        if (s.closing.length === 0) fx.push({ type: 'destroyBridge' });
      }
      break;
    }
  }
  return { state: s, effects: fx };
}
