// Which numbers a callback may be placed to: the Italian numbering plan, as far as a public
// office calls back. Geographic, mobile and nomadic VoIP numbers are accepted; everything that
// costs the office money, reaches a service rather than a person, or leaves Italy is refused
// with a reason the caller is told. Which ranges exist comes from libphonenumber-js's
// metadata for Italy (Google's libphonenumber, kept up to date with AGCOM's plan: the 0878
// televoting numbers are premium, 30x is not allocated, 43x is mobile); the project's own
// rules only put the caller's reasons on top and keep the prefixes the office never calls.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type NumberRefusal = 'international' | 'premium' | 'short' | 'invalid';

export type NumberCheck = { ok: true; number: string } | { ok: false; reason: NumberRefusal };

/**
 * Caller ID as received may carry the country code (+39 / 0039 / 39 followed by a valid
 * national number); a national number is returned without it.
 */
/**
 * A caller id as it arrived, reduced to what a number (or an operator's id, when an
 * operator dials a directorate) may hold: letters, digits, "+", ".", "_", "-", at most 32.
 * It is shown on the operators' phones and kept in the records, and a SIP From user can carry
 * quotes, control characters or terminal escapes. Undefined when withheld or nothing is left.
 */
export function callerIdNumber(raw: string): string | undefined {
  const s = raw.trim();
  if (/^(anonymous|unknown|restricted|private)$/i.test(s)) return undefined;
  const kept = s.replace(/[^0-9A-Za-z+._-]/g, '').slice(0, 32);
  return kept === '' ? undefined : kept;
}

export function nationalFromCallerId(raw: string): string | undefined {
  const s = raw.trim();
  if (!/^\+?\d+$/.test(s)) return undefined; // withheld, "anonymous", an operator id...
  if (s.startsWith('+39')) return s.slice(3);
  if (s.startsWith('0039')) return s.slice(4);
  if (s.startsWith('+') || s.startsWith('00')) return s; // another country: checked below
  return s;
}

/** ranges the office never calls back, whatever the metadata says: premium, shared cost, 199, 178 */
const PREMIUM_PREFIX = /^(89|84|199|178|144|166|0878)/;

export function checkCallbackNumber(digits: string): NumberCheck {
  if (!/^\+?\d+$/.test(digits)) return { ok: false, reason: 'invalid' };
  if (digits.startsWith('+') || digits.startsWith('00')) return { ok: false, reason: 'international' };
  if (PREMIUM_PREFIX.test(digits)) return { ok: false, reason: 'premium' };
  // emergency and public-utility short codes (112, 113, 1500, 1518...) and anything too short
  // to be a subscriber number
  if (digits.length < 6 || /^1\d{1,4}$/.test(digits)) return { ok: false, reason: 'short' };
  const parsed = parsePhoneNumberFromString(digits, 'IT');
  if (!parsed || !parsed.isValid() || parsed.country !== 'IT') return { ok: false, reason: 'invalid' };
  switch (parsed.getType()) {
    case 'FIXED_LINE':
    case 'MOBILE':
    case 'FIXED_LINE_OR_MOBILE':
    case 'VOIP':
      return { ok: true, number: digits };
    case 'PREMIUM_RATE':
    case 'SHARED_COST':
    case 'PERSONAL_NUMBER':
    case 'UAN':
    case 'PAGER':
      return { ok: false, reason: 'premium' };
    default:
      // free-phone (800, 803) and other service numbers reach a service, not a person
      return { ok: false, reason: 'invalid' };
  }
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
