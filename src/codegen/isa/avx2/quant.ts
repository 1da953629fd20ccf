/**
 * The AVX2 re-encoding of the one requantization table (`requantTable`,
 * src/codegen/requant.ts) for `mobilec_avx2_mbqm` and `mobilec_avx2_narrow16`
 * (templates/kernels/avx2_common.c.hbs): per group of 8 output channels 32
 * int32 — the multipliers, the left shifts max(s, 0), the right shifts
 * e = max(−s, 0) and the rounding masks 2^e − 1 — and the output zero point
 * and clamp as call arguments. Every shift in [−31, 30] and every zero point
 * and clamp take the same code (no value decides a form, except that a layer
 * without a left-shifting channel skips the left shift: flag `ls`).
 */
import type { Op } from '../../../model/ir.js';
import { int32Literal } from '../../ops/common.js';
import { requantTable, type RequantTable } from '../../requant.js';
import type { EmitContext } from '../../types.js';

/** int32 per group of 8 channels in the table: multiplier, left shift, right shift, mask. */
export const RQ_GROUP = 32;

/** The rounding mask of a right shift by e (0..31): 2^e − 1 as an int32. */
export const roundingMask = (e: number): number => (e >= 31 ? 0x7fffffff : (1 << e) - 1);

/** The table of `t` as `mobilec_avx2_mbqm` reads it: 8-channel groups over `padded` channels (a multiple of 8, padding zero). */
export function rqGroups(t: RequantTable, padded: number): Int32Array {
  const out = new Int32Array((padded / 8) * RQ_GROUP);
  for (let c = 0; c < t.channels; c++) {
    const o = Math.floor(c / 8) * RQ_GROUP + (c % 8);
    const s = t.shift[c]!;
    const e = s < 0 ? -s : 0;
    out[o] = t.multiplier[c]!;
    out[o + 8] = s > 0 ? s : 0;
    out[o + 16] = e;
    out[o + 24] = roundingMask(e);
  }
  return out;
}

/** The requantization of a quantized AVX2 kernel: its table (registered), the call arguments (yZp, actMin, actMax) and the `ls` form. */
export function avx2Requant(op: Op, ctx: EmitContext, channels: number, padded: number) {
  const t = requantTable(op, ctx, channels);
  return {
    table: t,
    rq: ctx.table('xrq', rqGroups(t, padded)),
    args: [String(t.yZp), int32Literal(t.actMin), int32Literal(t.actMax)],
    ls: t.anyLeft,
  };
}

/** Whether some channel shifts left (the `ls` flag), without registering tables. */
export const anyLeftShift = (op: Op, ctx: EmitContext, channels: number): boolean => requantTable(op, ctx, channels).anyLeft;
