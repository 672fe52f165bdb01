// The codes officials key after a conversation (the operators' DTMF map in the README, fixed for the tools that test it), with the
// labels stored in the caller's profile.
export const OUTCOME_CODES: Readonly<Record<string, string>> = {
  '1': 'basic_information_given',
  '2': 'transferred',
  '3': 'wrong_number',
  '4': 'needs_follow_up',
};

export const INTERVENTION_CODES: Readonly<Record<string, string>> = {
  '1': 'handled',
  '2': 'needs_follow_up',
  '3': 'not_competent',
};

/** the codes that open a follow-up item (followups table) */
export const FOLLOW_UP = { operator: '4', unit: '2' } as const;

/**
 * What is recorded when an official keys no code (the time-out passed, or they hung up
 * first): that nothing was recorded, counted as such in the reports. Guessing "handled" or
 * "basic information given" would make up records (a transfer is recorded on its own).
 */
export const NOT_RECORDED = { code: '0', label: 'not_recorded' } as const;

/**
 * Digits keyed after "*": the unit whose code they complete, 'more' while another code
 * could still match, 'unknown' when none can.
 */
export function matchUnitCode<U extends { code: string }>(units: readonly U[], typed: string): U | 'more' | 'unknown' {
  const exact = units.find((u) => u.code === typed);
  const longer = units.some((u) => u.code.length > typed.length && u.code.startsWith(typed));
  if (exact && !longer) return exact;
  if (longer) return 'more';
  return exact ?? 'unknown';
}
