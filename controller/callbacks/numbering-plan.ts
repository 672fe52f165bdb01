// Which numbers a callback may be placed to: the Italian numbering plan, as far as a public
// office calls back. Geographic (0 + 5..10 digits) and mobile (3 + 8..9 digits) numbers are
// accepted; everything that costs the office money, reaches a service rather than a person,
// or leaves Italy is refused with a reason the caller is told.

export type NumberRefusal = 'international' | 'premium' | 'short' | 'invalid';

export type NumberCheck = { ok: true; number: string } | { ok: false; reason: NumberRefusal };

/**
 * Caller ID as received may carry the country code (+39 / 0039 / 39 followed by a valid
 * national number); a national number is returned without it.
 */
export function nationalFromCallerId(raw: string): string | undefined {
  const s = raw.trim();
  if (!/^\+?\d+$/.test(s)) return undefined; // withheld, "anonymous", an operator id...
  if (s.startsWith('+39')) return s.slice(3);
  if (s.startsWith('0039')) return s.slice(4);
  if (s.startsWith('+') || s.startsWith('00')) return s; // another country: checked below
  return s;
}

export function checkCallbackNumber(digits: string): NumberCheck {
  if (!/^\+?\d+$/.test(digits)) return { ok: false, reason: 'invalid' };
  if (digits.startsWith('+') || digits.startsWith('00')) return { ok: false, reason: 'international' };
  // premium-rate and shared-cost ranges: 89x, 84x, 199, 178, 144, 166, and the 4xx
  // network/service numbers
  if (/^(89|84|199|178|144|166|4)/.test(digits)) return { ok: false, reason: 'premium' };
  // emergency and public-utility short codes (112, 113, 1500, 1518...) and anything too short
  // to be a subscriber number
  if (digits.length < 6 || /^1\d{1,4}$/.test(digits)) return { ok: false, reason: 'short' };
  if (/^0\d{5,10}$/.test(digits)) return { ok: true, number: digits };
  if (/^3\d{8,9}$/.test(digits)) return { ok: true, number: digits };
  return { ok: false, reason: 'invalid' };
}

/**
 * A caller number with everything after its prefix hidden ("0612345678" -> "0612******"),
 * for records past their retention: the prefix still tells the area or the mobile network
 * for statistics, the person is no longer identified. Idempotent.
 */
export function maskNumber(n: string): string {
  const keep = Math.min(n.startsWith('+') ? 5 : 4, Math.max(0, n.length - 4));
  return n.slice(0, keep) + '*'.repeat(n.length - keep);
}
