// The number formats of a carrier's trunk: how a callback is dialled and the directorate's
// number presented (national or E.164), and the forms a dialled number may arrive in.
import type { Trunk } from '../config/schema';

/** A national number (0612345678, 3471234567) as the trunk wants it dialled or presented. */
export function formatForTrunk(tr: Pick<Trunk, 'numberFormat'>, national: string): string {
  return tr.numberFormat === 'e164' ? `+39${national}` : national;
}

/** The dial string of a callback: PJSIP/<number>@<trunk>. */
export const trunkDialString = (tr: Trunk, national: string): string => `PJSIP/${formatForTrunk(tr, national)}@${tr.id}`;

/**
 * The forms a directorate's number may arrive in as the dialled number: national, +39… and
 * 0039… (carriers differ); each leads to the same directorate.
 */
export const inboundForms = (national: string): string[] => [national, `+39${national}`, `0039${national}`];
