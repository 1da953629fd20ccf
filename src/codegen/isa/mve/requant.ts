/**
 * The Helium epilogue's constants: the one requantization table
 * (requant.ts) laid out in vector lane order for the three forms of
 * templates/partials/mve/requant.hbs (`ls`: left shifts too; `rn`: every
 * channel shifts right; else right shifts and zeros).
 */
import type { RequantTable } from '../../requant.js';

export interface MveRequant {
  /** Multipliers, left shifts (>= 0), right shifts as negative counts (<= 0), per lane. */
  readonly m: Int32Array;
  readonly ls: Int32Array;
  readonly rs: Int32Array;
  /** Some channel shifts left: the general form (`mobilec_mve_mbqm`, with the ls table). */
  readonly left: boolean;
  /** Every channel shifts right: the lighter rounding fix-up (`mobilec_mve_mbqm_rn`). */
  readonly rn: boolean;
}

/** The table in lane order: `lanes[i]` is the table index lane i reads (default: the padded channels in order). */
export function mveRequant(t: RequantTable, lanes?: readonly number[]): MveRequant {
  const at = lanes ?? Array.from({ length: t.padded }, (_, i) => i);
  return {
    m: Int32Array.from(at, (c) => t.multiplier[c]!),
    ls: Int32Array.from(at, (c) => t.leftShift[c]!),
    rs: Int32Array.from(at, (c) => t.rightShift[c]!),
    left: t.anyLeft,
    rn: t.allRight,
  };
}

/** The requantization flags of a Helium kernel name. */
export const mveFlags = (rq: MveRequant) => ({ ...(rq.left ? { ls: true as const } : {}), ...(rq.rn ? { rn: true as const } : {}) });
